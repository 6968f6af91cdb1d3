/*
 * cmd_demo.c - kite demo: a store with the directory and demo sign-ins, for
 * trying Kite out (make run).  Running it again changes nothing.
 */
#include "cli/cli.h"

#include "domain/account.h"
#include "domain/directory.h"

#include <stdio.h>
#include <string.h>

typedef struct demo_account {
    role role;
    const char *email;
    const char *name;
    const char *phone;
} demo_account;

static const char demo_password[] = "kite-demo-2026";

static const demo_account demo_accounts[] = {
    {ROLE_OPERATOR, "operator@demo.kite", "Olivia Operator", NULL},
    {ROLE_CONTACT, "family@demo.kite", "Maria Family", "+1 555 010 2000"},
};

int cmd_demo(int argc, char **argv)
{
    const char *db_path = cli_option(argc, argv, "--db");
    const char *data_dir = cli_option(argc, argv, "--data");
    if (db_path == NULL) {
        fprintf(stderr, "usage: kite demo --db PATH [--data DIR]\n");
        return 2;
    }
    cli_store store;
    kite_err err = cli_store_open(db_path, &store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite demo: cannot open the store (%s)\n", kite_err_code(err));
        return 1;
    }
    directory_import_report loaded;
    err = directory_ensure_loaded(&store.ctx, data_dir != NULL ? data_dir : KITE_DATA_DIR, &loaded);
    arena *a = arena_new();
    for (size_t i = 0; err == KITE_OK && i < sizeof demo_accounts / sizeof demo_accounts[0]; i++) {
        const demo_account *d = &demo_accounts[i];
        account acct;
        const char *bad_field = NULL;
        if (d->role == ROLE_CONTACT) {
            registration reg = {d->email, demo_password, d->name, d->phone};
            err = account_register(&store.ctx, a, &reg, "cli", &acct, &bad_field);
        } else {
            err = account_create_staff(&store.ctx, a, d->role, d->email, d->name, demo_password, 0, &acct, &bad_field);
        }
        if (err == KITE_ERR_EMAIL_TAKEN)
            err = KITE_OK;
    }
    arena_free(a);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite demo: %s\n", kite_err_message(err));
        return 1;
    }
    printf("Demo sign-ins (password for all: %s):\n", demo_password);
    for (size_t i = 0; i < sizeof demo_accounts / sizeof demo_accounts[0]; i++)
        printf("  %-16s %s\n", role_name(demo_accounts[i].role), demo_accounts[i].email);
    return 0;
}
