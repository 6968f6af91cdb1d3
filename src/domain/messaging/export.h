/*
 * export.h - a party's correspondence as a file they keep: every message
 * they sent or received, read from the store, and written as an mbox.
 *
 * The JSON form is the API's business (api/messages.c shapes it); the mbox
 * is plain text that any mail reader opens, so it is built here, away from
 * HTTP, and tested by what it parses back to.
 */
#ifndef KITE_DOMAIN_MESSAGING_EXPORT_H
#define KITE_DOMAIN_MESSAGING_EXPORT_H

#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "domain/context.h"
#include "domain/identity/account.h"
#include "domain/messaging/message.h"

/*
 * Every message the caller (a contact or a resident) sent or received
 * (rejected ones they sent too), oldest first, with history and attachment
 * ids; *items is an arena array.  KITE_ERR_FORBIDDEN for staff.
 */
kite_err message_export(const kite_ctx *ctx, arena *a, const account *caller, message **items, size_t *count) KITE_WUR;

/* Length of export_from_line_date()'s text and its NUL: "Fri Nov 22 06:21:09 2024". */
enum { EXPORT_FROM_DATE_LEN = 32 };

/*
 * The date of an mbox "From " line for epoch_ms, in UTC, as asctime() writes
 * it ("Fri Nov 22 06:21:09 2024", the day padded with a space): English
 * names whatever the process locale.
 */
void export_from_line_date(int64_t epoch_ms, char out[EXPORT_FROM_DATE_LEN]);

/*
 * Appends items as an mbox (mboxrd: a body line that starts with "From "
 * after any ">" gets one more ">") to out: LF line ends throughout, one
 * text/plain UTF-8 message per item with From, To, Date, Subject,
 * Message-ID and X-Kite-Status.  The same items always give the same text.
 */
void export_mbox(buf *out, const message *items, size_t count);

#endif
