/*
 * store.h - the store the drivers that need one share: the demo world
 * (cli/cmd_demo.c: the real directory, two facilities on Kite with staff,
 * residents, a family member with money) in a SQLite file under /dev/shm
 * (memory: commits cost no disk flush, so executions are not bound by fsync).
 *
 * Design: built once per fuzzing process (LLVMFuzzerInitialize) and kept;
 * the state grows as inputs are run, as a server's would, unless a driver
 * resets it (fuzz_store_reset).  New PINs and
 * passwords are hashed with Argon2id's smallest cost, so an input that sets
 * one costs microseconds, not a tenth of a second: the hash's cost is not
 * what is fuzzed.  The directory is removed when the process exits.
 */
#ifndef KITE_FUZZ_STORE_H
#define KITE_FUZZ_STORE_H

#include "cli/cli.h"

enum { FUZZ_FEDERAL = 2520 /* FCI COLEMAN LOW */, FUZZ_STATE = 5090 /* SAN QUENTIN STATE PRISON */ };

/* The demo password of every demo email account (cli/cmd_demo.c). */
#define FUZZ_DEMO_PASSWORD "kite-demo-2026"
/* The demo's tablet PINs and its staff's two-factor secret (src/cli/cmd_demo.c). */
#define FUZZ_DEMO_PIN_FEDERAL "583920"
#define FUZZ_DEMO_PIN_STATE "274615"
#define FUZZ_DEMO_TOTP_SECRET "KITEDEMOKITEDEMOKITEDEMOKITEDEMO"

/* Opens (first call: builds) the store; exits the process when it cannot. */
cli_store *fuzz_store(void);
/*
 * Puts the store back as the demo built it (closes, copies the pristine file,
 * opens).  For a driver whose inputs pile up state that slows every later
 * input (a roster that only grows); a pointer into the old store is void.
 */
void fuzz_store_reset(void);
/* The directory the store is in (for the drivers' own files). */
const char *fuzz_store_dir(void);

#endif
