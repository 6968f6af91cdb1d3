/*
 * log.h - one line per event on standard error: text for people, or one
 * JSON object a line for a log collector (kite serve --log-format json).
 *
 * Lines never carry request bodies, passwords or tokens; callers pass only
 * what is safe to keep in a log file.
 */
#ifndef KITE_CORE_LOG_H
#define KITE_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The process's one log setting, made once by kite serve before any thread
 * starts (the log is the process's standard error, shared by all of it):
 * true, every line is {"time", "level", "msg"} (and a request's fields).
 */
void log_use_json(bool json);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The access log's line for one answered request.  method and path are
 * already escaped by the caller (http/server.c); note is NULL or why the
 * connection ended early.  Text: "METHOD PATH STATUS Nms CLIENT [note]";
 * JSON: the same as fields.
 */
void log_request(const char *method, const char *path, int status, int64_t took_ms, const char *client,
                 const char *note);

#endif
