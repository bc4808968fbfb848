/*
 * output.h — small writers shared by the table, JSON and CSV outputs.
 */
#ifndef SOCKHIST_OUTPUT_H
#define SOCKHIST_OUTPUT_H

#include <stdio.h>

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };

/* Parse "table" | "json" | "csv"; returns 0 or -EINVAL. */
int out_format_parse(const char *s, enum out_format *out);
/* Write s as a JSON string literal, quotes included. */
void json_write_string(FILE *f, const char *s);
/* Write s as one CSV field (RFC 4180 quoting only when needed). */
void csv_write_field(FILE *f, const char *s);

#endif
