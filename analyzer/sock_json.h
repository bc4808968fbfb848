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

#include "sockrec.h"

/* Write rows[0..n) of s as a JSON array.  Returns 0 or -EIO. */
int sock_json_write(FILE *out, const struct snapshot *s,
		    const struct sock_record *const *rows, size_t n);

/* Write rows[0..n) of s as CSV, with the header line unless no_header.
 * Returns 0 or -EIO. */
int sock_csv_write(FILE *out, const struct snapshot *s,
		   const struct sock_record *const *rows, size_t n,
		   bool no_header);

#endif
