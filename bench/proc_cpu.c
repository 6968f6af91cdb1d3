/*
 * proc_cpu.c - CPU shares of a window from /proc (see proc_cpu.h).
 *
 * Design: /proc/PID/stat gives each process's parent and its user and
 * system ticks (all threads); one pass over /proc lists them, and a process
 * belongs to a group when a root of the group is on its parent chain.  The
 * command name (field 2) may hold spaces and parentheses, so fields are read
 * after the last ')'.
 */
#include "proc_cpu.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PROCS = 8192, MAX_DEPTH = 64 };

typedef struct proc_entry {
    pid_t pid, ppid;
    uint64_t ticks;
} proc_entry;

static int read_stat(const char *path, proc_entry *e)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *close_paren = ok != NULL ? strrchr(line, ')') : NULL;
    if (close_paren == NULL)
        return -1;
    e->pid = (pid_t)atol(line);
    /* After ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime. */
    char state;
    long ppid;
    unsigned long long utime, stime;
    if (sscanf(close_paren + 1, " %c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ppid, &utime,
               &stime) != 4)
        return -1;
    e->ppid = (pid_t)ppid;
    e->ticks = utime + stime;
    return 0;
}

int proc_cpu_groups(const char *spec, proc_cpu_group *groups)
{
    int n = 0;
    const char *p = spec;
    while (*p != '\0') {
        if (n == PROC_CPU_GROUPS)
            return -1;
        proc_cpu_group *g = &groups[n];
        memset(g, 0, sizeof *g);
        size_t len = strcspn(p, "=");
        if (p[len] != '=' || len == 0 || len >= sizeof g->name)
            return -1;
        memcpy(g->name, p, len);
        p += len + 1;
        while (isdigit((unsigned char)*p)) {
            if (g->nroots == PROC_CPU_ROOTS)
                return -1;
            char *end;
            g->roots[g->nroots++] = (pid_t)strtol(p, &end, 10);
            p = end;
            if (*p == ',')
                p++;
        }
        if (g->nroots == 0 || (*p != '\0' && *p != ';'))
            return -1;
        if (*p == ';')
            p++;
        n++;
    }
    return n;
}

static const proc_entry *find(const proc_entry *all, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (all[i].pid == pid)
            return &all[i];
    return NULL;
}

static int in_group(const proc_cpu_group *g, const proc_entry *all, int n, const proc_entry *e)
{
    for (int depth = 0; e != NULL && depth < MAX_DEPTH; depth++) {
        for (int r = 0; r < g->nroots; r++)
            if (e->pid == g->roots[r])
                return 1;
        e = e->ppid > 1 ? find(all, n, e->ppid) : NULL;
    }
    return 0;
}

void proc_cpu_sample_now(const proc_cpu_group *groups, int ngroups, proc_cpu_sample *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    if (f != NULL) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) == 8) {
            for (int i = 0; i < 8; i++)
                out->total += v[i];
            out->idle = v[3] + v[4];
            out->steal = v[7];
        }
        fclose(f);
    }
    proc_entry self;
    if (read_stat("/proc/self/stat", &self) == 0)
        out->self = self.ticks;
    if (ngroups == 0)
        return;
    proc_entry *all = calloc(MAX_PROCS, sizeof *all);
    DIR *d = all != NULL ? opendir("/proc") : NULL;
    int n = 0;
    struct dirent *de;
    char path[300];
    while (d != NULL && n < MAX_PROCS && (de = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        if (read_stat(path, &all[n]) == 0)
            n++;
    }
    if (d != NULL)
        closedir(d);
    for (int i = 0; i < n; i++)
        for (int g = 0; g < ngroups; g++)
            if (in_group(&groups[g], all, n, &all[i]))
                out->group[g] += all[i].ticks;
    free(all);
}

void proc_cpu_print(FILE *out, const char *prefix, const proc_cpu_group *groups, int n, const proc_cpu_sample *a,
                    const proc_cpu_sample *b)
{
    double total = b->total > a->total ? (double)(b->total - a->total) : 1.0;
    double idle = (double)(b->idle - a->idle), steal = (double)(b->steal - a->steal);
    double busy = total - idle - steal, accounted = (double)(b->self - a->self);
    fprintf(out, " %s_busy_pct=%.1f %s_idle_pct=%.1f %s_steal_pct=%.1f", prefix, 100 * busy / total, prefix,
            100 * idle / total, prefix, 100 * steal / total);
    for (int g = 0; g < n; g++) {
        double t = (double)(b->group[g] - a->group[g]);
        accounted += t;
        fprintf(out, " %s_cpu_%s_pct=%.1f", prefix, groups[g].name, 100 * t / total);
    }
    fprintf(out, " %s_cpu_clients_pct=%.1f %s_cpu_other_pct=%.1f", prefix, 100 * (double)(b->self - a->self) / total,
            prefix, 100 * (busy - accounted) / total);
}
