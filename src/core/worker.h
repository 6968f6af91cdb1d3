/*
 * worker.h - one background thread that runs a tick function now, then
 * every interval, sooner when woken, until stopped.
 *
 * Every periodic chore of the server (delivering mail, telling event
 * streams of new rows, settling what falls due with time) is a tick on a
 * worker, so that starting one more is a single worker_start() call and
 * stopping them all is the same everywhere: worker_stop() asks the thread
 * to end, lets a running tick finish, and joins.
 *
 * Timing: the first tick runs as soon as the thread starts.  The wait after
 * a tick is measured on the monotonic clock (a wall-clock step neither
 * fires nor starves a tick).  A worker_wake() that arrives while a tick
 * runs is kept, so the next tick follows at once and no wake is lost.
 *
 * Threads: worker_wake() may be called from any thread, also from inside a
 * tick; worker_stop() from any thread but the worker's own.  The tick runs
 * with no lock held by the worker.
 */
#ifndef KITE_CORE_WORKER_H
#define KITE_CORE_WORKER_H

#include <stdint.h>

#include "core/error.h"

typedef struct worker worker;

/* What a tick asks for next. */
typedef enum worker_next {
    WORKER_WAIT,  /* tick again after the interval, or sooner when woken */
    WORKER_AGAIN, /* tick again at once: work was left over */
    WORKER_IDLE,  /* no tick until woken (nothing to look after meanwhile) */
} worker_next;

typedef worker_next (*worker_tick_fn)(void *arg);

/*
 * Starts a thread named name (at most 15 bytes are kept; it shows in ps and
 * debuggers) that calls tick(arg) at once and then as the tick asks,
 * interval_ms (> 0) apart.  *out receives the worker, owned by the caller
 * until worker_stop().  KITE_ERR_INTERNAL when the thread cannot start
 * (logged); *out is then NULL.  arg must outlive the worker.
 */
kite_err worker_start(const char *name, int64_t interval_ms, worker_tick_fn tick, void *arg, worker **out) KITE_WUR;

/*
 * Makes the next tick run soon: at once when the worker waits, right after
 * the running tick otherwise.  Accepts NULL (a worker that did not start).
 */
void worker_wake(worker *w);

/*
 * Asks the worker to end, waits for a running tick to return (a tick that
 * may run long should watch its own stop signal) and joins the thread: no
 * tick runs after it returns.  Accepts NULL; returns NULL.
 */
worker *worker_stop(worker *w);

#endif
