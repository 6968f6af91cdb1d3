/*
 * account_deletion.c - a family member's account anonymised at their
 * request (see account_deletion.h).
 *
 * Design: three steps, like a password change.  (1) A read transaction
 * checks the sign-in throttle and reads the password hash.  (2) Argon2
 * checks the current password outside any transaction.  (3) One write
 * transaction reads the money again (it may have moved since), refuses when
 * there is any, and otherwise closes the waiting messages, ends contacts,
 * requests, invitations, reset links and sessions, anonymises the row and
 * appends the audit record: all of it or none.
 *
 * SECURITY: the password and the confirmation word come from the network
 * (length-capped, compared by libsodium and strcmp on a fixed word).  Money:
 * the check and the deletion are one transaction under the store's write
 * lock, so a top-up or a refund racing the deletion is either seen (and
 * refuses it) or comes after an account that can no longer sign in.  The
 * audit detail names no email, name or phone: the point is to forget them.
 */
#include "domain/privacy/account_deletion.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_state.h"
#include "domain/identity/throttle.h"
#include "domain/ledger/ledger_state.h"
#include "domain/messaging/message.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

/*
 * What stands in the NOT NULL password_hash of a deleted account: not an
 * Argon2id string, so libsodium verifies no password against it.
 */
#define DELETED_PASSWORD_HASH "!deleted"

struct deletion {
    const kite_ctx *ctx;
    arena *a;
    const session *s;
    const char *throttle_key; /* the account's sign-in throttle (session_confirm_password), cleared with it */
    int64_t now;
    account_money money;
    kite_fault fault;
};

static kite_err money_of(db_conn *conn, int64_t account_id, account_money *out)
{
    db_stmt *s = db_prepare(conn, "SELECT kind, unit, COALESCE(SUM(balance), 0) FROM ledger_accounts"
                                  " WHERE account_id = $1 GROUP BY kind, unit");
    db_bind_int(s, 1, account_id);
    *out = (account_money){0};
    while (db_next(s)) {
        ledger_kind kind;
        ledger_unit unit;
        int64_t amount = db_int(s, 2);
        if (!ledger_kind_parse(db_text(s, 0), &kind) || !ledger_unit_parse(db_text(s, 1), &unit))
            out->units += amount; /* a kind Kite does not know: never treated as nothing */
        else if (unit != LEDGER_CENTS)
            out->units += amount; /* stamps and credits, held or not */
        else if (kind == LEDGER_HOLD)
            out->held_cents += amount;
        else if (kind == LEDGER_PHONE_ACCOUNT)
            out->phone_cents += amount;
        else
            out->balance_cents += amount;
    }
    return db_done(s);
}

/* The first thing to settle, in the order a person can settle them: holds come back to the balance. */
static kite_err refuse_money(struct deletion *in)
{
    const account_money *m = &in->money;
    fault_detail detail = m->held_cents != 0      ? FAULT_DELETE_HELD
                          : m->balance_cents != 0 ? FAULT_DELETE_BALANCE
                          : m->phone_cents != 0   ? FAULT_DELETE_PHONE
                          : m->units != 0         ? FAULT_DELETE_UNITS
                                                  : FAULT_NONE;
    if (detail == FAULT_NONE)
        return KITE_OK;
    fault_set(&in->fault, KITE_ERR_ACCOUNT_HAS_BALANCE, NULL, detail);
    in->fault.limit = detail == FAULT_DELETE_HELD      ? m->held_cents
                      : detail == FAULT_DELETE_BALANCE ? m->balance_cents
                      : detail == FAULT_DELETE_PHONE   ? m->phone_cents
                                                       : m->units;
    return KITE_ERR_ACCOUNT_HAS_BALANCE;
}

/* Contacts end (active or suspended -> removed); *ended counts them. */
static kite_err end_contacts(db_conn *conn, const struct deletion *in, size_t *ended)
{
    db_stmt *s = db_prepare(conn, "UPDATE contacts SET status = $1, updated_at = $2"
                                  " WHERE contact_account_id = $3 AND status IN ($4, $5)");
    db_bind_text(s, 1, contact_status_name(CONTACT_REMOVED));
    db_bind_int(s, 2, in->now);
    db_bind_int(s, 3, in->s->account.id);
    db_bind_text(s, 4, contact_status_name(CONTACT_ACTIVE));
    db_bind_text(s, 5, contact_status_name(CONTACT_SUSPENDED));
    kite_err err = db_exec(s);
    *ended = err == KITE_OK ? (size_t)db_changes(conn) : 0;
    return err;
}

/* Pending contact requests are cancelled, pending invitations to the address revoked. */
static kite_err close_requests(db_conn *conn, const struct deletion *in, const char *actor)
{
    db_stmt *s = db_prepare(conn, "UPDATE contact_requests SET status = $1, decided_at = $2, decided_by = $3"
                                  " WHERE contact_account_id = $4 AND status = $5");
    db_bind_text(s, 1, contact_request_status_name(REQUEST_CANCELLED));
    db_bind_int(s, 2, in->now);
    db_bind_text(s, 3, actor);
    db_bind_int(s, 4, in->s->account.id);
    db_bind_text(s, 5, contact_request_status_name(REQUEST_PENDING));
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    s = db_prepare(conn, "UPDATE invitations SET status = $1 WHERE email = $2 AND status = $3");
    db_bind_text(s, 1, invitation_status_name(INVITATION_REVOKED));
    db_bind_text(s, 2, in->s->account.email);
    db_bind_text(s, 3, invitation_status_name(INVITATION_PENDING));
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    /* An unused password reset link must not bring the account back. */
    s = db_prepare(conn, "UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL");
    db_bind_int(s, 1, in->now);
    db_bind_int(s, 2, in->s->account.id);
    return db_exec(s);
}

/* The person's words go; the row stays for what points to it.  The status condition settles two racing deletions. */
static kite_err anonymise(db_conn *conn, const struct deletion *in)
{
    db_stmt *s = db_prepare(conn,
        "UPDATE accounts SET email = NULL, full_name = $1, phone = NULL, password_hash = $2, status = $3,"
        " deleted_at = $4, updated_at = $4 WHERE id = $5 AND status = $6");
    db_bind_text(s, 1, ACCOUNT_DELETED_NAME);
    db_bind_text(s, 2, DELETED_PASSWORD_HASH);
    db_bind_text(s, 3, account_status_name(ACCOUNT_DELETED));
    db_bind_int(s, 4, in->now);
    db_bind_int(s, 5, in->s->account.id);
    db_bind_text(s, 6, account_status_name(ACCOUNT_ACTIVE));
    kite_err err = db_exec(s);
    if (err == KITE_OK && db_changes(conn) != 1)
        return KITE_ERR_UNAUTHENTICATED; /* deleted meanwhile: this session is no longer anyone's */
    return err;
}

/* The last mail to the address: a deletion by someone who learnt the password does not go unseen. */
static kite_err enqueue_goodbye(db_conn *conn, const struct deletion *in)
{
    static const notice_text words[FAULT_LANG_COUNT] = {
        [FAULT_LANG_EN] = {"Your Kite account was deleted",
                           {"Hello {name},",
                            "Your Kite account ({email}) was deleted, as asked. Your name, email address, phone "
                            "number and password are no longer kept, and you were signed out everywhere.",
                            "The messages you exchanged stay with the facility for as long as its rules require them "
                            "to be kept; the people you wrote to see them as from \"Deleted account\". You can "
                            "register again with this address at any time.",
                            "If you did not ask for this, contact the facility or the operator of this Kite service."},
                           NULL},
        [FAULT_LANG_ES] = {"Su cuenta de Kite fue eliminada",
                           {"Hola, {name}:",
                            "Su cuenta de Kite ({email}) fue eliminada, como lo pidió. Su nombre, correo "
                            "electrónico, número de teléfono y contraseña ya no se guardan, y se cerró su sesión en "
                            "todos los dispositivos.",
                            "Los mensajes que intercambió se quedan en el centro durante el tiempo que sus normas "
                            "exigen guardarlos; las personas a quienes escribió los ven como de \"Cuenta "
                            "eliminada\". Puede registrarse otra vez con esta dirección cuando quiera.",
                            "Si usted no lo pidió, comuníquese con el centro o con el operador de este servicio de "
                            "Kite."},
                           NULL},
    };
    const account *acct = &in->s->account;
    const char *values[] = {"name", acct->full_name, "email", acct->email, NULL};
    notice n = {.to = acct->email, .kind = "account_deleted", .text = words, .values = values, .lang = acct->lang};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err delete_tx(db_conn *conn, void *data)
{
    struct deletion *in = data;
    int64_t id = in->s->account.id;
    const char *actor = audit_actor_account(in->a, id);
    kite_err err = money_of(conn, id, &in->money);
    if (err != KITE_OK || (err = refuse_money(in)) != KITE_OK)
        return err;
    size_t closed = 0, ended = 0;
    if ((err = message_close_for_account(conn, in->a, id, in->now, actor, &closed)) != KITE_OK ||
        (err = end_contacts(conn, in, &ended)) != KITE_OK || (err = close_requests(conn, in, actor)) != KITE_OK ||
        (err = session_end_all(conn, id, in->now)) != KITE_OK || (err = throttle_clear(conn, in->throttle_key)) != KITE_OK ||
        (err = enqueue_goodbye(conn, in)) != KITE_OK || (err = anonymise(conn, in)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, actor, "account.delete", audit_target(in->a, "account", id),
                        arena_sprintf(in->a, "anonymised; messages closed=%zu contacts ended=%zu; messages and"
                                             " ledger kept", closed, ended));
}

kite_err account_delete(const kite_ctx *ctx, arena *a, const session *s, const char *current_password,
                        const char *confirm, account_money *money, kite_fault *fault)
{
    *fault = (kite_fault){0};
    *money = (account_money){0};
    if (s->account.role != ROLE_CONTACT || s->account.email == NULL || *s->account.email == '\0')
        return fault_set(fault, KITE_ERR_FORBIDDEN, NULL, FAULT_DELETE_ROLE);
    if (confirm == NULL || strcmp(confirm, ACCOUNT_DELETE_CONFIRM) != 0)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "confirm", FAULT_DELETE_CONFIRM);
    struct deletion in = {ctx, a, s, NULL, 0, {0}, {0}};
    kite_err err = session_confirm_password(ctx, a, s, current_password, &in.throttle_key, fault);
    if (err != KITE_OK)
        return err;
    in.now = clock_now_ms(&ctx->clock);
    err = db_write(ctx->store, delete_tx, &in);
    *money = in.money;
    if (err == KITE_ERR_ACCOUNT_HAS_BALANCE) {
        *fault = in.fault;
        return err;
    }
    return fault_settle(fault, err);
}
