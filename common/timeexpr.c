/*
 * timeexpr.c — parsing the TIME and DURATION arguments users type.
 *
 * TIME forms, tried in this order:
 *   "now"                         now_ns
 *   "@ID"                         a snapshot id (decimal, > 0)
 *   "-DURATION"                   now_ns minus a duration ("-5m", "-1h30m")
 *   "DIGITS[.FRACTION]"           seconds since the epoch, at least 9 digits
 *                                 (from 1973 on), so "5" or "20261125" are
 *                                 errors rather than silently 1970
 *   "HH:MM[:SS[.FRACTION]]"       today, local time
 *   "YYYY-MM-DD[(T| )HH:MM[:SS[.FRACTION]]][Z|+HH:MM|-HH:MM|+HHMM|+HH]"
 *                                 local time unless a zone is given
 * Local times go through mktime() with tm_isdst = -1, so the zone's own DST
 * rules decide the offset.  Everything is checked for range and overflow.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeexpr.h"

#define NS_PER_SEC 1000000000LL

/* Parse exactly n decimal digits at *p into *v and advance. */
static bool digits_n(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return true;
}

/* Parse one or more decimal digits as an int64 without overflow. */
static bool digits_u64(const char **p, int64_t *v)
{
	const char *s = *p;
	int64_t x = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		int d = *s - '0';
		if (x > (INT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*p = s;
	*v = x;
	return true;
}

/* Parse an optional ".FRACTION" (1-9 digits) as nanoseconds. */
static bool fraction(const char **p, int64_t *ns)
{
	const char *s = *p;
	int64_t x = 0;
	int n = 0;

	*ns = 0;
	if (*s != '.')
		return true;
	for (s++; isdigit((unsigned char)*s); s++, n++) {
		if (n == 9)
			return false;
		x = x * 10 + (*s - '0');
	}
	if (n == 0)
		return false;
	for (; n < 9; n++)
		x *= 10;
	*p = s;
	*ns = x;
	return true;
}

/* Combine seconds and nanoseconds into ns, refusing overflow. */
static int to_ns(int64_t sec, int64_t frac_ns, int64_t *out)
{
	if (sec > INT64_MAX / NS_PER_SEC - 1 || sec < INT64_MIN / NS_PER_SEC + 1)
		return -EINVAL;
	*out = sec * NS_PER_SEC + frac_ns;
	return 0;
}

/* Nanoseconds per unit for a duration suffix at *p (advanced), or 0. */
static int64_t unit_ns(const char **p)
{
	static const struct { const char *name; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", NS_PER_SEC }, { "m", 60 * NS_PER_SEC },
		{ "h", 3600 * NS_PER_SEC }, { "d", 86400 * NS_PER_SEC },
		{ "w", 7 * 86400 * NS_PER_SEC },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);
		if (strncmp(*p, units[i].name, n) == 0) {
			*p += n;
			return units[i].ns;
		}
	}
	return 0;
}

/* Parse a DURATION; see timeexpr.h. */
int duration_parse(const char *s, int64_t *out_ns)
{
	int64_t total = 0, n;
	const char *p = s;

	if (!digits_u64(&p, &n))
		return -EINVAL;
	if (*p == '\0')
		return n > 0 && to_ns(n, 0, out_ns) == 0 ? 0 : -EINVAL;
	for (p = s; *p; ) {
		if (!digits_u64(&p, &n))
			return -EINVAL;
		int64_t u = unit_ns(&p);
		if (u == 0 || n > INT64_MAX / u || total > INT64_MAX - n * u)
			return -EINVAL;
		total += n * u;
	}
	if (total <= 0)
		return -EINVAL;
	*out_ns = total;
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Check a calendar date and clock time for range. */
static bool valid_tm(const struct tm *tm)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int y = tm->tm_year + 1900, m = tm->tm_mon;

	if (m < 0 || m > 11 || tm->tm_mday < 1 || tm->tm_hour > 23 ||
	    tm->tm_min > 59 || tm->tm_sec > 59)
		return false;
	return tm->tm_mday <= mdays[m] + (m == 1 && is_leap(y));
}

/* Parse "HH:MM[:SS[.FRACTION]]" into tm fields and *frac; advances *p. */
static bool clock_part(const char **p, struct tm *tm, int64_t *frac)
{
	*frac = 0;
	tm->tm_sec = 0;
	if (!digits_n(p, 2, &tm->tm_hour) || **p != ':')
		return false;
	(*p)++;
	if (!digits_n(p, 2, &tm->tm_min))
		return false;
	if (**p == ':') {
		(*p)++;
		if (!digits_n(p, 2, &tm->tm_sec) || !fraction(p, frac))
			return false;
	}
	return true;
}

/* Parse a zone suffix: "" (local), "Z", "+HH:MM", "+HHMM", "+HH" (or '-').
 * Sets *local or *offset_s; returns false on junk. */
static bool zone_part(const char *p, bool *local, int64_t *offset_s)
{
	int hh, mm = 0;

	*local = false;
	*offset_s = 0;
	if (*p == '\0') {
		*local = true;
		return true;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p++ == '-' ? -1 : 1;
	if (!digits_n(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && !digits_n(&p, 2, &mm))
		return false;
	if (*p != '\0' || hh > 23 || mm > 59)
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

/* Seconds since the epoch for a broken-down time, local or UTC. */
static int tm_to_epoch(struct tm *tm, bool local, int64_t *sec)
{
	struct tm copy = *tm;
	time_t t;

	if (local) {
		copy.tm_isdst = -1;
		errno = 0;
		t = mktime(&copy);
		if (t == (time_t)-1 && errno != 0)
			return -EINVAL;
	} else {
		t = timegm(&copy);
	}
	*sec = (int64_t)t;
	return 0;
}

/* Parse the ISO 8601 form; see the file comment. */
static int parse_iso(const char *p, struct time_spec *out)
{
	struct tm tm = { 0 };
	int64_t frac = 0, sec, off;
	int y;
	bool local;

	if (!digits_n(&p, 4, &y) || *p++ != '-' ||
	    !digits_n(&p, 2, &tm.tm_mon) || *p++ != '-' ||
	    !digits_n(&p, 2, &tm.tm_mday))
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon -= 1;
	if ((*p == 'T' || *p == 't' || *p == ' ') && isdigit((unsigned char)p[1])) {
		p++;
		if (!clock_part(&p, &tm, &frac))
			return -EINVAL;
	}
	if (!valid_tm(&tm) || !zone_part(p, &local, &off) ||
	    tm_to_epoch(&tm, local, &sec) < 0)
		return -EINVAL;
	out->kind = TIME_ABSOLUTE;
	return to_ns(sec - off, frac, &out->time_ns);
}

/* Parse "HH:MM[:SS[.FRACTION]]" as today in local time. */
static int parse_clock(const char *p, int64_t now_ns, struct time_spec *out)
{
	time_t now = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;
	int64_t frac, sec;

	if (!localtime_r(&now, &tm) || !clock_part(&p, &tm, &frac) ||
	    *p != '\0' || !valid_tm(&tm) || tm_to_epoch(&tm, true, &sec) < 0)
		return -EINVAL;
	out->kind = TIME_ABSOLUTE;
	return to_ns(sec, frac, &out->time_ns);
}

/* Parse "DIGITS[.FRACTION]" (at least 9 digits) as epoch seconds. */
static int parse_epoch(const char *p, struct time_spec *out)
{
	const char *start = p;
	int64_t sec, frac;

	if (!digits_u64(&p, &sec) || p - start < 9 || !fraction(&p, &frac) ||
	    *p != '\0')
		return -EINVAL;
	out->kind = TIME_ABSOLUTE;
	return to_ns(sec, frac, &out->time_ns);
}

/* Parse "@ID". */
static int parse_id(const char *p, struct time_spec *out)
{
	int64_t id;

	if (!digits_u64(&p, &id) || *p != '\0' || id <= 0)
		return -EINVAL;
	out->kind = TIME_SNAPSHOT_ID;
	out->snapshot_id = id;
	out->time_ns = 0;
	return 0;
}

/* Parse "-DURATION" relative to now. */
static int parse_relative(const char *p, int64_t now_ns, struct time_spec *out)
{
	int64_t d;

	if (duration_parse(p, &d) < 0 || now_ns < INT64_MIN + d)
		return -EINVAL;
	out->kind = TIME_ABSOLUTE;
	out->time_ns = now_ns - d;
	return 0;
}

/* Parse TIME; see timeexpr.h.  *out is only written on success. */
int time_parse(const char *s, int64_t now_ns, struct time_spec *out)
{
	struct time_spec t = { 0 };
	size_t n = strlen(s);
	int r;

	if (strcmp(s, "now") == 0) {
		t.kind = TIME_ABSOLUTE;
		t.time_ns = now_ns;
		r = 0;
	} else if (s[0] == '@') {
		r = parse_id(s + 1, &t);
	} else if (s[0] == '-') {
		r = parse_relative(s + 1, now_ns, &t);
	} else if (n >= 5 && s[2] == ':') {
		r = parse_clock(s, now_ns, &t);
	} else if (n >= 10 && s[4] == '-') {
		r = parse_iso(s, &t);
	} else {
		r = parse_epoch(s, &t);
	}
	if (r == 0)
		*out = t;
	return r;
}

/* Format time_ns as ISO 8601 UTC; see timeexpr.h. */
void time_format_iso(int64_t time_ns, int millis, char *buf, unsigned buflen)
{
	int64_t sec = time_ns / NS_PER_SEC, rem = time_ns % NS_PER_SEC;
	char date[24];
	struct tm tm;

	if (rem < 0) {
		rem += NS_PER_SEC;
		sec -= 1;
	}
	time_t t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, buflen, "?");
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (millis)
		snprintf(buf, buflen, "%s.%03dZ", date, (int)(rem / 1000000));
	else
		snprintf(buf, buflen, "%sZ", date);
}

/* CLOCK_MONOTONIC in ns, for durations and deadlines. */
int64_t time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Current wall-clock time in ns since the epoch (CLOCK_REALTIME). */
int64_t time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
