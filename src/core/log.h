/*
 * log.h - one line per event on standard error.
 *
 * Lines never carry request bodies, passwords or tokens; callers pass only
 * what is safe to keep in a log file.
 */
#ifndef KITE_CORE_LOG_H
#define KITE_CORE_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
