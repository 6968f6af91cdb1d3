// The permission matrix: every endpoint × every role × own facility (A) and
// another facility (B, also on the platform). The expected answers are written
// out below as a table; they follow SPEC.md "People (roles)":
//
//   - public endpoints (health, OpenAPI, directory, providers, a facility's
//     public policy, registration, sign-in) answer everyone;
//   - no token → 401; a role that may never do something → 403;
//   - staff (facility_admin, reviewer, investigator) belong to facility A and
//     get 404 for anything of facility B — never 403 ("a reviewer of facility A
//     gets 404 for anything of facility B"); the operator may do everything;
//   - residents and contacts only reach their own invitations, requests and
//     contacts; somebody else's answers 404.
//
// Allowed calls send a minimal valid body and must answer 2xx, except where the
// table says 422: there the body is deliberately wrong (e.g. a transfer to the
// same facility) so that the call proves access without moving anyone.
import { test, before, after } from 'node:test';
import http from 'node:http';
import {
  World, assert, facilityIdByName, describeRes, bopNumber, anyNumber, uniqueEmail, strongPassword,
} from './lib/flows.mjs';
import { session, sqlFlag, sqlGroupConcat } from './lib/kite.mjs';
import { makePng } from './lib/png.mjs';
import { smallWebm } from './lib/video.mjs';

const ROLES = ['anonymous', 'contact', 'resident', 'reviewer', 'investigator', 'facility_admin', 'operator'];
const OK = 'ok';

// ---------------------------------------------------------------------------
// The expected table. Scope: A = the staff's and the resident's own facility
// (or, for contacts/requests, the caller's own item); B = another facility
// (or somebody else's item); '-' = the endpoint has no facility or item.
//
//   method  path                                                  scope   anon  contact resident reviewer investig f_admin operator
const TABLE = [
  ['GET',    '/healthz',                                             '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  // Only for the addresses of kite serve --metrics-from, whoever signs in; none here (tests/blackbox/metrics.test.mjs).
  ['GET',    '/metrics',                                             '-', [404, 404, 404, 404, 404, 404, 404]],
  ['GET',    '/api/v1/openapi.json',                                 '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/accounts',                                     '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/sessions',                                     '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/me',                                           '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  // One's own language: every signed-in role, residents and staff too (sets "en", which it already is).
  ['PATCH',  '/api/v1/me',                                           '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities',                                   '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/providers',                                    '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}',                              'A', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}',                              'B', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/policy',                       'A', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/policy',                       'B', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/policy',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/policy',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/staff',                        'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/staff',                        'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/staff',                        'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/staff',                        'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/residents',                    'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/residents',                    'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/residents',                    'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/residents',                    'B', [401, 403, 403, 404, 404, 404, OK]],
  // A roster file with its header only: access is proven, nobody is added.
  ['POST',   '/api/v1/facilities/{id}/roster',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/roster',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/residents/{number}',           'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/residents/{number}',           'B', [401, 403, 403, 404, 404, 404, OK]],
  ['PATCH',  '/api/v1/facilities/{id}/residents/{number}',           'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PATCH',  '/api/v1/facilities/{id}/residents/{number}',           'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/residents/{number}/transfer',  'A', [401, 403, 403, 403, 403, 422, 422]],
  ['POST',   '/api/v1/facilities/{id}/residents/{number}/transfer',  'B', [401, 403, 403, 404, 404, 404, 422]],
  ['GET',    '/api/v1/facilities/{id}/blocks',                       'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/blocks',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/blocks',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/blocks',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/blocks/{block_id}',            'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/blocks/{block_id}',            'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/invitations',                                  '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/invitations',                                  '-', [401, 403, OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/invitations/preview',                          '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/invitations/accept',                           '-', [401, OK,  403, 403, 403, 403, 403]],
  // A resident withdraws their own pending invitation; somebody else's is not there for them.
  ['DELETE', '/api/v1/invitations/{id}',                             'A', [401, 403, OK,  403, 403, 403, 403]],
  ['DELETE', '/api/v1/invitations/{id}',                             'B', [401, 403, 404, 403, 403, 403, 403]],
  ['GET',    '/api/v1/contact-requests',                             '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests',                             '-', [401, OK,  403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/approve',                'A', [401, 403, OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/approve',                'B', [401, 403, 404, 403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/decline',                'A', [401, 403, OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/decline',                'B', [401, 403, 404, 403, 403, 403, 403]],
  // Messages come before DELETE /api/v1/contacts/{id}, which ends the matrix pair's contact.
  // A = a delivered message from the matrix contact to the matrix resident (facility A);
  // B = a message between two other people at facility B.
  ['GET',    '/api/v1/messages',                                     '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/messages',                                     '-', [401, OK,  OK,  403, 403, 403, 403]],
  // A quote writes nothing: the parties of a contact ask it like a send.
  ['POST',   '/api/v1/messages/quote',                               '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/messages/export',                              '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/messages/{id}',                                'A', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/messages/{id}',                                'B', [401, 404, 404, 404, 404, 404, OK]],
  ['POST',   '/api/v1/messages/{id}/read',                           'A', [401, 404, OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/messages/{id}/read',                           'B', [401, 404, 404, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/messages/{id}',                                'A', [401, OK,  OK,  403, 403, 403, 403]],
  ['DELETE', '/api/v1/messages/{id}',                                'B', [401, 404, 404, 403, 403, 403, 403]],
  // Withdrawing: only the sender, while it waits for review. A = a pending message from the matrix
  // contact (the resident is its recipient: 404); B = the pending message between two other people.
  ['POST',   '/api/v1/messages/{id}/withdraw',                       'A', [401, OK,  404, 403, 403, 403, 403]],
  ['POST',   '/api/v1/messages/{id}/withdraw',                       'B', [401, 404, 404, 403, 403, 403, 403]],
  // A = an unsent photo of the matrix contact's (only its owner sees it);
  // B = a photo sent with a pending message between two other people at facility B.
  ['POST',   '/api/v1/attachments',                                  '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/attachments/{id}',                             'A', [401, OK,  404, 404, 404, 404, 404]],
  ['GET',    '/api/v1/attachments/{id}',                             'B', [401, 404, 404, 404, 404, 404, OK]],
  // A video's poster (docs/video-messages.md). A = an unsent video of someone outside the matrix
  // (only its owner sees it); B = a video sent with the pending message at facility B.
  ['GET',    '/api/v1/attachments/{id}/poster',                      'A', [401, 404, 404, 404, 404, 404, 404]],
  ['GET',    '/api/v1/attachments/{id}/poster',                      'B', [401, 404, 404, 404, 404, 404, OK]],
  ['GET',    '/api/v1/events',                                       '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/review/queue',                                 'A', [401, 403, 403, OK,  403, OK,  OK]],
  ['GET',    '/api/v1/review/queue',                                 'B', [401, 403, 403, 404, 404, 404, OK]],
  // Investigators' search and who writes to whom: the facility's investigators and operators only.
  ['GET',    '/api/v1/investigations/messages',                      'A', [401, 403, 403, 403, OK,  403, OK]],
  ['GET',    '/api/v1/investigations/messages',                      'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/investigations/correspondents',                'A', [401, 403, 403, 403, OK,  403, OK]],
  ['GET',    '/api/v1/investigations/correspondents',                'B', [401, 403, 403, 404, 404, 404, OK]],
  // Attorneys: a contact registers (a bar number of the wrong shape: 422 proves access and registers
  // nothing), reads its own registration (the matrix contact has none: 404); only operators list,
  // verify and refuse (a refusal without its reason: 422 proves access and decides nothing).
  ['POST',   '/api/v1/attorneys',                                    '-', [401, 422, 403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/attorneys',                                    '-', [401, 403, 403, 403, 403, 403, OK]],
  ['GET',    '/api/v1/attorneys/me',                                 '-', [401, 404, 403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/attorneys/{id}/verify',                        '-', [401, 403, 403, 403, 403, 403, OK]],
  ['POST',   '/api/v1/attorneys/{id}/refuse',                        '-', [401, 403, 403, 403, 403, 403, 422]],
  // Legal holds (retention): the facility's investigators and admins, and operators.
  ['GET',    '/api/v1/facilities/{id}/legal-holds',                  'A', [401, 403, 403, 403, OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/legal-holds',                  'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/legal-holds',                  'A', [401, 403, 403, 403, OK,  OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/legal-holds',                  'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/legal-holds/{id}/lift',                        'A', [401, 403, 403, 403, OK,  OK,  OK]],
  ['POST',   '/api/v1/legal-holds/{id}/lift',                        'B', [401, 403, 403, 404, 404, 404, OK]],
  // Video visits (visits.test.mjs), before the matrix contact is removed below. The booking and quote bodies name no slot's start: 422 proves access and
  // books nothing. A decision with an over-long reason (or a decline without one) and a reschedule to no slot
  // answer 422 after the scope check (outside it: 404) and change nothing.
  ['POST',   '/api/v1/visits/quote',                                 '-', [401, 422, 422, 403, 403, 403, 403]],
  ['POST',   '/api/v1/visits',                                       '-', [401, 422, 422, 403, 403, 403, 403]],
  ['GET',    '/api/v1/visits',                                       '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/visits/{id}',                                  'A', [401, OK,  OK,  OK,  404, OK,  OK]],
  ['GET',    '/api/v1/visits/{id}',                                  'B', [401, 404, 404, 404, 404, 404, OK]],
  ['POST',   '/api/v1/visits/{id}/approve',                          'A', [401, 404, 404, 422, 404, 422, 422]],
  ['POST',   '/api/v1/visits/{id}/approve',                          'B', [401, 404, 404, 404, 404, 404, 422]],
  ['POST',   '/api/v1/visits/{id}/decline',                          'A', [401, 404, 404, 422, 404, 422, 422]],
  ['POST',   '/api/v1/visits/{id}/decline',                          'B', [401, 404, 404, 404, 404, 404, 422]],
  ['POST',   '/api/v1/visits/{id}/cancel',                           'A', [401, 422, 422, 422, 404, 422, 422]],
  ['POST',   '/api/v1/visits/{id}/cancel',                           'B', [401, 404, 404, 404, 404, 404, 422]],
  ['POST',   '/api/v1/visits/{id}/reschedule',                       'A', [401, 422, 422, 403, 403, 403, 403]],
  ['POST',   '/api/v1/visits/{id}/reschedule',                       'B', [401, 404, 404, 403, 403, 403, 403]],
  ['GET',    '/api/v1/facilities/{id}/visits',                       'A', [401, 403, 403, OK,  403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/visits',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-policy',                 'A', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-policy',                 'B', [401, OK,  OK,  404, 404, 404, OK]],
  ['PUT',    '/api/v1/facilities/{id}/visit-policy',                 'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/visit-policy',                 'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-rooms',                  'A', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-rooms',                  'B', [401, OK,  OK,  404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-rooms',                  'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-rooms',                  'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-slots',                  'A', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-slots',                  'B', [401, OK,  OK,  404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-slots',                  'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-slots',                  'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/visit-slots/{slot_id}',        'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/visit-slots/{slot_id}',        'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-blackouts',              'A', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/visit-blackouts',              'B', [401, OK,  OK,  404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-blackouts',              'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/visit-blackouts',              'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/visit-blackouts/{blackout_id}', 'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/visit-blackouts/{blackout_id}', 'B', [401, 403, 403, 404, 404, 404, OK]],
  // The live video visit (visit_live.c): a visit of the matrix pair (A) and of Bea's (B), running now. The parties
  // and the facility's reviewers and admins are in it; investigators do not see visits (404), and operators watch
  // none (403).  media "leave" proves access without the media engine; a mute of a side that sends nothing (409)
  // and an end without a reason (422) prove a monitor's access without changing anything.
  ['GET',    '/api/v1/visits/{id}/join',                             'A', [401, OK,  OK,  OK,  404, OK,  403]],
  ['GET',    '/api/v1/visits/{id}/join',                             'B', [401, 404, 404, 404, 404, 404, 403]],
  ['GET',    '/api/v1/visits/{id}/live',                             'A', [401, OK,  OK,  OK,  404, OK,  403]],
  ['GET',    '/api/v1/visits/{id}/live',                             'B', [401, 404, 404, 404, 404, 404, 403]],
  ['POST',   '/api/v1/visits/{id}/media',                            'A', [401, OK,  OK,  OK,  404, OK,  403]],
  ['POST',   '/api/v1/visits/{id}/media',                            'B', [401, 404, 404, 404, 404, 404, 403]],
  ['POST',   '/api/v1/visits/{id}/mute',                             'A', [401, 403, 403, 409, 404, 409, 403]],
  ['POST',   '/api/v1/visits/{id}/mute',                             'B', [401, 404, 404, 404, 404, 404, 403]],
  ['POST',   '/api/v1/visits/{id}/end',                              'A', [401, 403, 403, 422, 404, 422, 403]],
  ['POST',   '/api/v1/visits/{id}/end',                              'B', [401, 404, 404, 404, 404, 404, 403]],
  ['POST',   '/api/v1/review/{message_id}',                          'A', [401, 403, 403, OK,  403, OK,  OK]],
  ['POST',   '/api/v1/review/{message_id}',                          'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/review/bulk',                                  '-', [401, 403, 403, OK,  403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/reject-reasons',               'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/reject-reasons',               'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/screening-rules',              'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/screening-rules',              'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/screening-rules',              'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/screening-rules',              'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/screening-rules/{rule_id}',    'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/screening-rules/{rule_id}',    'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/contacts',                                     '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/contacts/{id}',                                'A', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/contacts/{id}',                                'B', [401, 404, 404, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/contacts/{id}',                                'A', [401, OK,  OK,  403, 403, 403, 403]],
  ['DELETE', '/api/v1/contacts/{id}',                                'B', [401, 404, 404, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/sessions/current',                             '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  // A tab reading its session: "none" is an answer (nulls), not an error.
  ['GET',    '/api/v1/sessions/current',                             '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  // Sign out everywhere: each role with an account of its own made for the call (it ends every session).
  ['DELETE', '/api/v1/sessions',                                     '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  // A forgotten password: anyone may ask (the same 202 for any address); confirming without a
  // password is 422 for everyone, which proves there is no role check to pass.
  ['POST',   '/api/v1/password-resets',                              '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/password-resets/confirm',                      '-', [422, 422, 422, 422, 422, 422, 422]],
  // Changing one's password with a wrong current one: 422 proves access and changes nothing;
  // residents have a PIN, which staff reset.
  ['POST',   '/api/v1/me/password',                                  '-', [401, 422, 403, 422, 422, 422, 422]],
  // A family member's own data: the export, and deletion with a wrong password (422 proves
  // access and deletes nothing); staff and residents are closed by whoever made them.
  ['GET',    '/api/v1/me/export',                                    '-', [401, OK,  403, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/me',                                           '-', [401, 422, 403, 403, 403, 403, 403]],
  // Email addresses: changing one needs the current password (a wrong one: 422, nothing sent);
  // asking for a new confirmation link is 204 for everyone signed in (nothing to send for staff);
  // the two links are anyone's to follow, and an unknown token is 404 for everyone.
  ['POST',   '/api/v1/me/email',                                     '-', [401, 422, 403, 422, 422, 422, 422]],
  ['POST',   '/api/v1/me/email-verification',                        '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/email-verifications/confirm',                  '-', [404, 404, 404, 404, 404, 404, 404]],
  ['POST',   '/api/v1/email-changes/confirm',                        '-', [404, 404, 404, 404, 404, 404, 404]],
  // The wallet: a contact's balance or a resident's trust account, the caller's own only.
  // A top-up here sends no card, so the contact's 422 proves access without charging anything.
  ['GET',    '/api/v1/wallet',                                       '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/wallet/top-ups',                               '-', [401, 422, 403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/wallet/transactions',                          '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/wallet/transactions.csv',                      '-', [401, OK,  OK,  403, 403, 403, 403]],
  // A bundle here names no unit, so the contact's 422 proves access without buying anything.
  ['POST',   '/api/v1/wallet/bundles',                               '-', [401, 422, 403, 403, 403, 403, 403]],
  // A subscription here names no months, so the contact's 422 proves access without buying anything.
  ['POST',   '/api/v1/wallet/subscriptions',                         '-', [401, 422, 403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/facilities/{id}/prices',                       'A', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/prices',                       'B', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  // Phone: the facility phone system's API keys (the facility's admin and operators), call records
  // (an API key only: a session token is never one, so every role answers 401), and the contact's
  // own prepaid phone accounts. Opening one with a malformed number and depositing 0 prove access
  // with 422 without moving anything; a refund is tried on somebody else's account only.
  ['GET',    '/api/v1/facilities/{id}/api-keys',                     'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/api-keys',                     'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/api-keys',                     'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/api-keys',                     'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/api-keys/{key_id}',            'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/api-keys/{key_id}',            'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/calls',                        'A', [401, 401, 401, 401, 401, 401, 401]],
  ['POST',   '/api/v1/facilities/{id}/calls',                        'B', [401, 401, 401, 401, 401, 401, 401]],
  ['GET',    '/api/v1/phone-accounts',                               '-', [401, OK,  403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/phone-accounts',                               '-', [401, 422, 403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/phone-accounts/{id}',                          'A', [401, OK,  403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/phone-accounts/{id}',                          'B', [401, 404, 403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/phone-accounts/{id}/deposits',                 'A', [401, 422, 403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/phone-accounts/{id}/refunds',                  'B', [401, 404, 403, 403, 403, 403, 403]],
  // Money transfers: contacts only. The bodies name no resident, so the contact's 422 proves
  // access without moving money.
  ['POST',   '/api/v1/money-transfers/quote',                        '-', [401, 422, 403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/money-transfers',                              '-', [401, 422, 403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/money-transfers',                              '-', [401, OK,  403, 403, 403, 403, 403]],
  // Terminal time: residents only. The resident of A (federal, 5 cents a minute) has an empty
  // trust account, so the 402 proves access without charging anything.
  ['POST',   '/api/v1/terminal/heartbeat',                           '-', [401, 403, 402, 403, 403, 403, 403]],
  // A facility's prices are public, so refusing another facility's staff with 404 would hide
  // nothing: whoever may not set them gets 403. The revenue report keeps the usual scope.
  ['PUT',    '/api/v1/facilities/{id}/prices',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/prices',                       'B', [401, 403, 403, 403, 403, 403, OK]],
  ['GET',    '/api/v1/facilities/{id}/revenue',                      'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/revenue',                      'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/revenue.csv',                  'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/revenue.csv',                  'B', [401, 403, 403, 404, 404, 404, OK]],
  // Trust deposits: the facility's admin for its own residents, and the operator.
  ['POST',   '/api/v1/residents/{id}/trust-deposits',                'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/residents/{id}/trust-deposits',                'B', [401, 403, 403, 404, 404, 404, OK]],
  // Two-factor sign-in: staff and operators, each for their own account (the matrix's are enrolled, so
  // starting again is 409 and a code of the wrong shape 422); an operator resets someone else's.
  ['GET',    '/api/v1/me/two-factor',                                '-', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/me/two-factor',                                '-', [401, 403, 403, 409, 409, 409, 409]],
  ['POST',   '/api/v1/me/two-factor/confirm',                        '-', [401, 403, 403, 409, 409, 409, 409]],
  ['POST',   '/api/v1/me/two-factor/recovery-codes',                 '-', [401, 403, 403, 422, 422, 422, 422]],
  ['DELETE', '/api/v1/accounts/{id}/two-factor',                     '-', [401, 403, 403, 403, 403, 403, OK]],
  // The staff-activity report: the facility's admin and operators.
  ['GET',    '/api/v1/facilities/{id}/staff-activity',               'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/staff-activity',               'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/staff-activity.csv',           'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/staff-activity.csv',           'B', [401, 403, 403, 404, 404, 404, OK]],
];

// The error code each refusal must carry.
const CODE_FOR = { 401: 'unauthenticated', 402: 'insufficient_funds', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'invalid_field' };

// A small RGB PNG for the photo uploads.
const PNG = makePng(32, 24);
const PNG_HEADERS = { 'Content-Type': 'image/png' };
const VIDEO = smallWebm();

let w;
let op;
const FAC = {}; // A, B ids
const people = {}; // role → {token, ...}
const fixtures = {};

before(async () => {
  // A media engine is named so the live visit's routes are on; the matrix's calls never reach it (see its rows).
  w = await World.start({ extraArgs: ['--janus-url', process.env.KITE_TEST_JANUS || 'http://127.0.0.1:9/janus',
    '--janus-admin-url', process.env.KITE_TEST_JANUS_ADMIN || 'http://127.0.0.1:9/admin'] });
  op = await w.operator();
  FAC.A = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  FAC.B = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  // A takes both invitations and requests, so every contact flow has an "own" case there.
  await w.putPolicy(op.token, FAC.A, { profile: 'federal', contact_initiation: 'both' }, 201);
  await w.putPolicy(op.token, FAC.B, { profile: 'jpay' }, 201);

  people.operator = op;
  people.facility_admin = await w.staff(op.token, FAC.A, 'facility_admin');
  people.reviewer = await w.staff(op.token, FAC.A, 'reviewer');
  people.investigator = await w.staff(op.token, FAC.A, 'investigator');
  people.contact = await w.contact();
  people.resident = await w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Ava', last_name: 'Matrix' });
  people.anonymous = { token: undefined };

  const ra2 = await w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Abe', last_name: 'Matrix' });
  const rb = await w.resident(op.token, FAC.B, { number: anyNumber('B'), first_name: 'Bea', last_name: 'Matrix' });
  const rb2 = await w.resident(op.token, FAC.B, { number: anyNumber('B'), first_name: 'Bo', last_name: 'Matrix' });
  fixtures.number = { A: people.resident.number, B: rb.number };
  fixtures.rb2 = rb2;

  // The matrix contact is a contact of the matrix resident (own item); Z and Bea are somebody else's.
  fixtures.ownContact = (await w.connectByInvitation(people.resident, people.contact)).id;
  const z = await w.contact();
  fixtures.otherContact = (await w.connectByRequest(rb, z)).id;
  fixtures.z = z;
  fixtures.rb = rb;
  // An attorney's registration waiting for an operator (POST /api/v1/attorneys/{id}/verify, /refuse).
  const lawyer = await w.contact();
  fixtures.attorney = (await w.post('/api/v1/attorneys', { bar_number: '12345', bar_state: 'TX' }, lawyer.token)).json.id;
  // Messages are paid for: Bea's contact writes from a jpay facility, so buys stamps there.
  await w.fundContact(z, FAC.B, 'jpay');
  fixtures.residentId = { A: await w.residentId(op.token, people.resident), B: await w.residentId(op.token, rb) };
  // Pending requests: two to the matrix resident (approve, decline), one to Bea (somebody else's).
  const x1 = await w.contact();
  const x2 = await w.contact();
  const z2 = await w.contact();
  fixtures.request = {
    approve: { A: (await w.request(x1, { facility_id: FAC.A, resident_number: people.resident.number })).json.id },
    decline: { A: (await w.request(x2, { facility_id: FAC.A, resident_number: people.resident.number })).json.id },
  };
  const zReq = (await w.request(z2, { facility_id: FAC.B, resident_number: rb.number })).json.id;
  fixtures.request.approve.B = zReq;
  fixtures.request.decline.B = zReq;
  // An invitation for the matrix contact from another resident of A, for the accept call.
  await w.invite(ra2, people.contact.email);
  fixtures.acceptToken = await w.inviteToken(people.contact.email, { after: 1 });
  const previewed = uniqueEmail('preview');
  await w.invite(ra2, previewed);
  fixtures.previewToken = await w.inviteToken(previewed);
  // Pending invitations to withdraw: the matrix resident's own, and one of another resident.
  fixtures.invitation = {
    A: (await w.invite(people.resident, uniqueEmail('withdrawn'))).json.id,
    B: (await w.invite(ra2, uniqueEmail('not-theirs'))).json.id,
  };
  // One block per (role, facility) to delete.
  fixtures.blocks = { A: {}, B: {} };
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const b = await w.post(`/api/v1/facilities/${FAC[scope]}/blocks`, { email: uniqueEmail('blk') }, op.token);
      assert.equal(b.status, 201, describeRes(b));
      fixtures.blocks[scope][role] = b.json.id;
    }
  }

  // Messages. A: the matrix contact writes to the matrix resident; A reviews every message,
  // so the operator approves it and it is delivered. B: Bea's contact writes to Bea with a
  // photo (B's jpay profile allows photos); it stays pending.
  const send = async (who, contactId, subject, extra = {}) => {
    const r = await w.post('/api/v1/messages', { contact_id: contactId, subject, body: `${subject}: hello`, ...extra }, who.token);
    assert.equal(r.status, 202, `send ${subject}: ${describeRes(r)}`);
    return r.json.id;
  };
  const upload = async (who) => {
    const r = await w.srv.request('POST', '/api/v1/attachments', { body: PNG, token: who.token, headers: PNG_HEADERS });
    assert.equal(r.status, 201, `upload: ${describeRes(r)}`);
    return r.json.id;
  };
  fixtures.message = { A: await send(people.contact, fixtures.ownContact, 'Matrix A') };
  const approved = await w.post(`/api/v1/review/${fixtures.message.A}`, { decision: 'approve' }, op.token);
  assert.equal(approved.status, 200, `approve: ${describeRes(approved)}`);
  assert.equal(approved.json.status, 'delivered');
  const photoB = await upload(z);
  const uploadVideo = async (who) => {
    const r = await w.srv.request('POST', '/api/v1/attachments', { body: VIDEO, token: who.token, headers: { 'Content-Type': 'video/webm' }, timeoutMs: 120_000 });
    assert.equal(r.status, 201, `video upload: ${describeRes(r)}`);
    return r.json.id;
  };
  fixtures.video = { A: await uploadVideo(z), B: await uploadVideo(z) };
  fixtures.message.B = await send(z, fixtures.otherContact, 'Matrix B', { attachment_ids: [photoB, fixtures.video.B] });
  fixtures.attachment = { A: await upload(people.contact), B: photoB };
  fixtures.withdraw = { A: await send(people.contact, fixtures.ownContact, 'Matrix withdraw'), B: fixtures.message.B };
  // Pending messages to decide: one per (role, facility), and one per role for the bulk call.
  // A's come from another pair there (Cy and Yves), so the matrix pair's boxes stay small.
  const ra3 = await w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Cy', last_name: 'Matrix' });
  const y = await w.contact({ full_name: 'Yves Matrix' });
  const yc = (await w.connectByInvitation(ra3, y)).id;
  fixtures.ra3 = ra3;
  fixtures.y = y;
  fixtures.review = { A: {}, B: {} };
  fixtures.bulk = {};
  for (const role of ROLES) {
    fixtures.review.A[role] = await send(y, yc, `review A ${role}`);
    fixtures.review.B[role] = await send(z, fixtures.otherContact, `review B ${role}`);
    fixtures.bulk[role] = await send(y, yc, `bulk ${role}`);
  }
  // One screening rule per (role, facility) to delete.
  fixtures.rules = { A: {}, B: {} };
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const r = await w.post(`/api/v1/facilities/${FAC[scope]}/screening-rules`, { kind: 'words', value: `contraband${role.replace('_', '')}`, action: 'flag' }, op.token);
      assert.equal(r.status, 201, describeRes(r));
      fixtures.rules[scope][role] = r.json.id;
    }
  }
  // One legal hold per (role, facility) to lift.
  fixtures.legalHolds = { A: {}, B: {} };
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const subject = scope === 'A' ? fixtures.ownContact : fixtures.otherContact;
      const r = await w.post(`/api/v1/facilities/${FAC[scope]}/legal-holds`, { subject_kind: 'thread', subject_id: subject, case_reference: `lift ${role}` }, op.token);
      assert.equal(r.status, 201, describeRes(r));
      fixtures.legalHolds[scope][role] = r.json.id;
    }
  }
  // A video visit of each pair running now (visit_live.c): free (a video rate of 0, so nobody's balance moves),
  // no lead time, no approval, a slot starting within two minutes (its room opens five minutes before) on UTC.
  // The facility's visit policy and video rate are put back afterwards, for the booking rows' own fixtures.
  fixtures.liveVisit = {};
  const startMs = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
  const start = new Date(startMs);
  const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:${String(start.getUTCMinutes()).padStart(2, '0')}`;
  for (const [scope, contact, contactId] of [['A', people.contact, fixtures.ownContact], ['B', z, fixtures.otherContact]]) {
    const fid = FAC[scope];
    const policyBefore = (await w.get(`/api/v1/facilities/${fid}/visit-policy`, op.token)).json;
    const rateBefore = (await w.get(`/api/v1/facilities/${fid}/prices`, op.token)).json.video_cents_per_minute;
    assert.equal((await w.put(`/api/v1/facilities/${fid}/prices`, { video_cents_per_minute: 0 }, op.token)).status, 200);
    const vp = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
      { time_zone: 'UTC', lead_minutes: 0, approval_required: false, monitoring_required: false }, op.token);
    assert.ok(vp.status === 200 || vp.status === 201, describeRes(vp));
    const room = await w.post(`/api/v1/facilities/${fid}/visit-rooms`, { name: 'Live visit kiosk' }, op.token);
    assert.equal(room.status, 201, describeRes(room));
    const slot = await w.post(`/api/v1/facilities/${fid}/visit-slots`,
      { room_id: room.json.id, weekday: start.getUTCDay(), start_time: hhmm, length_minutes: 60, capacity: 2 }, op.token);
    assert.equal(slot.status, 201, describeRes(slot));
    const v = await w.post('/api/v1/visits', { contact_id: contactId, starts_at: start.toISOString() }, contact.token,
      { headers: { 'Idempotency-Key': `matrix-live-${scope}-${startMs}` } });
    assert.equal(v.status, 201, describeRes(v));
    fixtures.liveVisit[scope] = v.json.id;
    const { time_zone: zone, lead_minutes: lead, approval_required: approval, monitoring_required: monitoring } = policyBefore;
    const back = await w.put(`/api/v1/facilities/${fid}/visit-policy`,
      { time_zone: zone, lead_minutes: lead, approval_required: approval, monitoring_required: monitoring }, op.token);
    assert.ok(back.status === 200 || back.status === 201, describeRes(back));
    assert.equal((await w.put(`/api/v1/facilities/${fid}/prices`, { video_cents_per_minute: rateBefore }, op.token)).status, 200);
  }
  // Phone: a key per facility to revoke (revoking it again answers the same), and a phone
  // account of the matrix contact (A) and of somebody else (B).
  fixtures.apiKeys = {};
  fixtures.phoneAccounts = {};
  for (const scope of ['A', 'B']) {
    const k = await w.post(`/api/v1/facilities/${FAC[scope]}/api-keys`, undefined, op.token);
    assert.equal(k.status, 201, describeRes(k));
    fixtures.apiKeys[scope] = k.json.id;
  }
  const ownPhone = await w.post('/api/v1/phone-accounts', { facility_id: FAC.A, phone_number: '+1 415 555 0101' }, people.contact.token);
  assert.equal(ownPhone.status, 201, describeRes(ownPhone));
  const otherPhone = await w.post('/api/v1/phone-accounts', { facility_id: FAC.B, phone_number: '+1 415 555 0102' }, z.token);
  assert.equal(otherPhone.status, 201, describeRes(otherPhone));
  fixtures.phoneAccounts = { A: ownPhone.json.id, B: otherPhone.json.id };
  // Video visits: each facility's zone, a room and a slot two days ahead; a visit booked at A (the
  // matrix pair) and at B (Bea's); a slot and a blackout per (role, facility) to remove.
  await w.topUp(people.contact, 5000);
  await w.topUp(z, 5000);
  fixtures.visitRoom = {};
  fixtures.visitSpareRoom = {};
  fixtures.visitStart = {};
  fixtures.visitSlots = { A: {}, B: {} };
  fixtures.visitBlackouts = { A: {}, B: {} };
  for (const scope of ['A', 'B']) {
    const zone = scope === 'A' ? 'America/Chicago' : 'America/Los_Angeles';
    const pol = await w.put(`/api/v1/facilities/${FAC[scope]}/visit-policy`, { time_zone: zone }, op.token);
    assert.equal(pol.status, 200, describeRes(pol));
    const room = await w.post(`/api/v1/facilities/${FAC[scope]}/visit-rooms`, { name: 'Matrix kiosk' }, op.token);
    assert.equal(room.status, 201, describeRes(room));
    fixtures.visitRoom[scope] = room.json.id;
    const start = Math.floor((Date.now() + 2 * 86400000) / 60000) * 60000;
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(start));
    const part = (t) => parts.find((x) => x.type === t).value;
    const slot = await w.post(`/api/v1/facilities/${FAC[scope]}/visit-slots`, {
      room_id: room.json.id, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday')),
      start_time: `${part('hour')}:${part('minute')}`, length_minutes: 30, capacity: 5,
    }, op.token);
    assert.equal(slot.status, 201, describeRes(slot));
    fixtures.visitStart[scope] = new Date(start).toISOString();
    // One slot per role to retire, end to end in a kiosk of their own (a room holds one slot at a time).
    const spare = await w.post(`/api/v1/facilities/${FAC[scope]}/visit-rooms`, { name: 'Matrix spare kiosk' }, op.token);
    assert.equal(spare.status, 201, describeRes(spare));
    fixtures.visitSpareRoom[scope] = spare.json.id;
    for (let i = 0; i < ROLES.length; i++) {
      const from = 6 * 60 + 30 * i;
      const hhmm = `${String(Math.floor(from / 60)).padStart(2, '0')}:${String(from % 60).padStart(2, '0')}`;
      const sl = await w.post(`/api/v1/facilities/${FAC[scope]}/visit-slots`, {
        room_id: spare.json.id, weekday: 0, start_time: hhmm, length_minutes: 30, capacity: 1,
      }, op.token);
      assert.equal(sl.status, 201, describeRes(sl));
      fixtures.visitSlots[scope][ROLES[i]] = sl.json.id;
      const b = await w.post(`/api/v1/facilities/${FAC[scope]}/visit-blackouts`, { day: `2031-03-${10 + i}` }, op.token);
      assert.equal(b.status, 201, describeRes(b));
      fixtures.visitBlackouts[scope][ROLES[i]] = b.json.id;
    }
  }
  const booked = async (who, contactId, scope) => {
    const r = await w.post('/api/v1/visits', { contact_id: contactId, starts_at: fixtures.visitStart[scope] }, who.token);
    assert.equal(r.status, 201, `book a visit at ${scope}: ${describeRes(r)}`);
    return r.json.id;
  };
  fixtures.visit = { A: await booked(people.contact, fixtures.ownContact, 'A'), B: await booked(z, fixtures.otherContact, 'B') };
});
after(async () => { if (w) await w.close(); });

// ---------------------------------------------------------------------------
// How to call each endpoint as `role` in `scope`: the concrete path and a minimal body.

/* A new account of the role, signed in: for calls that end every session of their account. */
async function throwaway(role) {
  if (role === 'contact') return w.contact();
  if (role === 'resident') return w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Tia', last_name: 'Matrix' });
  if (role === 'operator') return w.cliUser('operator');
  return w.staff(op.token, FAC.A, role);
}

async function build(method, template, scope, role) {
  const fid = scope === '-' ? null : FAC[scope];
  let p = template.replace('{id}', String(fid));
  let body;
  let headers;
  let token = people[role].token;
  const key = `${method} ${template}`;
  switch (key) {
    case 'POST /api/v1/accounts':
      body = { email: uniqueEmail('reg'), password: strongPassword(), full_name: 'Matrix Person', phone: '+1 555 0199' };
      break;
    case 'POST /api/v1/sessions':
      body = { email: people.contact.email, password: people.contact.password };
      break;
    case 'DELETE /api/v1/sessions/current':
      // A throwaway session, so the role's main token keeps working.
      if (role === 'resident') {
        const s = await w.post('/api/v1/sessions', { facility_id: FAC.A, resident_number: people.resident.number, pin: people.resident.pin });
        token = s.json.token;
      } else if (role !== 'anonymous') {
        token = (await session(w.srv, people[role].email, people[role].password)).token;
      }
      break;
    case 'DELETE /api/v1/sessions':
      if (role !== 'anonymous') token = (await throwaway(role)).token;
      break;
    case 'POST /api/v1/password-resets':
      body = { email: uniqueEmail('forgot') };
      break;
    case 'POST /api/v1/password-resets/confirm':
      body = { token: 'f'.repeat(64) };
      break;
    case 'PATCH /api/v1/me':
      body = { lang: 'en' };
      break;
    case 'POST /api/v1/me/password':
      body = { current_password: 'not the current password', new_password: strongPassword() };
      break;
    case 'DELETE /api/v1/me':
      body = { current_password: 'not the current password', confirm: 'DELETE' };
      break;
    case 'POST /api/v1/me/email':
      body = { new_email: uniqueEmail('matrix-move'), current_password: 'not the current password' };
      break;
    case 'POST /api/v1/email-verifications/confirm':
    case 'POST /api/v1/email-changes/confirm':
      body = { token: 'f'.repeat(64) };
      break;
    case 'POST /api/v1/facilities/{id}/roster':
      body = Buffer.from('resident_number,first_name,last_name\n');
      headers = { 'Content-Type': 'text/csv' };
      break;
    case 'DELETE /api/v1/invitations/{id}':
      p = template.replace('{id}', String(fixtures.invitation[scope]));
      break;
    case 'PUT /api/v1/facilities/{id}/policy':
      body = scope === 'A' ? { profile: 'federal', contact_initiation: 'both' } : { profile: 'jpay' };
      break;
    case 'POST /api/v1/facilities/{id}/staff':
      body = { email: uniqueEmail('stf'), full_name: 'Matrix Staff', role: 'reviewer', password: strongPassword() };
      break;
    case 'POST /api/v1/facilities/{id}/residents':
      body = { resident_number: scope === 'A' ? bopNumber() : anyNumber('M'), first_name: 'New', last_name: 'Matrix' };
      break;
    case 'PATCH /api/v1/facilities/{id}/residents/{number}':
      body = { first_name: scope === 'A' ? 'Ava' : 'Bea' };
      break;
    case 'POST /api/v1/facilities/{id}/residents/{number}/transfer':
      body = { to_facility_id: fid }; // the same facility: 422, nobody moves
      break;
    case 'POST /api/v1/facilities/{id}/blocks':
      body = { email: uniqueEmail('blk') };
      break;
    case 'DELETE /api/v1/facilities/{id}/blocks/{block_id}':
      p = p.replace('{block_id}', String(fixtures.blocks[scope][role]));
      break;
    case 'POST /api/v1/invitations':
      body = { email: uniqueEmail('inv') };
      break;
    case 'GET /api/v1/invitations/preview':
      p = `${template}?token=${fixtures.previewToken}`;
      break;
    case 'POST /api/v1/invitations/accept':
      body = { token: fixtures.acceptToken };
      break;
    case 'POST /api/v1/contact-requests':
      body = { facility_id: FAC.B, resident_number: fixtures.rb2.number };
      break;
    case 'POST /api/v1/contact-requests/{id}/approve':
      p = template.replace('{id}', String(fixtures.request.approve[scope]));
      break;
    case 'POST /api/v1/contact-requests/{id}/decline':
      p = template.replace('{id}', String(fixtures.request.decline[scope]));
      break;
    case 'GET /api/v1/contacts/{id}':
    case 'DELETE /api/v1/contacts/{id}':
      p = template.replace('{id}', String(scope === 'A' ? fixtures.ownContact : fixtures.otherContact));
      break;
    case 'POST /api/v1/messages':
      body = { contact_id: fixtures.ownContact, subject: `from the ${role}`, body: 'A short note.' };
      break;
    case 'GET /api/v1/messages/{id}':
    case 'DELETE /api/v1/messages/{id}':
    case 'POST /api/v1/messages/{id}/read':
      p = template.replace('{id}', String(fixtures.message[scope]));
      break;
    case 'POST /api/v1/messages/{id}/withdraw':
      p = template.replace('{id}', String(fixtures.withdraw[scope]));
      break;
    case 'POST /api/v1/attachments':
      body = PNG;
      headers = PNG_HEADERS;
      break;
    case 'GET /api/v1/attachments/{id}':
      p = template.replace('{id}', String(fixtures.attachment[scope]));
      break;
    case 'GET /api/v1/attachments/{id}/poster':
      p = template.replace('{id}', String(fixtures.video[scope]));
      break;
    case 'GET /api/v1/review/queue':
      p = `${template}?facility_id=${fid}`;
      break;
    case 'GET /api/v1/investigations/messages':
      p = `${template}?facility_id=${fid}&q=note`;
      break;
    case 'POST /api/v1/me/two-factor/confirm':
    case 'POST /api/v1/me/two-factor/recovery-codes':
      body = { code: 'abcdef' };
      break;
    case 'DELETE /api/v1/accounts/{id}/two-factor':
      // Resetting ends the account's sessions: a throwaway reviewer's, never the matrix's own.
      p = template.replace('{id}', String(role === 'operator' ? (await throwaway('reviewer')).account.id : people.reviewer.account.id));
      break;
    case 'GET /api/v1/investigations/correspondents':
      p = `${template}?facility_id=${fid}&contact_id=${people.contact.account.id}`;
      break;
    case 'POST /api/v1/facilities/{id}/legal-holds':
      body = { subject_kind: 'thread', subject_id: scope === 'A' ? fixtures.ownContact : fixtures.otherContact, case_reference: `matrix ${role}` };
      break;
    case 'GET /api/v1/visits/{id}/join':
    case 'GET /api/v1/visits/{id}/live':
      p = template.replace('{id}', String(fixtures.liveVisit[scope]));
      break;
    case 'POST /api/v1/visits/{id}/media':
      p = template.replace('{id}', String(fixtures.liveVisit[scope]));
      body = { action: 'leave' };
      break;
    case 'POST /api/v1/visits/{id}/mute':
      p = template.replace('{id}', String(fixtures.liveVisit[scope]));
      body = { side: 'contact', media: 'audio', muted: true };
      break;
    case 'POST /api/v1/visits/{id}/end':
      p = template.replace('{id}', String(fixtures.liveVisit[scope]));
      body = { reason: '' };
      break;
    case 'POST /api/v1/legal-holds/{id}/lift':
      p = template.replace('{id}', String(fixtures.legalHolds[scope][role]));
      break;
    case 'POST /api/v1/visits/quote':
    case 'POST /api/v1/visits':
      body = { contact_id: fixtures.ownContact, starts_at: new Date(Date.parse(fixtures.visitStart.A) + 7 * 60000).toISOString() };
      break;
    case 'GET /api/v1/visits/{id}':
      p = template.replace('{id}', String(fixtures.visit[scope]));
      break;
    case 'POST /api/v1/visits/{id}/approve':
    case 'POST /api/v1/visits/{id}/cancel':
      p = template.replace('{id}', String(fixtures.visit[scope]));
      body = { reason: 'x'.repeat(501) };
      break;
    case 'POST /api/v1/visits/{id}/decline':
      p = template.replace('{id}', String(fixtures.visit[scope]));
      body = {};
      break;
    case 'POST /api/v1/visits/{id}/reschedule':
      p = template.replace('{id}', String(fixtures.visit[scope]));
      body = { starts_at: new Date(Date.parse(fixtures.visitStart[scope]) + 7 * 60000).toISOString() };
      break;
    case 'PUT /api/v1/facilities/{id}/visit-policy':
      body = { time_zone: scope === 'A' ? 'America/Chicago' : 'America/Los_Angeles' };
      break;
    case 'POST /api/v1/facilities/{id}/visit-rooms':
      body = { name: `Matrix room ${role}` };
      break;
    case 'POST /api/v1/facilities/{id}/visit-slots':
      // Each role its own half hour on a day the spare kiosk is free: a room holds one slot at a time.
      body = { room_id: fixtures.visitSpareRoom[scope], weekday: 3, start_time: `${String(7 + ROLES.indexOf(role)).padStart(2, '0')}:00`, length_minutes: 30, capacity: 1 };
      break;
    case 'DELETE /api/v1/facilities/{id}/visit-slots/{slot_id}':
      p = p.replace('{slot_id}', String(fixtures.visitSlots[scope][role]));
      break;
    case 'POST /api/v1/facilities/{id}/visit-blackouts':
      body = { day: `2032-04-${10 + ROLES.indexOf(role)}`, reason: 'Matrix' };
      break;
    case 'DELETE /api/v1/facilities/{id}/visit-blackouts/{blackout_id}':
      p = p.replace('{blackout_id}', String(fixtures.visitBlackouts[scope][role]));
      break;
    case 'POST /api/v1/review/{message_id}':
      p = template.replace('{message_id}', String(fixtures.review[scope][role]));
      body = { decision: 'approve' };
      break;
    case 'POST /api/v1/review/bulk':
      body = { message_ids: [fixtures.bulk[role]], decision: 'approve' };
      break;
    case 'POST /api/v1/facilities/{id}/screening-rules':
      body = { kind: 'words', value: 'escape', action: 'flag' };
      break;
    case 'DELETE /api/v1/facilities/{id}/screening-rules/{rule_id}':
      p = p.replace('{rule_id}', String(fixtures.rules[scope][role]));
      break;
    case 'POST /api/v1/wallet/bundles':
      body = { facility_id: FAC.A, count: 5 };
      headers = { 'Idempotency-Key': `perm-${role}-${Date.now()}` };
      break;
    case 'POST /api/v1/money-transfers/quote':
      body = { facility_id: FAC.A };
      break;
    case 'POST /api/v1/money-transfers':
      body = { facility_id: FAC.A };
      headers = { 'Idempotency-Key': `perm-${role}-${Date.now()}` };
      break;
    case 'POST /api/v1/messages/quote':
      body = { contact_id: fixtures.ownContact, subject: `quote for the ${role}`, body: 'A short note.' };
      break;
    case 'POST /api/v1/residents/{id}/trust-deposits':
      p = template.replace('{id}', String(fixtures.residentId[scope]));
      body = { amount_cents: 100, memo: `matrix ${role}` };
      headers = { 'Idempotency-Key': `perm-trust-${role}-${scope}-${Date.now()}` };
      break;
    case 'POST /api/v1/wallet/subscriptions':
      body = { facility_id: FAC.A };
      headers = { 'Idempotency-Key': `perm-sub-${role}-${Date.now()}` };
      break;
    case 'POST /api/v1/wallet/top-ups':
      body = { amount_cents: 1000 };
      headers = { 'Idempotency-Key': `perm-${role}-${Date.now()}` };
      break;
    case 'DELETE /api/v1/facilities/{id}/api-keys/{key_id}':
      p = p.replace('{key_id}', String(fixtures.apiKeys[scope]));
      break;
    case 'POST /api/v1/facilities/{id}/calls':
      body = { call_id: `perm-${role}`, phone_number: '+14155550199', resident_number: people.resident.number, started_at: '2026-11-30T14:05:00Z', duration_seconds: 60 };
      headers = { 'Idempotency-Key': `perm-${role}` };
      break;
    case 'POST /api/v1/phone-accounts':
      body = { facility_id: FAC.A, phone_number: 'not a number' };
      break;
    case 'GET /api/v1/phone-accounts/{id}':
    case 'POST /api/v1/phone-accounts/{id}/deposits':
    case 'POST /api/v1/phone-accounts/{id}/refunds':
      p = template.replace('{id}', String(fixtures.phoneAccounts[scope]));
      body = key.endsWith('deposits') ? { amount_cents: 0 } : undefined;
      headers = { 'Idempotency-Key': `perm-${role}-${Date.now()}` };
      break;
    case 'PUT /api/v1/facilities/{id}/prices':
      body = { terminal_cents_per_minute: 5 };
      break;
    case 'POST /api/v1/attorneys':
      body = { bar_number: 'no digits here', bar_state: 'TX' };
      break;
    case 'POST /api/v1/attorneys/{id}/verify':
    case 'POST /api/v1/attorneys/{id}/refuse':
      p = template.replace('{id}', String(fixtures.attorney));
      body = {};
      break;
    case 'GET /api/v1/facilities/{id}/revenue':
    case 'GET /api/v1/facilities/{id}/revenue.csv':
      p = `${p}?from=2026-01-01&to=2026-12-31`;
      break;
    default:
      break;
  }
  if (p.includes('{number}')) p = p.replace('{number}', encodeURIComponent(fixtures.number[scope]));
  return { path: p, body, token, headers };
}

// GET /api/v1/events never ends when it is allowed: take the status line and headers, then
// hang up; a refusal is read to its end like any other answer.
function openEvents(port, path, token) {
  return new Promise((resolve, reject) => {
    const headers = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path, headers, agent: false }, (res) => {
      if (res.statusCode === 200) {
        res.on('error', () => {}); // the hang-up below
        resolve({ status: 200, headers: res.headers, text: '', json: undefined });
        req.destroy();
        return;
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: GET ${path}`)));
    req.on('error', reject); // after an answer, a no-op
    req.end();
  });
}

function matches(expected, res) {
  if (expected === OK) return res.status >= 200 && res.status < 300;
  if (res.status !== expected) return false;
  return res.json?.error?.code === CODE_FOR[expected];
}

test('openapi.json lists exactly the endpoints of this table', async () => {
  const res = await w.get('/api/v1/openapi.json');
  assert.equal(res.status, 200);
  const served = new Set();
  for (const [p, ops] of Object.entries(res.json.paths || {})) {
    for (const m of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) served.add(`${m.toUpperCase()} ${p}`);
    }
  }
  const table = new Set(TABLE.map(([m, p]) => `${m} ${p}`));
  const notInTable = [...served].filter((e) => !table.has(e));
  const notServed = [...table].filter((e) => !served.has(e));
  assert.deepEqual(notInTable, [], `endpoints in openapi.json without a row in the permission table: ${notInTable.join(', ')}`);
  assert.deepEqual(notServed, [], `endpoints the server routes but openapi.json does not describe (${served.size} described): ${notServed.join(', ')}`);
});

// The endpoints API.md lists as the minimum contract. Those the server routes (an
// anonymous call answers anything but 404) must be described in openapi.json.
const API_MD = [
  ['GET', '/healthz'], ['POST', '/api/v1/accounts'], ['POST', '/api/v1/sessions'], ['DELETE', '/api/v1/sessions/current'],
  ['GET', '/api/v1/me'], ['GET', '/api/v1/facilities'], ['GET', '/api/v1/facilities/{id}'], ['GET', '/api/v1/providers'],
  ['POST', '/api/v1/facilities/{id}/residents'], ['POST', '/api/v1/invitations'], ['POST', '/api/v1/invitations/accept'],
  ['POST', '/api/v1/contact-requests'], ['POST', '/api/v1/contact-requests/{id}/approve'],
  ['POST', '/api/v1/contact-requests/{id}/decline'], ['GET', '/api/v1/contacts'], ['DELETE', '/api/v1/contacts/{id}'],
  ['POST', '/api/v1/messages'], ['GET', '/api/v1/messages'], ['GET', '/api/v1/messages/{id}'],
  ['GET', '/api/v1/review/queue'], ['POST', '/api/v1/review/{message_id}'], ['GET', '/api/v1/wallet'],
  ['POST', '/api/v1/wallet/top-ups'], ['GET', '/api/v1/wallet/transactions'], ['POST', '/api/v1/money-transfers'],
  ['POST', '/api/v1/phone-accounts'], ['POST', '/api/v1/phone-accounts/{id}/deposits'], ['POST', '/api/v1/facilities/{id}/calls'],
];

test('openapi.json describes every API.md endpoint the server answers', async () => {
  const doc = (await w.get('/api/v1/openapi.json')).json;
  const missing = [];
  for (const [method, template] of API_MD) {
    const path = template.replace(/\{[a-z_]+\}/g, '1');
    const res = await w.srv.request(method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : {} });
    if (res.status === 404 || res.status === 405) continue; // not built yet
    const ops = doc.paths?.[template];
    if (!ops || !ops[method.toLowerCase()]) missing.push(`${method} ${template} (answers ${res.status})`);
  }
  assert.deepEqual(missing, [], `routed but not in openapi.json: ${missing.join(', ')}`);
});

for (const [method, template, scope, expected] of TABLE) {
  const title = `${method} ${template}${scope === '-' ? '' : ` (${scope === 'A' ? 'own facility/item' : 'other facility/item'})`}`;
  test(title, async () => {
    const wrong = [];
    for (let i = 0; i < ROLES.length; i++) {
      const role = ROLES[i];
      const { path, body, token, headers } = await build(method, template, scope, role);
      const res = template === '/api/v1/events'
        ? await openEvents(w.srv.port, path, token)
        : await w.srv.request(method, path, { body, token, headers });
      assert.ok(res.status < 500, `${role}: ${method} ${path} → ${describeRes(res)}`);
      if (template === '/api/v1/events' && res.status === 200) {
        assert.match(String(res.headers['content-type']), /^text\/event-stream/, `${role}: GET events Content-Type`);
      }
      if (!matches(expected[i], res)) {
        wrong.push(`${role}: expected ${expected[i]}${CODE_FOR[expected[i]] ? ` ${CODE_FOR[expected[i]]}` : ''}, got ${res.status} ${res.json?.error?.code ?? ''}`);
      }
    }
    assert.deepEqual(wrong, [], `${method} ${template} [${scope}]:\n  ${wrong.join('\n  ')}`);
  });
}

test('what the allowed calls did is visible, and the refused ones changed nothing', async () => {
  // Only the resident decided the own requests; the other resident's request is still pending.
  const status = (id) => w.sql(`SELECT status FROM contact_requests WHERE id = ${id}`);
  assert.equal(status(fixtures.request.approve.A), 'approved');
  assert.equal(status(fixtures.request.decline.A), 'declined');
  assert.equal(status(fixtures.request.approve.B), 'pending');
  // The other contact pair was untouched by the outsiders' DELETE attempts.
  assert.equal(w.sql(`SELECT status FROM contacts WHERE id = ${fixtures.otherContact}`), 'active');
  // Blocks: deleted exactly where the table allows it.
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const removed = w.sql(`SELECT ${sqlFlag('removed_at IS NOT NULL')} FROM facility_blocks WHERE id = ${fixtures.blocks[scope][role]}`);
      const allowed = role === 'operator' || (role === 'facility_admin' && scope === 'A');
      assert.equal(removed, allowed ? '1' : '0', `block of ${role} at ${scope}: removed=${removed}`);
    }
  }
  // Messages: the matrix pair each sent one; the staff sent nothing.
  for (const role of ROLES) {
    const n = w.sql(`SELECT COUNT(*) FROM messages WHERE subject = 'from the ${role}'`);
    assert.equal(n, role === 'contact' || role === 'resident' ? '1' : '0', `messages sent by the ${role}: ${n}`);
  }
  // The resident read the A message and both sides hid it; the B message is untouched.
  const residentAccount = w.sql(`SELECT account_id FROM residents WHERE resident_number = '${fixtures.number.A}'`);
  assert.equal(w.sql(`SELECT status FROM messages WHERE id = ${fixtures.message.A}`), 'read');
  assert.equal(w.sql(`SELECT ${sqlGroupConcat('account_id')} FROM (SELECT account_id FROM message_hidden WHERE message_id = ${fixtures.message.A} ORDER BY account_id) AS q`),
    [people.contact.account.id, Number(residentAccount)].sort((a, b) => a - b).join(','));
  assert.equal(w.sql(`SELECT status FROM messages WHERE id = ${fixtures.message.B}`), 'pending_review');
  assert.equal(w.sql(`SELECT COUNT(*) FROM message_hidden WHERE message_id = ${fixtures.message.B}`), '0');
  // Only its sender withdrew the A message; the B message (the same as above) is still pending.
  assert.equal(w.sql(`SELECT status FROM messages WHERE id = ${fixtures.withdraw.A}`), 'withdrawn');
  // Review: decided exactly where the table allows it.
  const reviewers = ['reviewer', 'facility_admin', 'operator'];
  for (const role of ROLES) {
    const st = (id) => w.sql(`SELECT status FROM messages WHERE id = ${id}`);
    assert.equal(st(fixtures.review.A[role]), reviewers.includes(role) ? 'delivered' : 'pending_review', `review A as ${role}`);
    assert.equal(st(fixtures.review.B[role]), role === 'operator' ? 'delivered' : 'pending_review', `review B as ${role}`);
    assert.equal(st(fixtures.bulk[role]), reviewers.includes(role) ? 'delivered' : 'pending_review', `bulk as ${role}`);
  }
  // Screening rules: added and removed exactly where the table allows it.
  assert.equal(w.sql(`SELECT COUNT(*) FROM screening_rules WHERE facility_id = ${FAC.A} AND value = 'escape'`), '2');
  assert.equal(w.sql(`SELECT COUNT(*) FROM screening_rules WHERE facility_id = ${FAC.B} AND value = 'escape'`), '1');
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const removed = w.sql(`SELECT ${sqlFlag('removed_at IS NOT NULL')} FROM screening_rules WHERE id = ${fixtures.rules[scope][role]}`);
      const allowed = role === 'operator' || (role === 'facility_admin' && scope === 'A');
      assert.equal(removed, allowed ? '1' : '0', `rule of ${role} at ${scope}: removed=${removed}`);
    }
  }
  // The photo uploads: one each for the matrix pair, none for staff.
  assert.equal(w.sql(`SELECT COUNT(*) FROM attachments WHERE owner_account_id = ${people.contact.account.id}`), '2');
  assert.equal(w.sql(`SELECT COUNT(*) FROM attachments WHERE owner_account_id = ${residentAccount}`), '1');
  // Nobody was moved by the transfer calls.
  assert.equal(w.sql(`SELECT facility_id FROM residents WHERE resident_number = '${fixtures.number.A}'`), String(FAC.A));
  assert.equal(w.sql(`SELECT facility_id FROM residents WHERE resident_number = '${fixtures.number.B}'`), String(FAC.B));
});

test('a recipient sees a message and its photo only once delivered; the sender sees them at once', async () => {
  // Still pending (the contact and the investigator were refused).
  const pendingA = fixtures.review.A.contact;
  const asSender = await w.get(`/api/v1/messages/${pendingA}`, fixtures.y.token);
  assert.equal(asSender.status, 200, describeRes(asSender));
  const early = await w.get(`/api/v1/messages/${pendingA}`, fixtures.ra3.token);
  assert.equal(early.status, 404, describeRes(early));
  assert.equal(early.json?.error?.code, 'not_found');
  const photoEarly = await w.get(`/api/v1/attachments/${fixtures.attachment.B}`, fixtures.rb.token);
  assert.equal(photoEarly.status, 404, describeRes(photoEarly));
  const photoSender = await w.get(`/api/v1/attachments/${fixtures.attachment.B}`, fixtures.z.token);
  assert.equal(photoSender.status, 200, describeRes(photoSender));
  // Delivered: the operator approves both.
  for (const id of [pendingA, fixtures.message.B]) {
    const d = await w.post(`/api/v1/review/${id}`, { decision: 'approve' }, op.token);
    assert.equal(d.status, 200, describeRes(d));
  }
  const late = await w.get(`/api/v1/messages/${pendingA}`, fixtures.ra3.token);
  assert.equal(late.status, 200, describeRes(late));
  const photoLate = await w.get(`/api/v1/attachments/${fixtures.attachment.B}`, fixtures.rb.token);
  assert.equal(photoLate.status, 200, describeRes(photoLate));
  assert.equal(photoLate.headers['content-type'], 'image/jpeg');
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
