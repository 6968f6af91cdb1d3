/*
 * cmd_purge.c - kite purge: one retention run now (domain/retention/purge.h),
 * the same run `kite serve`'s background worker makes every few minutes.
 *
 * Design: prints what it deleted ("purge: N messages, P photos, A audit
 * records; K kept by legal holds") and exits 0, or 1 when the store cannot
 * be opened or written; 2 for a usage error.  Each batch it deleted is also
 * a "retention.purge" record in the audit log (actor "cli").  The test
 * clock (--test-clock-offset SECONDS, only with KITE_ALLOW_TEST_CLOCK=1)
 * runs it as if that much later, as `kite serve` does; it stays out of the
 * usage.
 *
 * SECURITY: deletes private content for good (see purge.h for what).
 */
#include "cli/cli.h"

#include "domain/retention/purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool clock_offset_or_usage(const cli_command *cmd, const char *arg, int64_t *offset_ms)
{
    *offset_ms = 0;
    if (arg == NULL)
        return true;
    const char *allow = getenv("KITE_ALLOW_TEST_CLOCK");
    if (allow == NULL || strcmp(allow, "1") != 0) {
        cli_usage_error(cmd, "--test-clock-offset is for tests only (it needs KITE_ALLOW_TEST_CLOCK=1)");
        return false;
    }
    char *end = NULL;
    long long seconds = strtoll(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || seconds < 0 || seconds > 10LL * 365 * 24 * 3600) {
        cli_usage_error(cmd, "--test-clock-offset takes seconds, from 0 to ten years");
        return false;
    }
    *offset_ms = seconds * 1000;
    return true;
}

int cmd_purge(int argc, char **argv)
{
    const char *db_path, *offset_arg;
    const cli_opt opts[] = {{"db", &db_path, "PATH"}, {"test-clock-offset", &offset_arg, NULL}, {NULL, NULL, NULL}};
    const cli_command cmd = {"kite purge", "kite purge --db PATH", opts, 0, 0};
    cli_args args;
    int status;
    if (!cli_parse_or_usage(&cmd, NULL, argc, argv, &args, &status))
        return status;
    int64_t offset_ms;
    if (!clock_offset_or_usage(&cmd, offset_arg, &offset_ms))
        return 2;
    cli_store store;
    if (cli_store_open(cmd.name, db_path, &store) != KITE_OK)
        return 1;
    store.ctx.clock.offset_ms = offset_ms;
    arena *a = arena_new();
    retention_report r;
    kite_err err = retention_purge(&store.ctx, a, "cli", &r);
    arena_free(a);
    cli_store_close(&store);
    if (err != KITE_OK) {
        fprintf(stderr, "kite purge: the run stopped (%s); what it deleted before is recorded in the audit log\n",
                kite_err_code(err));
        return 1;
    }
    printf("purge: %lld messages, %lld photos, %lld audit records deleted; %lld messages kept by legal holds"
           " (%lld facilities)\n", (long long)r.messages, (long long)r.photos, (long long)r.audit_deleted,
           (long long)r.kept_by_hold, (long long)r.facilities);
    return 0;
}
