/*
 * fuzz-filter.c — the ss filter parser on arbitrary text (split into words
 * at spaces, as a shell would), and the evaluator on whatever parses.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "fuzz.h"
#include "sockenum.h"

#define MAX_WORDS 64

/* A TCP and a unix record to evaluate parsed filters against. */
static void sample_records(struct snapshot *s)
{
	struct sock_record *r = snapshot_add_record(s);
	r->netid = NETID_TCP;
	r->family = AF_INET;
	r->state = SS_ESTABLISHED;
	r->sport = 443;
	r->dport = 51000;
	r->src[0] = 127;
	r->src[3] = 1;
	r->dst[0] = 10;
	r = snapshot_add_record(s);
	r->netid = NETID_U_STR;
	r->family = AF_UNIX;
	r->state = SS_LISTEN;
	r->inode = 1234;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[MAX_WORDS], *save = NULL, err[256];
	int argc = 0;
	uint32_t states;
	struct snapshot s;

	if (!text || snapshot_init(&s) < 0)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *w = strtok_r(text, " \t\n", &save); w && argc < MAX_WORDS;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	struct filter *f = filter_parse(argc, argv, &states, err, sizeof(err));
	if (f) {
		sample_records(&s);
		for (size_t i = 0; i < s.nrecs; i++)
			filter_match(f, &s, &s.recs[i]);
		filter_free(f);
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	snapshot_free(&s);
	free(text);
	return 0;
}
