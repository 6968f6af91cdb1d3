/*
 * cmd_user.c - kite user add (staff and operator accounts; --totp-secret
 * enrols the new account's two-factor sign-in with a base32 secret the
 * caller already put in an authenticator, as the demo and the tests do;
 * without it the account enrols at its first sign-in) and kite user
 * verify-email (support marks a contact's address proven, e.g. for a person
 * whose mail filter eats Kite's links; audited as actor "cli").
 */
#include "cli/cli.h"

#include "domain/identity/account.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/totp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int user_add(int argc, char **argv)
{
    const char *db_path, *role_arg, *email, *name, *facility_arg, *totp_secret;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"role", &role_arg, "ROLE"}, {"email", &email, "EMAIL"},
                            {"name", &name, NULL}, {"facility", &facility_arg, NULL},
                            {"totp-secret", &totp_secret, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite user add",
                             "kite user add --db PATH --role ROLE --email EMAIL [--name NAME] [--facility ID]\n"
                             "              [--totp-secret BASE32]\n"
                             "       (the password is read from standard input)",
                             opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, "add", argc, argv, &args, &status))
        return status;
    role r;
    if (!role_parse(role_arg, &r) || r == ROLE_CONTACT || r == ROLE_RESIDENT) {
        fprintf(stderr, "kite user add: --role must be operator, facility_admin, reviewer or investigator\n");
        return 2;
    }
    char *end = NULL;
    long long facility_id = facility_arg != NULL ? strtoll(facility_arg, &end, 10) : 0;
    if (facility_arg != NULL && (*end != '\0' || facility_id <= 0)) {
        fprintf(stderr, "kite user add: --facility takes a facility id\n");
        return 2;
    }
    char *password = cli_read_secret_line();
    if (password == NULL) {
        fprintf(stderr, "kite user add: give the password on standard input\n");
        return 2;
    }
    cli_store store;
    kite_err err = cli_store_open(cmd.name, db_path, &store);
    if (err != KITE_OK) {
        sodium_memzero(password, strlen(password));
        free(password);
        return 1;
    }
    arena *a = arena_new();
    account acct;
    kite_fault fault;
    err = account_create_staff(&store.ctx, a, r, email, name != NULL ? name : email, password, facility_id, &acct,
                               &fault);
    sodium_memzero(password, strlen(password));
    free(password);
    if (err == KITE_OK && totp_secret != NULL && totp_enrol_with_secret(&store.ctx, a, acct.id, totp_secret, "cli") != KITE_OK) {
        fprintf(stderr, "kite user add: --totp-secret takes a base32 secret of at least 128 bits; account %lld "
                        "was created without two-factor\n", (long long)acct.id);
        arena_free(a);
        cli_store_close(&store);
        return 1;
    }
    status = 0;
    if (err == KITE_OK) {
        printf("created %s account %lld for %s\n", role_name(acct.role), (long long)acct.id, acct.email);
    } else {
        status = 1;
        if (err == KITE_ERR_EMAIL_TAKEN)
            fprintf(stderr, "kite user add: an account with this email already exists\n");
        else if (err == KITE_ERR_WEAK_PASSWORD)
            fprintf(stderr, "kite user add: %s\n", kite_err_message(err));
        else if (fault.field != NULL && strcmp(fault.field, "facility") == 0)
            fprintf(stderr, "kite user add: %s needs --facility with an existing facility id (and only staff roles take one)\n",
                    role_arg);
        else if (fault.field != NULL)
            fprintf(stderr, "kite user add: the %s is not valid\n", fault.field);
        else
            fprintf(stderr, "kite user add: %s\n", kite_err_message(err));
    }
    arena_free(a);
    cli_store_close(&store);
    return status;
}

static int user_verify_email(int argc, char **argv)
{
    const char *db_path;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite user verify-email", "kite user verify-email --db PATH EMAIL", opts, 1, 1};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, "verify-email", argc, argv, &args, &status))
        return status;
    cli_store store;
    if (cli_store_open(cmd.name, db_path, &store) != KITE_OK)
        return 1;
    arena *a = arena_new();
    int64_t id = 0;
    kite_err err = email_verify_by_operator(&store.ctx, a, args.operand[0], &id);
    status = 0;
    if (err == KITE_OK) {
        printf("account %lld: email address verified\n", (long long)id);
    } else {
        status = 1;
        fprintf(stderr, "kite user verify-email: %s\n",
                err == KITE_ERR_NOT_FOUND       ? "no account has this email address"
                : err == KITE_ERR_INVALID_FIELD ? "this is not an email address"
                                                : kite_err_message(err));
    }
    arena_free(a);
    cli_store_close(&store);
    return status;
}

int cmd_user(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "verify-email") == 0)
        return user_verify_email(argc, argv);
    return user_add(argc, argv);
}
