/*
 * notice.c - the one shape of Kite's notices, in the recipient's language.
 *
 * Design: see notice.h.  A monolingual mail is the words of one language;
 * a bilingual one is the same builder run over English and then Spanish
 * into the same bodies, with the subjects joined by " / " and the link
 * (whose label is given in both) written once at the end, so a reader of
 * either language finds it and nobody gets two links to choose from.
 *
 * SECURITY: values may be what people typed (a name, a facility's note):
 * they are copied into the text body as they are and escaped for the HTML
 * body; the subject is one header line, checked by outbox_enqueue and
 * RFC 2047-encoded by mail_format.
 */
#include "mail/notice.h"

#include "core/buf.h"
#include "mail/mail_format.h"
#include "mail/outbox.h"

#include <string.h>

/* The footer every notice ends with, per language. */
static const char *const notice_footer[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = "Kite. You get this email because of your account or an invitation to this address.",
    [FAULT_LANG_ES] = "Kite. Usted recibe este correo por su cuenta o por una invitación a esta dirección.",
};

/* words with each {name} replaced by its value from values (pairs, NULL-ended); unknown names stay. */
static const char *fill(arena *a, const char *words, const char *const *values)
{
    if (words == NULL || strchr(words, '{') == NULL || values == NULL)
        return words;
    buf b;
    buf_init(&b, a);
    for (const char *p = words; *p != '\0';) {
        const char *open = strchr(p, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        if (close == NULL) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        const char *value = NULL;
        size_t len = (size_t)(close - open - 1);
        for (size_t i = 0; values[i] != NULL && values[i + 1] != NULL && value == NULL; i += 2)
            if (strlen(values[i]) == len && memcmp(values[i], open + 1, len) == 0)
                value = values[i + 1];
        if (value != NULL)
            buf_puts(&b, value);
        else
            buf_append(&b, open, len + 2);
        p = close + 1;
    }
    return b.data != NULL ? b.data : "";
}

typedef struct bodies {
    const char *subject, *text, *html, *label;
} bodies;

/* Appends one language's paragraphs (and subject, link label) to *out. */
static void add_language(arena *a, const notice *n, fault_lang lang, bodies *out)
{
    const notice_text *t = &n->text[lang];
    const char *subject = fill(a, t->subject, n->values);
    out->subject = out->subject == NULL ? subject : arena_sprintf(a, "%s / %s", out->subject, subject);
    for (size_t i = 0; i < NOTICE_PARAGRAPHS_MAX && t->paragraphs[i] != NULL; i++) {
        const char *p = fill(a, t->paragraphs[i], n->values);
        out->text = arena_sprintf(a, "%s%s%s", out->text, out->text[0] != '\0' ? "\n\n" : "", p);
        out->html = arena_sprintf(a, "%s<p lang=\"%s\">%s</p>", out->html, lang_tag(lang), html_escape(a, p));
    }
    if (t->link_label != NULL) {
        const char *label = fill(a, t->link_label, n->values);
        out->label = out->label == NULL ? label : arena_sprintf(a, "%s / %s", out->label, label);
    }
}

kite_err notice_enqueue(db_conn *conn, const char *public_url, arena *a, int64_t now, const notice *n)
{
    const char *base = public_url != NULL ? public_url : OUTBOX_DEFAULT_PUBLIC_URL;
    fault_lang first = n->bilingual ? FAULT_LANG_EN : (unsigned)n->lang < FAULT_LANG_COUNT ? n->lang : FAULT_LANG_EN;
    fault_lang last = n->bilingual ? FAULT_LANG_ES : first;
    bodies b = {NULL, "", "", NULL};
    for (unsigned lang = first; lang <= last; lang++)
        add_language(a, n, (fault_lang)lang, &b);
    if (b.label != NULL) {
        /* A public URL written with a trailing slash must not make "//" before the path. */
        size_t base_len = strlen(base);
        while (base_len > 0 && base[base_len - 1] == '/')
            base_len--;
        const char *url = arena_sprintf(a, "%.*s%s", (int)base_len, base, n->link_path);
        b.text = arena_sprintf(a, "%s\n\n%s:\n%s", b.text, b.label, url);
        b.html = arena_sprintf(a, "%s<p><a href=\"%s\">%s</a></p>", b.html, html_escape(a, url), html_escape(a, b.label));
    }
    const char *footer = notice_footer[first];
    if (n->bilingual)
        footer = arena_sprintf(a, "%s\n%s", notice_footer[FAULT_LANG_EN], notice_footer[FAULT_LANG_ES]);
    b.text = arena_sprintf(a, "%s\n\n-- \n%s\n", b.text, footer);
    const char *lang = n->bilingual ? "en, es" : lang_tag(first);
    const char *html = arena_sprintf(a,
        "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\"></head>"
        "<body style=\"font-family: sans-serif; line-height: 1.5\">%s<p style=\"color:#555\">%s</p></body></html>",
        n->bilingual ? "en" : lang, b.html, html_escape(a, footer));
    mail m = {n->to, b.subject, b.text, html, n->kind, lang};
    return outbox_enqueue(conn, now, &m, NULL);
}
