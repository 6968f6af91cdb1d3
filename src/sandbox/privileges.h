/*
 * privileges.h - a server started as root keeps root for binding its port
 * only, then runs as an ordinary system user.
 *
 * Design: `kite serve --user kite` binds the listening socket first (the one
 * thing a port below 1024 needs root for), then drops to the user: no
 * supplementary groups, the user's group, the user's uid (real, effective
 * and saved), and no way back (checked: setuid(0) must then fail).  Only
 * after that does it open the store, start threads or spawn the photo
 * helper, so every file it makes belongs to that user and no thread ever
 * runs as root.
 *
 * SECURITY: a failure to drop is fatal: a server that asked to give up root
 * and could not must not serve.
 */
#ifndef KITE_SANDBOX_PRIVILEGES_H
#define KITE_SANDBOX_PRIVILEGES_H

#include <stddef.h>

#include "core/error.h"

enum { PRIVILEGES_PROBLEM_MAX = 256 };

/*
 * Becomes user (a name).  As root: drops as above.  As that user already:
 * nothing to do.  As anyone else: KITE_ERR_FORBIDDEN (only root can become
 * another user).  KITE_ERR_NOT_FOUND: no such user.  problem says what
 * happened, for the operator.
 */
kite_err privileges_drop_to(const char *user, char *problem, size_t len) KITE_WUR;

#endif
