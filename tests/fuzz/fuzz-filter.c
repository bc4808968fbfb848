/*
 * fuzz-filter.c — the ss filter parser on arbitrary text, both as
 * command-line words (split at blanks and newlines, as a shell would) and
 * as the text of a filter file, and the evaluator on whatever parses.
 * Host names are not looked up (that would wait on DNS).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "fuzz.h"
#include "sockenum.h"

#define MAX_WORDS 64

/* A TCP, a unix and a /proc RAW record to evaluate parsed filters
 * against. */
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
	r->name = (uint32_t)snapshot_intern(s, "@0001a", 6);
	r->has = SR_HAS_NAME;
	r = snapshot_add_record(s);
	r->netid = NETID_RAW;
	r->family = AF_INET6;
	r->cookie = SR_COOKIE_PROCNET | 5;
	r->sport = 58;
}

/* Parse one way and evaluate what parses on the sample records. */
static void run(int argc, char **argv, const char *file, struct snapshot *s)
{
	struct filter_ctx ctx = { .preferred = AF_UNSPEC, .tcp = true,
				  .udp = true, .no_lookup = true };
	char err[256];
	uint32_t states;
	struct filter *f = filter_parse_ctx(argc, argv, file, &ctx, &states,
					    err, sizeof(err));

	if (f) {
		for (size_t i = 0; i < s->nrecs; i++)
			filter_match(f, s, &s->recs[i]);
		filter_free(f);
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *file = malloc(size + 1);
	char *argv[MAX_WORDS], *save = NULL;
	int argc = 0;
	struct snapshot s;

	if (!text || !file || snapshot_init(&s) < 0)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memcpy(file, text, size + 1);
	sample_records(&s);
	run(0, NULL, file, &s);
	for (char *w = strtok_r(text, " \t\n", &save); w && argc < MAX_WORDS;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	run(argc, argv, NULL, &s);
	snapshot_free(&s);
	free(file);
	free(text);
	return 0;
}
