/*
 * visit_notice.c - telling both sides of a visit what happened to it
 * (visit_notify, visit_store.h).
 *
 * Design: in the transaction of the change itself, so a booking that rolls
 * back tells nobody.  The resident is told through the live updates the
 * tablet already reads (an `events` row, kind "visit.status", with the
 * visit's id and state: the tablet and the family's pages mark the visits
 * link and redraw their list; a client that does not know the kind ignores
 * it); the
 * contact by email through the outbox, in the contact's own language, with
 * the time written in the facility's zone and named as such ("10:00,
 * America/Chicago time"), never the viewer's guess.  The mail carries a
 * link to the visits page, never anything the family did not already know.
 */
#include "domain/visits/visit_store.h"

#include "core/lang.h"
#include "domain/directory/directory.h"
#include "domain/messaging/event.h"
#include "mail/notice.h"

#include <stdio.h>
#include <string.h>

/* The reasons Kite itself stores on a visit it calls off (visit_change.c), in each language; a person's own words stay as written. */
static const char *const system_reasons[][FAULT_LANG_COUNT] = {
    {VISIT_REASON_UNAPPROVED, "No se aprobó antes de empezar."},
    {VISIT_REASON_RESIDENT_LEFT, "El residente salió del centro."},
    {VISIT_REASON_CONTACT_ENDED, "El contacto ya no está activo."},
};

static const char *reason_in(const char *reason, fault_lang lang)
{
    for (size_t i = 0; i < sizeof system_reasons / sizeof system_reasons[0]; i++)
        if (strcmp(reason, system_reasons[i][FAULT_LANG_EN]) == 0)
            return system_reasons[i][lang];
    return reason;
}

static const notice_text words[VISIT_NOTICE_COUNT][FAULT_LANG_COUNT] = {
    [VISIT_NOTICE_BOOKED] = {
        [FAULT_LANG_EN] = {"Video visit booked: {when}",
                           {"Hello {name},", "A video visit with {resident} at {facility} is booked for {when} "
                            "({zone} time). {approval}", "The price is held from the balance until the visit; you are "
                            "charged only for the minutes connected, and a facility cancellation is refunded in full."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video reservada: {when}",
                           {"Hola, {name}:", "Se reservó una visita por video con {resident} en {facility} para el "
                            "{when} (hora de {zone}). {approval}", "El precio queda retenido del saldo hasta la visita; "
                            "solo se cobran los minutos conectados, y si el centro la cancela se devuelve todo."},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_APPROVED] = {
        [FAULT_LANG_EN] = {"Video visit approved: {when}",
                           {"Hello {name},", "The facility approved your video visit with {resident} at {facility} "
                            "on {when} ({zone} time)."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video aprobada: {when}",
                           {"Hola, {name}:", "El centro aprobó su visita por video con {resident} en {facility} el "
                            "{when} (hora de {zone})."},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_DECLINED] = {
        [FAULT_LANG_EN] = {"Video visit declined: {when}",
                           {"Hello {name},", "The facility declined the video visit with {resident} on {when} "
                            "({zone} time). Reason: {reason}", "Nothing was charged: the whole price is back on your "
                            "balance."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video rechazada: {when}",
                           {"Hola, {name}:", "El centro rechazó la visita por video con {resident} del {when} (hora "
                            "de {zone}). Motivo: {reason}", "No se cobró nada: el precio completo volvió a su saldo."},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_CANCELLED] = {
        [FAULT_LANG_EN] = {"Video visit cancelled: {when}",
                           {"Hello {name},", "The video visit with {resident} on {when} ({zone} time) was cancelled. "
                            "{reason}", "Charged: {charged}. The rest is back on the balance."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video cancelada: {when}",
                           {"Hola, {name}:", "Se canceló la visita por video con {resident} del {when} (hora de "
                            "{zone}). {reason}", "Cobrado: {charged}. El resto volvió al saldo."},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_RESCHEDULED] = {
        [FAULT_LANG_EN] = {"Video visit moved to {when}",
                           {"Hello {name},", "The video visit with {resident} at {facility} now starts {when} "
                            "({zone} time). {approval}"},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video cambiada al {when}",
                           {"Hola, {name}:", "La visita por video con {resident} en {facility} ahora empieza el "
                            "{when} (hora de {zone}). {approval}"},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_MOVED_CHEAPER] = {
        [FAULT_LANG_EN] = {"Video visit moved to {when}",
                           {"Hello {name},", "The video visit with {resident} at {facility} now starts {when} "
                            "({zone} time) and lasts {minutes} minutes. {approval}", "Its new price is {price}: "
                            "that is what is held now, and the rest of the old price is back on the balance."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video cambiada al {when}",
                           {"Hola, {name}:", "La visita por video con {resident} en {facility} ahora empieza el "
                            "{when} (hora de {zone}) y dura {minutes} minutos. {approval}", "Su nuevo precio es "
                            "{price}: eso es lo que queda retenido, y el resto del precio anterior volvió al saldo."},
                           "Ver mis visitas"},
    },
    [VISIT_NOTICE_MOVED_DEARER] = {
        [FAULT_LANG_EN] = {"Video visit moved to {when}",
                           {"Hello {name},", "The video visit with {resident} at {facility} now starts {when} "
                            "({zone} time) and lasts {minutes} minutes. {approval}", "Its new price is {price}: "
                            "the difference was held from the balance as well, and you are still charged only for "
                            "the minutes connected."},
                           "See my visits"},
        [FAULT_LANG_ES] = {"Visita por video cambiada al {when}",
                           {"Hola, {name}:", "La visita por video con {resident} en {facility} ahora empieza el "
                            "{when} (hora de {zone}) y dura {minutes} minutos. {approval}", "Su nuevo precio es "
                            "{price}: la diferencia también quedó retenida del saldo, y solo se cobran los minutos "
                            "conectados."},
                           "Ver mis visitas"},
    },
};

static const char *const approval_words[2][FAULT_LANG_COUNT] = {
    {"It is confirmed.", "Está confirmada."},
    {"The facility still has to approve it; you will get an email when it does.",
     "El centro todavía debe aprobarla; recibirá un correo cuando lo haga."},
};

static kite_err push_event(db_conn *conn, int64_t now, int64_t account_id, const visit_info *v)
{
    db_stmt *s = db_prepare(conn, "INSERT INTO events (account_id, kind, message_id, status, at, facility_id, visit_id)"
                                  " VALUES ($1, $2, NULL, $3, $4, $5, $6)");
    db_bind_int(s, 1, account_id);
    db_bind_text(s, 2, "visit.status");
    db_bind_text(s, 3, visit_state_name(v->state));
    db_bind_int(s, 4, now);
    db_bind_int(s, 5, v->facility_id);
    db_bind_int(s, 6, v->id);
    kite_err err = db_exec(s);
    return err != KITE_OK ? err : db_notify(conn, EVENT_CHANNEL);
}

kite_err visit_notify(db_conn *conn, const char *public_url, int64_t now, const visit_info *v, visit_notice what)
{
    if ((unsigned)what >= VISIT_NOTICE_COUNT)
        return KITE_ERR_INTERNAL;
    kite_err err = push_event(conn, now, v->resident_account_id, v);
    if (err != KITE_OK || (err = push_event(conn, now, v->contact_account_id, v)) != KITE_OK)
        return err;
    db_stmt *s = db_prepare(conn, "SELECT email, full_name, lang FROM accounts WHERE id = $1 AND email IS NOT NULL");
    db_bind_int(s, 1, v->contact_account_id);
    char email[320] = "", name[200] = "", lang_tag_text[8] = "";
    if (db_next(s)) {
        snprintf(email, sizeof email, "%s", db_text(s, 0));
        snprintf(name, sizeof name, "%s", db_text(s, 1));
        snprintf(lang_tag_text, sizeof lang_tag_text, "%s", db_text(s, 2) ? db_text(s, 2) : "en");
    }
    if ((err = db_done(s)) != KITE_OK || email[0] == '\0')
        return err; /* a deleted account has no address: nobody to mail */
    fault_lang lang = FAULT_LANG_EN;
    (void)lang_parse(lang_tag_text, &lang);
    char place[300] = "", when[40] = "", charged[32], price[32], minutes[24];
    if ((err = directory_facility_name(conn, v->facility_id, place, sizeof place)) != KITE_OK)
        return err;
    visit_wall w;
    if (v->time_zone[0] && visit_zone_from_utc(v->time_zone, v->starts_at, &w))
        snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d", w.year, w.month, w.day, w.hour, w.minute);
    snprintf(charged, sizeof charged, "$%lld.%02lld", (long long)(v->charged_cents / 100),
             (long long)(v->charged_cents % 100));
    snprintf(price, sizeof price, "$%lld.%02lld", (long long)(v->price_cents / 100), (long long)(v->price_cents % 100));
    snprintf(minutes, sizeof minutes, "%lld", (long long)v->length_minutes);
    const char *values[] = {"name", name, "resident", v->resident_name, "facility", place, "when", when, "zone",
                            v->time_zone, "reason", reason_in(v->reason, lang), "charged", charged, "price", price, "minutes", minutes,
                            "approval", approval_words[v->state == VISIT_PENDING][lang], NULL};
    arena *a = arena_new();
    notice n = {.to = email, .kind = "visit", .text = words[what], .values = values, .link_path = "/visits",
                .lang = lang};
    err = notice_enqueue(conn, public_url, a, now, &n);
    arena_free(a);
    return err;
}
