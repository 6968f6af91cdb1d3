/*
 * confine.h - taking privileges away from a helper process that parses
 * hostile input (privilege separation in the Postfix and kore manner).
 *
 * Order of use in a helper, right after exec:
 *   confine_close_fds         nothing inherited past stdin/stdout/stderr
 *   confine_drop_privileges   while the password file can still be read
 *   confine_die_with_parent   the helper never outlives its server
 *   ... initialise the parser library (it may open files, start threads) ...
 *   confine_set_limits        memory, CPU time, file size, open files
 *   confine_seccomp           from here on only the allow-list works
 *
 * After confine_seccomp() the process can compute, allocate memory, start
 * threads, sleep, and read and write the descriptors it already has.  It
 * cannot open files, create sockets, start programs, signal other processes
 * or map executable memory; any other system call stops it at once with
 * SIGSYS (after one line on stderr naming the call, for the server's log).
 * There is no way back: the filter holds for every thread and survives exec.
 */
#ifndef KITE_SANDBOX_CONFINE_H
#define KITE_SANDBOX_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Closes every descriptor from 3 up. */
void confine_close_fds(void);
/*
 * When running as root: no supplementary groups, and the user and group
 * "nobody" (65534 when it has no entry), for real, effective and saved IDs;
 * then checks that root cannot be regained.  Nothing to do otherwise.
 */
kite_err confine_drop_privileges(void) KITE_WUR;
/* SIGKILL when the parent dies; exits at once when it is already gone. */
void confine_die_with_parent(void);

typedef struct confine_limits {
    uint64_t address_space; /* bytes; 0 leaves it (AddressSanitizer reserves terabytes of shadow) */
    unsigned cpu_seconds;   /* SIGXCPU after this much CPU time, SIGKILL one second later */
    unsigned open_files;    /* no new descriptor at or above this number */
} confine_limits;

/* Sets the limits, no core dumps, and no file may be written beyond 0 bytes. */
kite_err confine_set_limits(const confine_limits *limits) KITE_WUR;
/* PR_SET_NO_NEW_PRIVS and the seccomp allow-list, for every thread of the process. */
kite_err confine_seccomp(void) KITE_WUR;


/* The plumbing every helper shares (image_worker.c, video_worker.c). */
/* Reads or writes exactly len bytes on fd, retrying on EINTR; false on end of file or error. */
bool confine_read_all(int fd, void *buf, size_t len);
bool confine_write_all(int fd, const void *buf, size_t len);
/*
 * A helper's command line after its name: only --test-delay-ms N (0..60000),
 * written whole; false for anything else, which the helper refuses with exit
 * status 2 like every other kite command (sandbox/ may not call cli/).
 */
bool confine_worker_options(int argc, char **argv, long *delay_ms);
/* Tests only: sleeps delay_ms, confined, before the helper works. */
void confine_test_delay(long delay_ms);

#endif
