/*
 * static_files.c - the web pages' files (web/), for any path that is not the
 * API's: a file by its name, and index.html for a page's own route (a path
 * whose last part has no dot), so the client-side router takes it.
 *
 * SECURITY: the path is outside input.  Only letters, digits and / . - _
 * pass, no "..", no "/." (hidden files), at most 200 bytes; the file must be
 * a regular file under web_dir, opened read-only and answered from its
 * descriptor.  Pages may be cached briefly (no-cache), never the API; a
 * Content-Security-Policy keeps scripts and media to Kite's own origin.
 */
#include "http/static_files.h"

#include "core/arena.h"
#include "http/stream_internal.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *content_type_for(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}, {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static bool safe_static_path(const char *path)
{
    if (path[0] != '/' || strstr(path, "..") != NULL || strstr(path, "/.") != NULL || strlen(path) > 200)
        return false;
    for (const char *p = path; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '.' || *p == '-' || *p == '_'))
            return false;
    return true;
}

bool http_serve_static(http_request *req, const char *web_dir)
{
    const char *path = http_path(req), *method = http_method(req);
    if (web_dir == NULL || !safe_static_path(path) || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
        return false;
    const char *rel = strcmp(path, "/") == 0 ? "/index.html" : path;
    const char *last = strrchr(rel, '/');
    if (strchr(last, '.') == NULL)
        rel = "/index.html";
    char *file = arena_sprintf(http_arena(req), "%s%s", web_dir, rel);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (r == NULL) {
        close(fd);
        return false;
    }
    http_request_answer_stream(req, 200, r, content_type_for(rel), NULL);
    /* Static pages may be cached briefly; the API never is. */
    MHD_del_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    /* media-src blob:: the video a sender just recorded plays from memory before it is sent (web/video.js). */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'");
    return true;
}
