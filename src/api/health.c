#include "api/app.h"

#include "domain/operations/stats.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>

extern const char openapi_document[];
extern const size_t openapi_document_len;

void handle_healthz(http_request *req, void *data)
{
    kite_app *app = data;
    kite_err err = db_ping(app->ctx.store);
    if (err != KITE_OK) {
        reply_fault_of(req, KITE_ERR_BUSY, NULL, FAULT_STORE_DOWN);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void handle_openapi(http_request *req, void *data)
{
    (void)data;
    http_reply_bytes(req, 200, "application/json", openapi_document, openapi_document_len);
}

/* True when the caller's address is one of kite serve --metrics-from's networks. */
static bool metrics_reader(const http_request *req, const kite_app *app)
{
    unsigned char addr[16];
    const char *client = http_client_address(req);
    if (inet_pton(AF_INET, client, addr) == 1)
        return http_trusted_has(&app->metrics_from, AF_INET, addr);
    return inet_pton(AF_INET6, client, addr) == 1 && http_trusted_has(&app->metrics_from, AF_INET6, addr);
}

static void gauge(buf *out, const char *name, const char *help, int64_t value)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRId64 "\n", name, help, name, name, value);
}

/* Seconds since at (ms), or 0 when nothing waits (at 0). */
static int64_t age_s(const kite_ctx *ctx, int64_t at)
{
    int64_t now = clock_now_ms(&ctx->clock);
    return at > 0 && now > at ? (now - at) / 1000 : 0;
}

/*
 * GET /metrics: Prometheus's text format, for the addresses given with
 * --metrics-from only; anyone else gets the same 404 as a path that does not
 * exist, so the endpoint is not even visible to them.
 */
void handle_metrics(http_request *req, void *data)
{
    kite_app *app = data;
    if (!metrics_reader(req, app)) {
        http_reply_error(req, KITE_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    operations_stats st;
    kite_err err = operations_stats_read(&app->ctx, &st);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    buf out;
    buf_init(&out, http_arena(req));
    http_render_metrics(req, &out);
    gauge(&out, "kite_review_queue_depth", "Messages waiting for a reviewer.", st.review_waiting);
    gauge(&out, "kite_review_queue_oldest_age_seconds", "How long the oldest message has waited for review.",
          age_s(&app->ctx, st.review_oldest_ms));
    gauge(&out, "kite_outbox_pending", "Mails not yet handed to the mail server.", st.outbox_pending);
    gauge(&out, "kite_outbox_oldest_age_seconds", "How long the oldest unsent mail has waited.",
          age_s(&app->ctx, st.outbox_oldest_ms));
    gauge(&out, "kite_holds_open", "Payments held for messages not yet delivered or refused.", st.holds_open);
    gauge(&out, "kite_holds_open_cents", "Money held for messages not yet delivered or refused, in cents.",
          st.holds_open_cents);
    http_reply_buf(req, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}
