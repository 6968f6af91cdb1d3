/*
 * store.c - see store.h.
 */
#include "store.h"

#include "core/log.h"
#include "domain/identity/account.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cli_store the_store;
static bool opened;
static char dir[64] = "/dev/shm/kite-fuzz-XXXXXX";

static void remove_dir(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

const char *fuzz_store_dir(void)
{
    return dir;
}

cli_store *fuzz_store(void)
{
    if (opened)
        return &the_store;
    if (access("/dev/shm", W_OK) != 0)
        memcpy(dir, "/tmp", 4); /* no /dev/shm: slower, still right */
    if (mkdtemp(dir) == NULL) {
        perror("fuzz: mkdtemp");
        exit(1);
    }
    atexit(remove_dir);
    char db_path[128];
    snprintf(db_path, sizeof db_path, "%s/kite.db", dir);
    char *argv[] = {"demo", "--db", db_path, NULL};
    /* The demo prints its sign-ins; a fuzzer's output is its statistics. */
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    int status = cmd_demo(3, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(null);
    close(saved);
    if (status != 0 || cli_store_open("fuzz", db_path, &the_store) != KITE_OK) {
        fprintf(stderr, "fuzz: cannot build the demo store in %s\n", dir);
        exit(1);
    }
    password_gate_free(the_store.ctx.passwords);
    the_store.ctx.passwords = password_gate_new(2, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    opened = true;
    return &the_store;
}
