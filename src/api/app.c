#include "api/app.h"

/* Every endpoint, in the order of API.md.  openapi.json must describe exactly these (a test checks). */
const http_route api_routes[] = {
    {"GET", "/healthz", handle_healthz},
    {"GET", "/api/v1/openapi.json", handle_openapi},
    {"POST", "/api/v1/accounts", handle_accounts_create},
    {"POST", "/api/v1/sessions", handle_sessions_create},
    {"DELETE", "/api/v1/sessions/current", handle_sessions_delete_current},
    {"GET", "/api/v1/me", handle_me},
    {"GET", "/api/v1/facilities", handle_facilities_list},
    {"GET", "/api/v1/facilities/{id}", handle_facilities_get},
    {"GET", "/api/v1/providers", handle_providers_list},
    {"GET", "/api/v1/facilities/{id}/policy", handle_policy_get},
    {"PUT", "/api/v1/facilities/{id}/policy", handle_policy_put},
    {"GET", "/api/v1/facilities/{id}/staff", handle_staff_list},
    {"POST", "/api/v1/facilities/{id}/staff", handle_staff_create},
    {"GET", "/api/v1/facilities/{id}/residents", handle_residents_list},
    {"POST", "/api/v1/facilities/{id}/residents", handle_residents_create},
    {"GET", "/api/v1/facilities/{id}/residents/{number}", handle_residents_get},
    {"PATCH", "/api/v1/facilities/{id}/residents/{number}", handle_residents_update},
    {"POST", "/api/v1/facilities/{id}/residents/{number}/transfer", handle_residents_transfer},
    {"GET", "/api/v1/facilities/{id}/blocks", handle_blocks_list},
    {"POST", "/api/v1/facilities/{id}/blocks", handle_blocks_create},
    {"DELETE", "/api/v1/facilities/{id}/blocks/{block_id}", handle_blocks_delete},
    {"GET", "/api/v1/invitations", handle_invitations_list},
    {"POST", "/api/v1/invitations", handle_invitations_create},
    {"POST", "/api/v1/invitations/accept", handle_invitations_accept},
    {"GET", "/api/v1/contact-requests", handle_contact_requests_list},
    {"POST", "/api/v1/contact-requests", handle_contact_requests_create},
    {"POST", "/api/v1/contact-requests/{id}/approve", handle_contact_requests_approve},
    {"POST", "/api/v1/contact-requests/{id}/decline", handle_contact_requests_decline},
    {"GET", "/api/v1/contacts", handle_contacts_list},
    {"GET", "/api/v1/contacts/{id}", handle_contacts_get},
    {"DELETE", "/api/v1/contacts/{id}", handle_contacts_delete},
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
