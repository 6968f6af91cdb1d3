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
static char db_path[128], pristine_path[128];

static void remove_dir(void)
{
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

/* The demo closed its store, so the file alone is the whole database (no -wal beside it). */
static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    bool ok = in != NULL && out != NULL;
    char buffer[1 << 16];
    size_t n;
    while (ok && (n = fread(buffer, 1, sizeof buffer, in)) > 0)
        ok = fwrite(buffer, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

static void open_store(void)
{
    if (cli_store_open("fuzz", db_path, &the_store) != KITE_OK) {
        fprintf(stderr, "fuzz: cannot open the demo store in %s\n", dir);
        exit(1);
    }
    password_gate_free(the_store.ctx.passwords);
    the_store.ctx.passwords = password_gate_new(2, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
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
    snprintf(db_path, sizeof db_path, "%s/kite.db", dir);
    snprintf(pristine_path, sizeof pristine_path, "%s/pristine.db", dir);
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
    if (status != 0 || !copy_file(db_path, pristine_path)) {
        fprintf(stderr, "fuzz: cannot build the demo store in %s\n", dir);
        exit(1);
    }
    open_store();
    opened = true;
    return &the_store;
}

void fuzz_store_reset(void)
{
    if (!opened) {
        fuzz_store();
        return;
    }
    cli_store_close(&the_store);
    char wal[160], shm[160];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    snprintf(shm, sizeof shm, "%s-shm", db_path);
    unlink(wal);
    unlink(shm);
    if (!copy_file(pristine_path, db_path)) {
        fprintf(stderr, "fuzz: cannot restore the demo store in %s\n", dir);
        exit(1);
    }
    open_store();
}
