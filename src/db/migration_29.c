/*
 * migration_29.c - step 29: a video visit is connected only while media flows (api/visit_live.c).
 *
 * Janus answering both parties' offers says nothing about whether their
 * browsers ever reached it (ICE and DTLS may never complete) or keep
 * reaching it.  Kite asks Janus's admin API (handle_info) on each page's
 * poll how many media packets Janus has received on each party's publisher
 * handle; the counts must outlive the poll and be shared between Kite
 * servers, so they live here:
 *
 * live_peers.media_packets is the received-packet count Kite last read for
 * that person's publisher handle (NULL: never read, or the handle is new),
 * live_peers.media_seen_at the last time that count was seen to grow, and
 * live_peers.media_looked_at when Kite last read it: a growth counts as
 * media flowing now only when the read before it is recent (a first look
 * after a long silence, such as the sweeper's after both pages closed, may
 * see the last packets sent before they went; it decides nothing).
 *
 * visits.media_seen_at is the last time both parties' media was seen
 * flowing (set with connected_at, moved on by each poll that sees both
 * flow).  A connected visit is charged to it (plus a poll's tolerance),
 * never to the moment Kite noticed the end; a visit whose media has not
 * been seen for a grace ends as connection_lost (visit.h says the numbers).
 * NULL on visits connected before this step: they are charged as before.
 */
#include "db/migrations.h"

const char kite_migration_29_sqlite[] =
    "ALTER TABLE live_peers ADD COLUMN media_packets INTEGER;"
    "ALTER TABLE live_peers ADD COLUMN media_seen_at INTEGER;"
    "ALTER TABLE live_peers ADD COLUMN media_looked_at INTEGER;"
    "ALTER TABLE visits ADD COLUMN media_seen_at INTEGER;";

const char kite_migration_29_pg[] =
    "ALTER TABLE live_peers ADD COLUMN media_packets BIGINT;"
    "ALTER TABLE live_peers ADD COLUMN media_seen_at BIGINT;"
    "ALTER TABLE live_peers ADD COLUMN media_looked_at BIGINT;"
    "ALTER TABLE visits ADD COLUMN media_seen_at BIGINT;";
