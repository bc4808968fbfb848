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

/* A JSON array written in parts: begin, any number of rows calls, end. */
struct json_stream {
	FILE *out;
	size_t rows;
};

void sock_json_begin(struct json_stream *js, FILE *out);
/* Append rows[0..n) of s, tagged when tag is not NULL. */
void sock_json_rows(struct json_stream *js, const struct snapshot *s,
		    const struct sock_record *const *rows, size_t n,
		    const struct row_tag *tag);
/* Close the array.  Returns 0 or -EIO. */
int sock_json_end(struct json_stream *js);

/* Write rows[0..n) of s as one JSON array.  Returns 0 or -EIO. */
int sock_json_write(FILE *out, const struct snapshot *s,
		    const struct sock_record *const *rows, size_t n);

/* Write rows[0..n) of s as CSV, with the header line unless no_header,
 * tagged when tag is not NULL.  Returns 0 or -EIO. */
int sock_csv_write(FILE *out, const struct snapshot *s,
		   const struct sock_record *const *rows, size_t n,
		   bool no_header, const struct row_tag *tag);

#endif
