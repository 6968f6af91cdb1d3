/*
 * confine.c - privileges, limits and the seccomp allow-list of a helper.
 *
 * SECURITY: this is the wall between a decoder bug and the rest of Kite.
 * The allow-list is written for a process that only computes on data it
 * reads from descriptors it already holds: memory, threads, time, futexes,
 * read/write.  Calls that reach outside the process are refused: open*,
 * unlink* and readlink* answer EACCES (so a library that probes or cleans up
 * a file fails softly), ioctl
 * answers ENOTTY (isatty), clone3 answers ENOSYS (so glibc falls back to
 * clone, whose flags a filter can see), getpeername and getsockname answer
 * ENOTSOCK (GLib asks whether stderr is journald), and everything else not listed stops
 * the process.  clone is allowed only for threads (CLONE_THREAD), tgkill only
 * within the process, mmap and mprotect only without PROT_EXEC, prctl only
 * to name a thread, prlimit64 only to read a limit.  AddressSanitizer and
 * UBSan builds need nothing more: their reports go to stderr (a pipe), and
 * the helper leaves with _exit, so the leak checker never runs under the
 * filter.
 */
#include "sandbox/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { NOBODY_ID = 65534, SIGSYS_EXIT = 159 };

void confine_close_fds(void)
{
    if (close_range(3, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
        close((int)fd);
}

kite_err confine_drop_privileges(void)
{
    if (geteuid() != 0 && getuid() != 0)
        return KITE_OK;
    uid_t uid = NOBODY_ID;
    gid_t gid = NOBODY_ID;
    const struct passwd *pw = getpwnam("nobody");
    if (pw != NULL && pw->pw_uid != 0 && pw->pw_gid != 0) {
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        fprintf(stderr, "helper: cannot drop root privileges: %s\n", strerror(errno));
        return KITE_ERR_INTERNAL;
    }
    if (setuid(0) == 0 || seteuid(0) == 0 || getuid() == 0 || geteuid() == 0) {
        fprintf(stderr, "helper: root privileges could be regained; refusing to go on\n");
        return KITE_ERR_INTERNAL;
    }
    return KITE_OK;
}

void confine_die_with_parent(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(1);
}

kite_err confine_set_limits(const confine_limits *limits)
{
    struct rlimit none = {0, 0};
    struct rlimit cpu = {limits->cpu_seconds, limits->cpu_seconds + 1};
    struct rlimit files = {limits->open_files, limits->open_files};
    /* RLIMIT_FSIZE 0: writing a regular file fails (EFBIG rather than SIGXFSZ); pipes are not files. */
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_CORE, &none) != 0 || setrlimit(RLIMIT_FSIZE, &none) != 0 ||
        setrlimit(RLIMIT_CPU, &cpu) != 0 || setrlimit(RLIMIT_NOFILE, &files) != 0) {
        fprintf(stderr, "helper: cannot set resource limits: %s\n", strerror(errno));
        return KITE_ERR_INTERNAL;
    }
    if (limits->address_space > 0) {
        struct rlimit as = {limits->address_space, limits->address_space};
        if (setrlimit(RLIMIT_AS, &as) != 0) {
            fprintf(stderr, "helper: cannot limit memory: %s\n", strerror(errno));
            return KITE_ERR_INTERNAL;
        }
    }
    prctl(PR_SET_DUMPABLE, 0);
    return KITE_OK;
}

/* One line naming the refused call, then out: async-signal-safe, and only allowed calls. */
static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
    (void)sig;
    (void)uctx;
    char line[80] = "helper: system call ";
    size_t len = strlen(line);
    char digits[12];
    size_t n = 0;
    unsigned v = (unsigned)info->si_syscall;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof digits);
    while (n > 0)
        line[len++] = digits[--n];
    static const char tail[] = " refused by the sandbox\n";
    memcpy(line + len, tail, sizeof tail - 1);
    len += sizeof tail - 1;
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
    _exit(SIGSYS_EXIT);
}

static const char *const allowed[] = {
    /* descriptors already open */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "fstat", "newfstatat", "lseek", "fcntl",
    "poll", "ppoll",
    /* memory (mmap and mprotect are added below, without PROT_EXEC) */
    "munmap", "mremap", "brk", "madvise",
    /* threads and their synchronisation */
    "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield", "sched_getaffinity", "gettid",
    "sigaltstack", "membarrier",
    /* signals within the process, time, identity */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "clock_gettime", "clock_getres",
    "gettimeofday", "clock_nanosleep", "nanosleep", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid",
    "getrandom", "getrusage", "sysinfo", "uname",
    /* leaving */
    "exit", "exit_group",
};

static int allow_masked(scmp_filter_ctx ctx, const char *name, unsigned arg, uint64_t mask, uint64_t value)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    struct scmp_arg_cmp cmp = {arg, SCMP_CMP_MASKED_EQ, mask, value};
    return seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

static int allow_equal(scmp_filter_ctx ctx, const char *name, unsigned arg, uint64_t value)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    struct scmp_arg_cmp cmp = {arg, SCMP_CMP_EQ, value, 0};
    return seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

static int answer_errno(scmp_filter_ctx ctx, const char *name, int err)
{
    int nr = seccomp_syscall_resolve_name(name);
    return nr == __NR_SCMP_ERROR ? 0 : seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO((uint32_t)err), nr, 0);
}

kite_err confine_seccomp(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "helper: cannot prepare the sandbox: %s\n", strerror(errno));
        return KITE_ERR_INTERNAL;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (ctx == NULL) {
        fprintf(stderr, "helper: seccomp is not available\n");
        return KITE_ERR_INTERNAL;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; rc == 0 && i < sizeof allowed / sizeof allowed[0]; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    if (rc == 0)
        rc = allow_masked(ctx, "mmap", 2, PROT_EXEC, 0);
    if (rc == 0)
        rc = allow_masked(ctx, "mprotect", 2, PROT_EXEC, 0);
    if (rc == 0)
        rc = allow_masked(ctx, "clone", 0, CLONE_THREAD, CLONE_THREAD);
    if (rc == 0)
        rc = allow_equal(ctx, "tgkill", 0, (uint64_t)getpid());
    if (rc == 0)
        rc = allow_equal(ctx, "prctl", 0, PR_SET_NAME);
    if (rc == 0)
        rc = allow_equal(ctx, "prlimit64", 2, 0);
    if (rc == 0)
        rc = answer_errno(ctx, "clone3", ENOSYS);
    if (rc == 0)
        rc = answer_errno(ctx, "openat", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "open", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "unlink", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "unlinkat", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "readlink", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "readlinkat", EACCES);
    if (rc == 0)
        rc = answer_errno(ctx, "ioctl", ENOTTY);
    /* GLib's log writer asks whether stderr is journald's socket: it is a pipe. */
    if (rc == 0)
        rc = answer_errno(ctx, "getpeername", ENOTSOCK);
    if (rc == 0)
        rc = answer_errno(ctx, "getsockname", ENOTSOCK);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "helper: cannot install the seccomp filter: %s\n", strerror(-rc));
        return KITE_ERR_INTERNAL;
    }
    return KITE_OK;
}

bool confine_read_all(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool confine_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool confine_worker_options(int argc, char **argv, long *delay_ms)
{
    static const char name[] = "--test-delay-ms";
    static const struct option options[] = {{name + 2, required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c != 'd')
            return false;
        /* getopt_long also takes "--test" for the option; it must be written whole. */
        const char *token = argv[optarg == argv[optind - 1] ? optind - 2 : optind - 1];
        if (strcspn(token, "=") != sizeof name - 1 || strncmp(token, name, sizeof name - 1) != 0)
            return false;
        char *end = NULL;
        *delay_ms = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || *delay_ms < 0 || *delay_ms > 60000)
            return false;
    }
    return optind == argc;
}

void confine_test_delay(long delay_ms)
{
    if (delay_ms <= 0)
        return;
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}
