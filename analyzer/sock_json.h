/*
 * sock_json.h — socket records as JSON or CSV, with one set of snake_case
 * keys shared by both (documented in doc/OUTPUT.md).
 *
 * JSON is one array of objects, one object per line; a key is left out when
 * the kernel did not report that value.  CSV has a fixed header of every
 * column; absent values are empty fields.
 */
#ifndef SOCKHIST_SOCK_JSON_H
#define SOCKHIST_SOCK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <stdint.h>

#include "sockrec.h"

/* Which snapshot rows come from, when a command prints several: then the
 * first keys are "snapshot" (its id) and "time" (ISO 8601 UTC). */
struct row_tag {
	int64_t snapshot;
	int64_t time_ns;
};

/* An extra value a command writes with a record's own keys: a string
 * (str not NULL), a JSON literal (lit not NULL: true, false or null; in
 * CSV the word, null an empty field), a number (present), an object of
 * nsub values (sub not NULL; in CSV, columns named KEY_SUBKEY), or absent
 * when not present (left out of JSON, empty CSV fields). */
struct sock_kv {
	const char *key;
	const char *str;
	const char *lit;
	uint64_t num;
	bool present;
	const struct sock_kv *sub;
	size_t nsub;
};

/* What a row carries besides its record: the tag (first), lead values
 * (before the record's keys) and tail values (after them).  Every row of
 * one CSV must carry the same keys. */
struct sock_extra {
	const struct row_tag *tag;
	const struct sock_kv *lead, *tail;
	size_t nlead, ntail;
};

/* A JSON array written in parts: begin, any number of rows calls, end. */
struct json_stream {
	FILE *out;
	size_t rows;
};

void sock_json_begin(struct json_stream *js, FILE *out);
/* Append one object: r of s with the extra values of x (NULL: none). */
void sock_json_row(struct json_stream *js, const struct snapshot *s,
		   const struct sock_record *r, const struct sock_extra *x);
/* Close the array.  Returns 0 or -EIO. */
int sock_json_end(struct json_stream *js);

/* The CSV header line for rows carrying x's keys (NULL: none).  Returns 0
 * or -EIO. */
int sock_csv_header(FILE *out, const struct sock_extra *x);
/* One CSV row: r of s with the extra values of x.  Returns 0 or -EIO. */
int sock_csv_row(FILE *out, const struct snapshot *s,
		 const struct sock_record *r, const struct sock_extra *x);

#endif
