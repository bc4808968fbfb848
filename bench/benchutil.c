/*
 * benchutil.c — clock, median comparator and option parsing shared by the
 * benchmark programs (see benchutil.h).
 */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "benchutil.h"

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

long parse_count(const char *s, int opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		errx(2, "-%c %s: expected a number from %ld to %ld", opt, s,
		     min, max);
	return v;
}
