/*
 * bench_wrk.c - a read phase driven by wrk (see bench_wrk.h).
 *
 * Design: a Lua script written for the phase formats one request per token
 * in wrk's init() and hands them out in turn from request(); its done()
 * prints one line of key=value (requests, window, errors, p50, p99) that is
 * parsed here, so nothing depends on the layout of wrk's own report.  wrk
 * runs as a child on a pipe; wait4 gives its CPU.  Tokens and the path are
 * the benchmark's own (hex and a fixed path), refused if they hold a
 * character a Lua string would need escaped.
 */
#include "bench_wrk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static bool lua_plain(const char *s)
{
    return s != NULL && strpbrk(s, "\"\\\n\r") == NULL;
}

static bool write_script(const char *script, char *const *tokens, int ntokens, const char *path)
{
    FILE *f = fopen(script, "w");
    if (f == NULL)
        return false;
    fprintf(f, "local tokens = {");
    for (int i = 0; i < ntokens; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", tokens[i]);
    fprintf(f, "}\nlocal path = \"%s\"\n", path);
    fputs("local requests, n = {}, 0\n"
          "function init(args)\n"
          "  for i, t in ipairs(tokens) do\n"
          "    requests[i] = wrk.format(\"GET\", path, {[\"Authorization\"] = \"Bearer \" .. t,"
          " [\"Content-Type\"] = \"application/json\"})\n"
          "  end\n"
          "end\n"
          "function request()\n"
          "  n = n + 1\n"
          "  return requests[(n % #requests) + 1]\n"
          "end\n"
          "function done(summary, latency, requests)\n"
          "  local e = summary.errors\n"
          "  io.write(string.format(\"wrk: requests=%d duration_us=%d status_errors=%d socket_errors=%d"
          " p50_us=%.1f p99_us=%.1f\\n\", summary.requests, summary.duration, e.status,"
          " e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))\n"
          "end\n",
          f);
    return fclose(f) == 0;
}

void bench_wrk_reads(const char *base, char *const *tokens, int ntokens, const char *path, int conns, double seconds,
                     const char *dir, bench_wrk_result *out)
{
    memset(out, 0, sizeof *out);
    bool plain = lua_plain(path) && ntokens > 0;
    for (int i = 0; plain && i < ntokens; i++)
        plain = lua_plain(tokens[i]);
    if (!plain) {
        snprintf(out->why, sizeof out->why, "n/a: a token or the path cannot be put in the script as it is");
        return;
    }
    char script[1200];
    snprintf(script, sizeof script, "%.1100s/wrk-phase.lua", dir);
    if (!write_script(script, tokens, ntokens, path)) {
        snprintf(out->why, sizeof out->why, "n/a: cannot write %.100s", script);
        return;
    }
    char conns_arg[32], seconds_arg[32];
    snprintf(conns_arg, sizeof conns_arg, "-c%d", conns);
    snprintf(seconds_arg, sizeof seconds_arg, "-d%ds", seconds < 1 ? 1 : (int)(seconds + 0.5));
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        snprintf(out->why, sizeof out->why, "n/a: pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execlp("wrk", "wrk", "-t1", conns_arg, seconds_arg, "--timeout", "10s", "-s", script, base, (char *)NULL);
        _exit(127);
    }
    close(pipe_fds[1]);
    if (pid < 0) {
        close(pipe_fds[0]);
        snprintf(out->why, sizeof out->why, "n/a: fork: %s", strerror(errno));
        return;
    }
    FILE *from = fdopen(pipe_fds[0], "r");
    char line[512];
    long duration_us = 0, status_errors = 0, socket_errors = 0;
    double p50_us = 0, p99_us = 0;
    bool seen = false;
    while (from != NULL && fgets(line, sizeof line, from) != NULL)
        if (sscanf(line, "wrk: requests=%ld duration_us=%ld status_errors=%ld socket_errors=%ld p50_us=%lf p99_us=%lf",
                   &out->requests, &duration_us, &status_errors, &socket_errors, &p50_us, &p99_us) == 6)
            seen = true;
    if (from != NULL)
        fclose(from);
    else
        close(pipe_fds[0]);
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR)
        continue;
    out->client_cpu_s = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
                        usage.ru_stime.tv_usec / 1e6;
    unlink(script);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !seen || duration_us <= 0) {
        snprintf(out->why, sizeof out->why, "n/a: wrk %s (tools/install-deps.sh bench installs it)",
                 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "is not installed" : "failed");
        return;
    }
    out->ok = out->requests > 0;
    out->seconds = duration_us / 1e6;
    out->per_second = out->requests / out->seconds;
    out->p50 = p50_us / 1000.0;
    out->p99 = p99_us / 1000.0;
    out->errors = status_errors + socket_errors;
}
