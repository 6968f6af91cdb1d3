/*
 * api.c - fuzzes the whole HTTP API in-process: a Kite server (the real
 * http/server.c on libmicrohttpd, the real route table and handlers) on the
 * demo store, sent one request per input over loopback.  This is where
 * every JSON body shape is fuzzed, through the handler that reads it, with
 * the query strings, path parameters, headers (Idempotency-Key,
 * Accept-Language, Authorization) and cookies (kite_session with its CSRF
 * header) that Kite reads.
 *
 * Input: byte 0 chooses who signs the request (nobody, the operator, a
 * facility admin or reviewer at either demo facility, the family member,
 * either resident, or San Quentin's phone system with its API key); byte 1
 * chooses how (bit 0: the session cookie instead of Authorization: Bearer;
 * bit 1: with the X-Kite-CSRF header a browser would send).  Then the text
 * of a request: "METHOD /path?query" on the first line, header lines up to
 * an empty line, and the body.  The driver adds Host, Connection: close,
 * the credentials, Content-Type: application/json (unless a header line
 * gives one) and Content-Length, so the mutations go to what Kite reads.
 *
 * Contract checked: an answer comes (no hang: 30 s); no 500 (a 503 is
 * allowed: no photo helper, event hub or card processor runs here); every
 * answer Kite writes as JSON parses, is valid UTF-8, and an error answer is
 * {"error": {"code", "message", ...}} with both strings non-empty.
 *
 * Requests that would end a principal's sessions (sign-out, sign out
 * everywhere, a password change, deleting the account) are not sent with a
 * principal: the fuzzer would soon have nobody left to act as.  A principal
 * that is answered 401 anyway (a transfer or release of a resident, say) is
 * signed in again once.
 */
#include "store.h"

#include "api/app.h"
#include "core/alloc.h"
#include "core/text.h"
#include "domain/identity/session.h"
#include "domain/ledger/phone_keys.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <liboath/oath.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct principal {
    const char *sign_in; /* the JSON body of POST /api/v1/sessions; NULL for the phone system */
    bool totp;           /* staff and the operator: the body also carries the demo's current two-factor code */
    char token[128];
    char csrf[SECRET_SHA256_HEX];
    bool dead; /* could not sign in again */
    int sign_ins; /* again, after a 401: a few times at most, each is an Argon2 check and counts in the throttle */
} principal;

static principal principals[] = {
    {NULL, false, "", "", false, 0}, /* nobody */
    {"{\"email\":\"operator@demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", true, "", "", false, 0},
    {"{\"email\":\"admin@coleman.demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", true, "", "", false, 0},
    {"{\"email\":\"reviewer@coleman.demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", true, "", "", false, 0},
    {"{\"email\":\"admin@sanquentin.demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", true, "", "", false, 0},
    {"{\"email\":\"reviewer@sanquentin.demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", true, "", "", false, 0},
    {"{\"email\":\"family@demo.kite\",\"password\":\"" FUZZ_DEMO_PASSWORD "\"}", false, "", "", false, 0},
    {"{\"facility_id\":2520,\"resident_number\":\"12345-678\",\"pin\":\"" FUZZ_DEMO_PIN_FEDERAL "\"}", false, "", "", false, 0},
    {"{\"facility_id\":5090,\"resident_number\":\"K84021\",\"pin\":\"" FUZZ_DEMO_PIN_STATE "\"}", false, "", "", false, 0},
    {NULL, false, "", "", false, 0}, /* the phone system: an API key (set up below) */
};
enum { PRINCIPALS = sizeof principals / sizeof *principals, PHONE_SYSTEM = PRINCIPALS - 1 };

static kite_app app;
static uint16_t port;

typedef struct answer {
    int status;
    char *head; /* the status line and headers */
    char *body;
    size_t body_len;
} answer;

/*
 * Connects fd to the server.  A connect interrupted by a signal (libFuzzer's
 * -timeout alarm) goes on by itself: it is waited for, not taken for a
 * failure (such an EINTR once stopped a run as if the server had crashed).
 */
static int connect_to_server(int fd, const struct sockaddr_in *addr)
{
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n;
    do
        n = poll(&p, 1, 30000);
    while (n < 0 && errno == EINTR);
    int err = 0;
    socklen_t err_len = sizeof err;
    if (n != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
        errno = n == 0 ? ETIMEDOUT : err != 0 ? err : errno;
        return -1;
    }
    return 0;
}

/* Sends request (len bytes) to the server and reads the whole answer (Connection: close); false on a timeout. */
static bool exchange(const char *request, size_t len, answer *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {30, 0}; /* as libFuzzer's -timeout in make fuzz: a loaded machine can stall seconds */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect_to_server(fd, &addr) != 0) {
        perror("fuzz: connect");
        abort();
    }
    for (size_t sent = 0; sent < len;) {
        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue; /* libFuzzer's timers interrupt system calls: not the server's doing */
        if (n <= 0)
            break; /* the server may answer (413, 400) and close before reading everything */
        sent += (size_t)n;
    }
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    bool timed_out = false;
    for (;;) {
        if (used + 4096 > cap)
            buf = xrealloc(buf, cap *= 2);
        ssize_t n = recv(fd, buf + used, cap - used - 1, 0);
        if (n < 0 && errno == EINTR)
            continue; /* a signal (libFuzzer's -timeout alarm), not the end of the answer */
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            fprintf(stderr, "fuzz: reading the answer failed: %s\n", strerror(errno));
            break; /* a reset connection: no answer (status 0), checked by the caller */
        }
        if (n < 0)
            timed_out = true; /* SO_RCVTIMEO: 30 s without a byte */
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    if (timed_out && used > 0) {
        /* An answer that came whole but whose connection was never closed is another finding than no answer. */
        const char *eol = strstr(buf, "\r\n");
        fprintf(stderr, "fuzz: %zu bytes of an answer came (%.*s), then the connection stayed open 30 s\n", used,
                eol != NULL ? (int)(eol - buf) : 40, buf);
    }
    char *end = strstr(buf, "\r\n\r\n");
    if (timed_out || end == NULL || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
        free(buf);
        return timed_out ? false : true; /* a reset connection without an answer: status 0 */
    }
    *end = '\0';
    out->head = buf;
    out->body = end + 4;
    out->body_len = used - (size_t)(out->body - buf);
    return true;
}

static const char *header_value(const answer *a, const char *name)
{
    for (const char *p = a->head; p != NULL && (p = strstr(p, "\r\n")) != NULL;) {
        p += 2;
        if (strncasecmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':')
            return p + strlen(name) + 1 + strspn(p + strlen(name) + 1, " ");
    }
    return NULL;
}

/* The demo's two-factor code of this moment (liboath, as an authenticator app computes it). */
static bool totp_now(char code[7])
{
    char *raw = NULL;
    size_t raw_len = 0;
    bool ok = oath_init() == OATH_OK &&
              oath_base32_decode(FUZZ_DEMO_TOTP_SECRET, strlen(FUZZ_DEMO_TOTP_SECRET), &raw, &raw_len) == OATH_OK &&
              oath_totp_generate(raw, raw_len, time(NULL), OATH_TOTP_DEFAULT_TIME_STEP_SIZE,
                                 OATH_TOTP_DEFAULT_START_TIME, 6, code) == OATH_OK;
    free(raw);
    return ok;
}

static void sign_in(principal *p)
{
    char payload[512], code[7] = "";
    size_t len = strlen(p->sign_in);
    if (p->totp && totp_now(code)) /* the body without its closing brace, then the code */
        snprintf(payload, sizeof payload, "%.*s,\"totp_code\":\"%s\"}", (int)(len - 1), p->sign_in, code);
    else
        snprintf(payload, sizeof payload, "%s", p->sign_in);
    char request[768];
    int n = snprintf(request, sizeof request,
                     "POST /api/v1/sessions HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(payload), payload);
    answer a;
    json_t *body = NULL;
    if (exchange(request, (size_t)n, &a) && a.status == 201 && (body = json_loadb(a.body, a.body_len, 0, NULL)) &&
        json_is_string(json_object_get(body, "token"))) {
        snprintf(p->token, sizeof p->token, "%s", json_string_value(json_object_get(body, "token")));
        session_csrf_token(p->token, p->csrf);
    } else {
        fprintf(stderr, "fuzz: %s could not sign in (%d); it acts as nobody\n", p->sign_in, a.status);
        p->dead = true;
        p->token[0] = '\0';
    }
    json_decref(body);
    free(a.head);
}

/*
 * Every input that writes leaves rows behind (accounts, messages, audit
 * records), and the answers that list or export them grow with them: over
 * a 10 M run the rate fell from ~1,450 to ~1,050 a second.  So the demo
 * store comes back every RESET_EVERY inputs, as in the roster driver: the
 * server stops, the store is copied back, the server starts again and every
 * principal signs in again.
 */
enum { RESET_EVERY = 50000 };

static http_server *server;

/* Starts the server on the demo store as it is now, and signs every principal in. */
static void serve(void)
{
    cli_store *s = fuzz_store();
    app.ctx = s->ctx;
    http_config config = {
        .host = "127.0.0.1",
        /* As kite serve's defaults, but short deadlines: the driver sends each request whole at once. */
        .limits = {.max_body = 1024 * 1024, .max_header_bytes = 32 * 1024, .max_connections = 1024,
                   .max_per_address = 64, .threads = 2, .idle_timeout_s = 5, .header_timeout_s = 10,
                   .body_timeout_s = 10},
        .routes = api_routes,
        .route_count = api_route_count,
        .app = &app,
        .max_body_for = api_max_body_for,
    };
    if (http_server_start(&config, &server) != KITE_OK)
        abort();
    port = http_server_port(server);
    for (size_t i = 0; i < PRINCIPALS; i++) {
        principals[i].token[0] = '\0';
        principals[i].dead = false;
        principals[i].sign_ins = 0;
        if (principals[i].sign_in != NULL)
            sign_in(&principals[i]);
        /*
         * On the demo store as built every principal signs in.  One that does
         * not means the demo changed (PINs, two-factor) and the driver did not:
         * fuzzing on as nobody would look like fuzzing and reach nothing of
         * that role's, as once happened unseen.
         */
        if (principals[i].dead) {
            fprintf(stderr, "fuzz: a demo principal cannot sign in on a fresh demo store; fix fuzz/api.c\n");
            exit(1);
        }
    }
    phone_key key;
    if (phone_key_create(&s->ctx, FUZZ_STATE, "fuzz", principals[PHONE_SYSTEM].token, &key) != KITE_OK)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    signal(SIGPIPE, SIG_IGN);
    serve();
    return 0;
}

/* Requests that end the principal's sessions or change its password: never sent signed in (see the top). */
static bool ends_sessions(const char *method, const char *path)
{
    bool del = strcmp(method, "DELETE") == 0;
    return (del && (strncmp(path, "/api/v1/sessions", 16) == 0 || strncmp(path, "/api/v1/me", 10) == 0)) ||
           strncmp(path, "/api/v1/me/password", 19) == 0;
}

static void check_answer(const answer *a, const char *request, size_t len)
{
    if (a->status == 0)
        return; /* the connection was refused before any answer: a malformed request line, say */
    if (a->status >= 500 && a->status != 503) {
        fprintf(stderr, "fuzz: answered %d to:\n%.*s\n", a->status, (int)len, request);
        abort();
    }
    const char *type = header_value(a, "Content-Type");
    if (type == NULL || strncmp(type, "application/json", 16) != 0 || strncmp(request, "HEAD ", 5) == 0)
        return; /* CSV, mbox, libmicrohttpd's own pages; and HEAD, answered without the body */
    json_error_t error;
    json_t *body = json_loadb(a->body, a->body_len, JSON_DECODE_ANY, &error);
    if (body == NULL || !utf8_valid(a->body, a->body_len)) {
        fprintf(stderr, "fuzz: not JSON (%s) in the answer %d to:\n%.*s\n", error.text, a->status, (int)len, request);
        abort();
    }
    if (a->status >= 400) {
        json_t *e = json_object_get(body, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *message = json_string_value(json_object_get(e, "message"));
        if (code == NULL || message == NULL || *code == '\0' || *message == '\0') {
            fprintf(stderr, "fuzz: an error %d without code and message to:\n%.*s\n", a->status, (int)len, request);
            abort();
        }
    }
    json_decref(body);
}

/* The request the input describes, with the driver's headers, into *out (malloc); true when it carries p's credentials. */
static bool compose(const uint8_t *data, size_t size, const principal *p, uint8_t how, char **out, size_t *out_len)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *body_start = text + size;
    /* Header lines end at the first empty line; what follows is the body, bytes as they are. */
    char *blank = strstr(text, "\n\n");
    if (blank != NULL) {
        *blank = '\0';
        body_start = blank + 2;
    }
    size_t body_len = (size_t)(text + size - body_start);
    char *line = strtok(text, "\n");
    const char *first = line != NULL ? line : "GET /";
    char method[32] = "GET", path[4096] = "/";
    sscanf(first, "%31[^ \r\t] %4095[^ \r\t]", method, path);
    size_t cap = size + 1024, used = 0;
    char *req = malloc(cap);
    used += (size_t)snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n", method, path);
    bool signed_in = p->token[0] != '\0' && !ends_sessions(method, path);
    if (signed_in) {
        if (how & 1)
            used += (size_t)snprintf(req + used, cap - used, "Cookie: kite_session=%s\r\n", p->token);
        else
            used += (size_t)snprintf(req + used, cap - used, "Authorization: Bearer %s\r\n", p->token);
        if (how & 2)
            used += (size_t)snprintf(req + used, cap - used, "X-Kite-CSRF: %s\r\n", p->csrf);
    }
    bool typed = false;
    while ((line = strtok(NULL, "\n")) != NULL) {
        line[strcspn(line, "\r")] = '\0';
        if (*line == '\0' || *line == ' ' || *line == '\t' || strchr(line, ':') == NULL)
            continue; /* a line starting with white space would continue (obs-fold) the driver's own header */
        typed = typed || strncasecmp(line, "Content-Type:", 13) == 0;
        if (strncasecmp(line, "Content-Length:", 15) == 0 || strncasecmp(line, "Transfer-Encoding:", 18) == 0 ||
            strncasecmp(line, "Connection:", 11) == 0 || strncasecmp(line, "Host:", 5) == 0)
            continue; /* framing stays the driver's: the HTTP layer's framing is not what this driver is about */
        used += (size_t)snprintf(req + used, cap - used, "%s\r\n", line);
    }
    used += (size_t)snprintf(req + used, cap - used, "%sContent-Length: %zu\r\n\r\n",
                             typed ? "" : "Content-Type: application/json\r\n", body_len);
    memcpy(req + used, body_start, body_len);
    used += body_len;
    *out = req;
    *out_len = used;
    free(text);
    return signed_in;
}

/* Whether p's session is over: a 401 may also come from the input's own Cookie or Authorization header. */
static bool session_ended(const principal *p)
{
    char request[512];
    int n = snprintf(request, sizeof request,
                     "GET /api/v1/me HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\nAuthorization: Bearer %s\r\n\r\n",
                     p->token);
    answer a;
    bool ended = exchange(request, (size_t)n, &a) && a.status == 401;
    free(a.head);
    return ended;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static unsigned inputs;
    if (++inputs % RESET_EVERY == 0) {
        server = http_server_stop(server);
        fuzz_store_reset();
        serve();
    }
    principal *p = &principals[data[0] % PRINCIPALS];
    char *request;
    size_t len;
    bool signed_in = compose(data + 2, size - 2, p, data[1], &request, &len);
    answer a;
    if (!exchange(request, len, &a)) {
        fprintf(stderr, "fuzz: no answer in 30 s to:\n%.*s\n", (int)len, request);
        if (getenv("FUZZ_STALL_GDB") != NULL) {
            /* Every thread's stack at the stall, to see who waits on what (gdb attaches to this process). */
            char command[128];
            snprintf(command, sizeof command, "gdb -p %d -batch -ex 'thread apply all bt' 1>&2", (int)getpid());
            if (system(command) != 0)
                fprintf(stderr, "fuzz: gdb could not attach\n");
        }
        abort();
    }
    check_answer(&a, request, len);
    if (a.status == 401 && signed_in && p->sign_in != NULL && !p->dead && session_ended(p) && p->sign_ins++ < 20)
        sign_in(p); /* released, moved, or its session ended some way the list above missed */
    free(a.head);
    free(request);
    return 0;
}
