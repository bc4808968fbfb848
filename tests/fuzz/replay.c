/*
 * replay.c — runs a fuzz target without libFuzzer, so every test run
 * exercises it: each seed file given on the command line (or every file of a
 * directory) is fed as is, then as deterministic mutations (truncations,
 * bit flips, byte runs).  Usage: fuzz-NAME [-m MUTATIONS] PATH...
 */
#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* xorshift64: a reproducible stream of pseudo-random numbers. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* Feed one mutation of seed (len bytes) to the target. */
static void mutate_once(const uint8_t *seed, size_t len, uint64_t *rng, uint8_t *buf)
{
	size_t n = len;
	memcpy(buf, seed, len);
	switch (next_rand(rng) % 4) {
	case 0:
		n = len ? next_rand(rng) % len : 0;
		break;
	case 1:
		for (int k = 0; k < 4 && len; k++)
			buf[next_rand(rng) % len] ^= (uint8_t)(1u << (next_rand(rng) % 8));
		break;
	case 2:
		if (len) {
			size_t at = next_rand(rng) % len, run = next_rand(rng) % 16;
			memset(buf + at, (int)(next_rand(rng) & 0xff), at + run > len ? len - at : run);
		}
		break;
	default:
		for (size_t k = 0; k < len; k += 1 + next_rand(rng) % 64)
			buf[k] = (uint8_t)next_rand(rng);
	}
	LLVMFuzzerTestOneInput(buf, n);
}

/* Run one seed file: as is, then `mutations` variants. */
static void run_file(const char *path, unsigned mutations, uint64_t *rng)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		err(1, "%s", path);
	uint8_t *seed = NULL;
	size_t len = 0, cap = 0, n;
	uint8_t chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			if (!(seed = realloc(seed, cap)))
				err(1, "realloc");
		}
		memcpy(seed + len, chunk, n);
		len += n;
	}
	fclose(f);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		err(1, "malloc");
	LLVMFuzzerTestOneInput(seed, len);
	for (unsigned i = 0; i < mutations; i++)
		mutate_once(seed, len, rng, buf);
	free(buf);
	free(seed);
}

/* Run a file, or every regular file of a directory. */
static unsigned run_path(const char *path, unsigned mutations, uint64_t *rng)
{
	struct stat st;
	if (stat(path, &st) < 0)
		err(1, "%s", path);
	if (!S_ISDIR(st.st_mode)) {
		run_file(path, mutations, rng);
		return 1;
	}
	DIR *d = opendir(path);
	if (!d)
		err(1, "%s", path);
	unsigned files = 0;
	struct dirent *e;
	char sub[4096];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		files += run_path(sub, mutations, rng);
	}
	closedir(d);
	return files;
}

int main(int argc, char **argv)
{
	unsigned mutations = 2000;
	int opt;
	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt != 'm')
			errx(2, "usage: %s [-m MUTATIONS] PATH...", argv[0]);
		mutations = (unsigned)strtoul(optarg, NULL, 10);
	}
	if (optind >= argc)
		errx(2, "usage: %s [-m MUTATIONS] PATH...", argv[0]);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	unsigned files = 0;
	for (int i = optind; i < argc; i++)
		files += run_path(argv[i], mutations, &rng);
	if (files == 0)
		errx(1, "no seed files");
	printf("%u seeds, %u mutations each: no crash\n", files, mutations);
	return 0;
}
