#include "api/app.h"

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
