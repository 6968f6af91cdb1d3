/*
 * privileges.c - root to an ordinary user (the design is in privileges.h).
 *
 * SECURITY: the order matters: groups before the uid (once the uid is not
 * root, the groups can no longer be changed), and the check that root
 * cannot be taken back comes last.
 */
#include "sandbox/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

kite_err privileges_drop_to(const char *user, char *problem, size_t len)
{
    errno = 0;
    const struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(problem, len, "there is no user \"%s\" (%s); create it (adduser --system %s) or name another",
                 user, errno != 0 ? strerror(errno) : "not in the user database", user);
        return KITE_ERR_NOT_FOUND;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (uid == 0) {
        snprintf(problem, len, "\"%s\" is root: name an ordinary user such as kite", user);
        return KITE_ERR_INVALID_FIELD;
    }
    if (geteuid() != 0) {
        if (geteuid() == uid && getuid() == uid)
            return KITE_OK;
        snprintf(problem, len, "only root can become \"%s\"; start kite serve as root, or as %s without --user",
                 user, user);
        return KITE_ERR_FORBIDDEN;
    }
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        snprintf(problem, len, "cannot become \"%s\": %s", user, strerror(errno));
        return KITE_ERR_INTERNAL;
    }
    /* No way back, and no way up through a set-user-id program either. */
    if (setuid(0) == 0 || seteuid(0) == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(problem, len, "root could be taken back after becoming \"%s\"", user);
        return KITE_ERR_INTERNAL;
    }
    return KITE_OK;
}
