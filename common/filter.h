/*
 * filter.h — the ss filter language: parse once, evaluate per record.
 *
 * Supported now: `state X` / `exclude X` (names and groups), `sport`/`dport`
 * with = == != < > <= >= and eq/neq/lt/gt/le/ge, `src`/`dst` with an address,
 * optional prefix length, port and '*', combined with and/or/not (&& || !),
 * parentheses and adjacency (= and).  The state selection is returned apart
 * from the expression because it also picks the defaults as ss does.
 */
#ifndef SOCKHIST_FILTER_H
#define SOCKHIST_FILTER_H

#include <stdint.h>

#include "sockrec.h"

struct filter;

/* Parse argv[0..argc) as one filter expression.  On error returns NULL and
 * writes "<reason> at 'TOKEN'" into err.  states_out receives the bitmask of
 * selected states (1u << state) from state/exclude terms, or 0 when none were
 * given (the caller then applies ss's default). */
struct filter *filter_parse(int argc, char **argv, uint32_t *states_out,
			    char *err, unsigned errlen);
void filter_free(struct filter *f);
/* 1 if the filter began with state/exclude terms (even when they selected no
 * state: ss then falls back to its default states, dropping -a and -l). */
int filter_states_given(const struct filter *f);
/* 1 if the filter has an expression besides its state terms (without one
 * every record matches filter_match). */
int filter_has_expression(const struct filter *f);
/* 1 if the record matches the expression part (states are checked apart). */
int filter_match(const struct filter *f, const struct snapshot *s,
		 const struct sock_record *r);

#endif
