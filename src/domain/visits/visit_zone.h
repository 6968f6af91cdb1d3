/*
 * visit_zone.h - a facility's IANA time zone: local wall time <-> UTC.
 *
 * Design: visit slots are weekly wall-clock times ("Tuesday 10:00" in
 * America/Chicago), so every booking converts between the facility's wall
 * time and a UTC instant.  ICU's calendar (ucal_*, libicu) does it: it
 * carries its own zone database and a UCalendar is an object of its own,
 * opened per call, so nothing here touches the process-global TZ that
 * glibc's localtime_r/tzset read (unsafe in a server thread).  A wall time
 * that a DST change skips (02:30 on the spring-forward day) is read as the
 * instant after the gap, as ICU does by default; an hour repeated in the
 * autumn is read as its first occurrence.
 *
 * SECURITY: a zone name comes from a facility admin; it is accepted only
 * when ICU knows it as a system zone (no custom "GMT+5" ids), and its
 * length is bounded before it is converted.
 */
#ifndef KITE_DOMAIN_VISITS_VISIT_ZONE_H
#define KITE_DOMAIN_VISITS_VISIT_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { VISIT_ZONE_MAX = 64, VISIT_LOCAL_TIME_MAX = 32 };

/* A wall-clock time in a zone: month 1..12, weekday 0 (Sunday) .. 6, offset in minutes east of UTC. */
typedef struct visit_wall {
    int year, month, day, hour, minute, second;
    int weekday;
    int offset_minutes;
} visit_wall;

/* True when name is a time zone ICU knows (an IANA name such as "America/Chicago"). */
bool visit_zone_valid(const char *name);

/* The UTC instant (epoch ms) of a wall time in zone; false when zone is unknown or the date is not real. */
bool visit_zone_to_utc(const char *zone, int year, int month, int day, int minute_of_day, int64_t *ms);

/* The wall time in zone of a UTC instant; false when zone is unknown. */
bool visit_zone_from_utc(const char *zone, int64_t ms, visit_wall *out);

/* "2026-03-10T10:00:00-05:00": the wall time with its offset (RFC 3339), into buf (VISIT_LOCAL_TIME_MAX). */
bool visit_zone_local_string(const char *zone, int64_t ms, char *buf, size_t size);

/* A US state's zone where the whole state keeps one (a suggestion for the admin), else NULL. */
const char *visit_zone_suggest(const char *state);

#endif
