/*
 * static_files.h - the web pages' files, for server.c's dispatch (not for handlers).
 */
#ifndef KITE_HTTP_STATIC_FILES_H
#define KITE_HTTP_STATIC_FILES_H

#include "http/server.h"

#include <stdbool.h>

/* True when a file of web_dir (NULL: none) answered req; false leaves req to the 404. */
bool http_serve_static(http_request *req, const char *web_dir);

#endif
