#include "mail/notice.h"

#include "mail/mail_format.h"
#include "mail/outbox.h"

#include <string.h>

kite_err notice_enqueue(db_conn *conn, const char *public_url, arena *a, int64_t now, const notice *n)
{
    const char *base = public_url != NULL ? public_url : OUTBOX_DEFAULT_PUBLIC_URL;
    const char *text = "";
    const char *html = "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">";
    for (size_t i = 0; i < n->paragraph_count; i++) {
        text = arena_sprintf(a, "%s%s%s", text, i > 0 ? "\n\n" : "", n->paragraphs[i]);
        html = arena_sprintf(a, "%s<p>%s</p>", html, html_escape(a, n->paragraphs[i]));
    }
    if (n->link_label != NULL) {
        const char *url = arena_sprintf(a, "%s%s", base, n->link_path);
        text = arena_sprintf(a, "%s\n\n%s:\n%s", text, n->link_label, url);
        html = arena_sprintf(a, "%s<p><a href=\"%s\">%s</a></p>", html, html_escape(a, url), html_escape(a, n->link_label));
    }
    text = arena_sprintf(a, "%s\n\n-- \nKite. You get this email because of your account or an invitation to this address.\n", text);
    html = arena_sprintf(a, "%s<p style=\"color:#555\">Kite. You get this email because of your account or an invitation "
                            "to this address.</p></body></html>", html);
    mail m = {n->to, n->subject, text, html, n->kind};
    return outbox_enqueue(conn, now, &m, NULL);
}
