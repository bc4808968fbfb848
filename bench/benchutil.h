/*
 * benchutil.h — the small pieces every benchmark program needs: a
 * monotonic clock in milliseconds, a qsort comparator for medians, and a
 * bounded number option.
 */
#ifndef SOCKHIST_BENCHUTIL_H
#define SOCKHIST_BENCHUTIL_H

/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);
/* qsort comparator for doubles, ascending. */
int cmp_double(const void *a, const void *b);
/* Option opt's decimal argument s, in [min, max]; exits 2 otherwise. */
long parse_count(const char *s, int opt, long min, long max);

#endif
