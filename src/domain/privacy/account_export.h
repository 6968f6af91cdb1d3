/*
 * account_export.h - what the export of a person's data needs beyond the
 * lists other contexts already give (messages, contacts, the statement,
 * transfers, phone accounts, subscriptions: api/privacy.c gathers those):
 * the photos of their messages, by id, type and size, and the audit record
 * that an export was made.
 *
 * SECURITY: read only the caller's own rows; a photo of a message sent to
 * them is listed only once that message was delivered, as attachment_get
 * would show it.
 */
#ifndef KITE_DOMAIN_PRIVACY_ACCOUNT_EXPORT_H
#define KITE_DOMAIN_PRIVACY_ACCOUNT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "domain/context.h"
#include "domain/messaging/attachment.h"

/* The photos of every message account_id sent, or received and was shown, oldest first, without bytes (in a). */
kite_err account_export_attachments(const kite_ctx *ctx, arena *a, int64_t account_id, attachment **items,
                                    size_t *count) KITE_WUR;

/* Appends the audit record of an export of account_id's data holding messages messages. */
kite_err account_export_record(const kite_ctx *ctx, arena *a, int64_t account_id, size_t messages) KITE_WUR;

#endif
