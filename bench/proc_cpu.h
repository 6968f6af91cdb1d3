/*
 * proc_cpu.h - where a machine's CPU went during a measured window, from
 * /proc: the whole machine (busy, idle, steal) and named groups of
 * processes, each a few root pids with all their descendants (a postmaster
 * and its backends, an nginx master and its workers, kite servers).
 *
 * Design: two samples, taken at the window's edges, are subtracted; every
 * figure is a share of the whole machine (all cores) over the window, so the
 * groups, the benchmark's own threads and "other" (what else ran on the
 * machine) add up to busy.  A process that ended inside the window takes its
 * time with it; the groups measured here live for the whole run.
 */
#ifndef KITE_BENCH_PROC_CPU_H
#define KITE_BENCH_PROC_CPU_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum { PROC_CPU_GROUPS = 4, PROC_CPU_ROOTS = 8 };

typedef struct proc_cpu_group {
    char name[16];
    pid_t roots[PROC_CPU_ROOTS];
    int nroots;
} proc_cpu_group;

typedef struct proc_cpu_sample {
    uint64_t total, idle, steal;             /* /proc/stat, all cores, in ticks */
    uint64_t self;                           /* this process, every thread */
    uint64_t group[PROC_CPU_GROUPS];         /* each group with its descendants */
} proc_cpu_sample;

/* Parses "name=PID,PID;name=PID" into at most PROC_CPU_GROUPS groups; returns their number, -1 when malformed. */
int proc_cpu_groups(const char *spec, proc_cpu_group *groups);

void proc_cpu_sample_now(const proc_cpu_group *groups, int n, proc_cpu_sample *out);

/* Prints " PREFIX_busy_pct=.. PREFIX_idle_pct=.. PREFIX_steal_pct=.. PREFIX_cpu_NAME_pct=.. ... PREFIX_cpu_clients_pct=.. PREFIX_cpu_other_pct=.." */
void proc_cpu_print(FILE *out, const char *prefix, const proc_cpu_group *groups, int n, const proc_cpu_sample *a,
                    const proc_cpu_sample *b);

#endif
