/*
 * temp_store.h - a fresh store in a fresh temporary directory, for unit tests
 * that need the real SQLite file: temp_store_open() before a test,
 * temp_store_close() after (closes the store and removes the directory).
 */
#ifndef KITE_TESTS_TEMP_STORE_H
#define KITE_TESTS_TEMP_STORE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

typedef struct temp_store {
    char dir[64];
    char path[128];
    db *store;
} temp_store;

static void temp_store_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char file[512];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(dir);
}

/* 0 on success; name goes into the directory's name, to tell tests apart. */
static int temp_store_open(temp_store *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/kite-test-%s-XXXXXX", name);
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/kite.db", t->dir);
    if (db_open(t->path, &t->store) != KITE_OK) {
        temp_store_remove_dir(t->dir);
        return -1;
    }
    return 0;
}

static void temp_store_close(temp_store *t)
{
    t->store = db_close(t->store);
    temp_store_remove_dir(t->dir);
}

#endif
