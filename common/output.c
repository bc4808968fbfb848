/*
 * output.c — small writers shared by the table, JSON and CSV outputs.
 *
 * JSON strings are escaped per RFC 8259 (control characters as \u00XX, bytes
 * >= 0x80 passed through, so valid UTF-8 stays valid); CSV fields are quoted
 * per RFC 4180 only when they contain a comma, a quote, CR or LF.
 */
#include <errno.h>
#include <string.h>

#include "output.h"

/* Parse a --format argument; only the three exact lowercase names. */
int out_format_parse(const char *s, enum out_format *out)
{
	static const struct {
		const char *name;
		enum out_format fmt;
	} names[] = {
		{ "table", OUT_TABLE },
		{ "json", OUT_JSON },
		{ "csv", OUT_CSV },
	};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

/* Write one character of a JSON string body, escaped when JSON requires it. */
static void json_write_char(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* Write s as a JSON string literal; NULL is written as "". */
void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++)
		json_write_char(f, (unsigned char)*s);
	fputc('"', f);
}

/* Write s as one CSV field; NULL is an empty field. */
void csv_write_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
