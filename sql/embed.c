/*
 * embed.c — build helper: turns a text file into a C source defining
 * `const char NAME[]` with the file's contents, so SQL lives in .sql files
 * yet ships inside the binaries.  Usage: sql-embed NAME INPUT OUTPUT
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: sql-embed NAME INPUT OUTPUT\n");
		return 2;
	}
	FILE *in = fopen(argv[2], "rb");
	if (!in) {
		perror(argv[2]);
		return 1;
	}
	FILE *out = fopen(argv[3], "wb");
	if (!out) {
		perror(argv[3]);
		fclose(in);
		return 1;
	}
	fprintf(out, "/* generated from %s */\nconst char %s[] = {\n", argv[2], argv[1]);
	int c;
	unsigned col = 0;
	while ((c = fgetc(in)) != EOF) {
		fprintf(out, "%d,", c);
		if (++col % 20 == 0)
			fputc('\n', out);
	}
	fprintf(out, "0};\n");
	int bad = ferror(in) || fclose(out) != 0;
	fclose(in);
	return bad ? 1 : 0;
}
