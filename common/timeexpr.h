/*
 * timeexpr.h — parsing the TIME and DURATION arguments users type.
 *
 * TIME:  ISO 8601 local or UTC ("2026-11-25T10:00:00", "...Z", "...+02:00",
 *        a space instead of 'T', optional fractional seconds), "HH:MM[:SS]"
 *        for today in local time, epoch seconds ("1764064800"), relative to now
 *        ("-5m", "-2h", "-1d"), "now", and "@ID" for a snapshot id.
 * DURATION: an integer with a unit: ns, us, ms, s, m, h, d, w ("500ms",
 *        "10s", "1m"; "1h30m" sums); a bare number means seconds.
 */
#ifndef SOCKHIST_TIMEEXPR_H
#define SOCKHIST_TIMEEXPR_H

#include <stdint.h>

enum time_kind { TIME_ABSOLUTE, TIME_SNAPSHOT_ID };

struct time_spec {
	enum time_kind kind;
	int64_t time_ns;       /* TIME_ABSOLUTE: ns since the epoch, UTC */
	int64_t snapshot_id;   /* TIME_SNAPSHOT_ID */
};

/* Parse TIME relative to now_ns.  Returns 0 or -EINVAL. */
int time_parse(const char *s, int64_t now_ns, struct time_spec *out);
/* Parse DURATION into nanoseconds (>0).  Returns 0 or -EINVAL (also for zero,
 * negative, or overflowing values). */
int duration_parse(const char *s, int64_t *out_ns);

/* Format time_ns as ISO 8601 UTC with seconds ("2026-11-25T10:00:00Z") or,
 * with millis set, milliseconds ("...:00.123Z") into buf (>= 32 bytes). */
void time_format_iso(int64_t time_ns, int millis, char *buf, unsigned buflen);

/* Current wall-clock time in ns since the epoch. */
int64_t time_now_ns(void);
/* CLOCK_MONOTONIC in ns, for durations and deadlines. */
int64_t time_mono_ns(void);

#endif
