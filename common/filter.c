/*
 * filter.c — the ss filter language: the words, the grammar, the syntax
 * tree.  Operands are read in filter_term.c, evaluated in filter_eval.c.
 *
 * Grammar (our own, accepting what iproute2 6.1's ss accepts, with the
 * same meaning; ss's misc/ssfilter.y joins every operator left to right):
 *
 *   filter   := { ("state" | "exclude" | "excl") STATE } [ exprlist ]
 *   exprlist := expr { [ AND | OR ] expr }     left to right, one precedence
 *   expr     := "(" exprlist ")" | NOT expr | term
 *   term     := ("src" | "dst") [ EQ ] HOST
 *             | ("sport" | "dport") [ EQ | NE | LT | GT | LE | GE ] PORT
 *             | "dev" [ EQ | NE ] DEV
 *             | "fwmark" [ EQ | NE ] MARK
 *             | "cgroup" [ EQ | NE ] PATH
 *             | "autobound"
 *   AND := "and" | "&" | "&&"      OR := "or" | "|" | "||"    NOT := "not" | "!"
 *   EQ := "=" | "==" | "eq"        NE := "!=" | "ne" | "neq"
 *   LT := "<" | "lt"   GT := ">" | "gt"   LE := "<=" | "le" | "leq"
 *   GE := ">=" | "ge" | "geq"
 *
 * So `a or b and c` is `(a or b) and c`; `sport > X` is `not sport <= X`,
 * `sport < X` is `not sport >= X` and `!=` is `not =`, as ss builds them
 * (which matters: see filter_eval.c).  The operator and keyword words are
 * never operands.
 *
 * Words, as ss's lexer splits them: the state words are whole
 * command-line words at the start; the other command-line words split at
 * blanks; a filter file splits into lines (a line starting with '#' or '0'
 * is skipped) and the lines at blanks; a backslash keeps the next
 * character in the word.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter_int.h"

/* A word of the filter and where it came from, for messages. */
struct token {
	char *text;
	int word;       /* 1-based word of the command-line filter, or 0 */
	int line;       /* line of the filter file, or 0 */
};

struct parser {
	struct token *toks;
	int ntoks, pos;
	struct term_ctx term;
	char *err;
	unsigned errlen;
	bool failed;
};

/* Record the first error: the message, then where (the current word). */
static void parse_error(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->pos >= p->ntoks)
		snprintf(p->err, p->errlen, "%s (at the end of the filter)", msg);
	else if (p->toks[p->pos].line)
		snprintf(p->err, p->errlen, "%s (line %d of the filter file)",
			 msg, p->toks[p->pos].line);
	else
		snprintf(p->err, p->errlen, "%s (word %d of the filter)", msg,
			 p->toks[p->pos].word);
}

/* The current word, or NULL at the end. */
static const char *peek(const struct parser *p)
{
	return p->pos < p->ntoks ? p->toks[p->pos].text : NULL;
}

/* True if the current word is one of the NULL-terminated words. */
static bool peek_is(const struct parser *p, const char *const *words)
{
	const char *t = peek(p);

	for (; t && *words; words++)
		if (strcmp(t, *words) == 0)
			return true;
	return false;
}

static const char *const W_AND[] = { "and", "&", "&&", NULL };
static const char *const W_OR[] = { "or", "|", "||", NULL };
static const char *const W_NOT[] = { "not", "!", NULL };
static const char *const W_EQ[] = { "=", "==", "eq", NULL };
static const char *const W_NE[] = { "!=", "ne", "neq", NULL };
static const char *const W_LT[] = { "<", "lt", NULL };
static const char *const W_GT[] = { ">", "gt", NULL };
static const char *const W_LE[] = { "<=", "le", "leq", NULL };
static const char *const W_GE[] = { ">=", "ge", "geq", NULL };
static const char *const W_STATE[] = { "state", "exclude", "excl", NULL };
/* Words ss's lexer always reads as keywords, never as operands. */
static const char *const W_RESERVED[] = {
	"and", "&", "&&", "or", "|", "||", "not", "!", "(", ")", "=", "==",
	"eq", "!=", "ne", "neq", "<", "lt", ">", "gt", "<=", "le", "leq", ">=",
	"ge", "geq", "src", "dst", "sport", "dport", "dev", "fwmark", "cgroup",
	"autobound", NULL
};

/* ---- words ---- */

/* A growing array of words over copies of their text. */
struct words {
	struct token *toks;
	int n, cap;
};

/* Append one word (a malloc'd copy of len bytes of s, backslashes
 * resolved as ss does). */
static int add_word(struct words *w, const char *s, size_t len, int word,
		    int line)
{
	char *text = malloc(len + 1), *o = text;

	if (!text)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && ++i == len)
			break;
		*o++ = s[i];
	}
	*o = '\0';
	if (w->n == w->cap) {
		int cap = w->cap ? 2 * w->cap : 16;
		struct token *t = realloc(w->toks, sizeof(*t) * (size_t)cap);

		if (!t) {
			free(text);
			return -ENOMEM;
		}
		w->toks = t;
		w->cap = cap;
	}
	w->toks[w->n++] = (struct token){ text, word, line };
	return 0;
}

/* Split s (up to end) at blanks into words; a backslash keeps the next
 * character.  *word numbers command-line words (line 0). */
static int split_blanks(struct words *w, const char *s, const char *end,
			int *word, int line)
{
	while (s < end) {
		const char *start;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			break;
		start = s;
		while (s < end && *s != ' ' && *s != '\t')
			s += *s == '\\' && s + 1 < end ? 2 : 1;
		if (add_word(w, start, (size_t)(s - start), line ? 0 : ++*word,
			     line) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Split the text of a filter file into words, line by line. */
static int split_file(struct words *w, const char *file)
{
	int line = 0, word = 0;

	while (*file) {
		const char *nl = strchr(file, '\n');
		const char *end = nl ? nl : file + strlen(file);

		line++;
		if (*file != '#' && *file != '0' &&
		    split_blanks(w, file, end, &word, line) < 0)
			return -ENOMEM;
		file = nl ? nl + 1 : end;
	}
	return 0;
}

/* Free the words. */
static void words_free(struct words *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->toks[i].text);
	free(w->toks);
}

/* ---- the tree ---- */

/* Allocate a node; NULL (and an error) when out of memory. */
static struct node *node_new(struct parser *p, enum node_type type)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		parse_error(p, "out of memory");
	else
		n->type = type;
	return n;
}

/* Free a tree. */
static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->left);
	node_free(n->right);
	hostcond_free(n->hc);
	free(n->cgroup_path);
	free(n);
}

/* Join two subtrees under a binary node (frees both on failure). */
static struct node *node_join(struct parser *p, enum node_type type,
			      struct node *l, struct node *r)
{
	struct node *n;

	if (!l || !r || !(n = node_new(p, type))) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	n->left = l;
	n->right = r;
	return n;
}

/* Put n under a NOT node when negate (frees n on failure). */
static struct node *negated(struct parser *p, struct node *n, bool negate)
{
	struct node *no;

	if (!n || !negate)
		return n;
	if (!(no = node_new(p, NODE_NOT))) {
		node_free(n);
		return NULL;
	}
	no->left = n;
	return no;
}

/* ---- terms ---- */

/* The operand after keyword kw: the current word unless it is missing or
 * a keyword.  Advances past it. */
static const char *operand(struct parser *p, const char *kw, const char *what)
{
	const char *t = peek(p);

	if (!t) {
		parse_error(p, "%s is expected after '%s'", what, kw);
		return NULL;
	}
	if (peek_is(p, W_RESERVED)) {
		parse_error(p, "%s is expected after '%s', not '%s'", what, kw,
			    t);
		return NULL;
	}
	p->pos++;
	return t;
}

/* Report a bad operand: the word, its keyword, and why. */
static void bad_operand(struct parser *p, const char *kw, const char *t)
{
	p->pos--;
	parse_error(p, "'%s' after '%s': %s", t, kw, p->term.why);
}

/* The operand of src/dst (an address) or sport/dport (a port) as a node
 * of this type. */
static struct node *host_node(struct parser *p, const char *kw,
			      enum node_type type, bool local, bool is_port)
{
	const char *t = operand(p, kw, is_port ? "a port" : "an address");
	struct node *n;

	if (!t || !(n = node_new(p, type)))
		return NULL;
	n->local = local;
	if (!(n->hc = term_host(&p->term, t, is_port))) {
		bad_operand(p, kw, t);
		node_free(n);
		return NULL;
	}
	return n;
}

/* src/dst [EQ] HOST */
static struct node *parse_host(struct parser *p, const char *kw, bool local)
{
	if (peek_is(p, W_EQ))
		p->pos++;
	return host_node(p, kw, NODE_HOST, local, false);
}

/* sport/dport [OP] PORT: <, >, != become negations as in ss. */
static struct node *parse_port(struct parser *p, const char *kw, bool local)
{
	enum node_type type = NODE_HOST;
	bool negate = false;

	if (peek_is(p, W_NE) || peek_is(p, W_GT) || peek_is(p, W_LT))
		negate = true;
	if (peek_is(p, W_GE) || peek_is(p, W_LT))
		type = NODE_PORT_GE;
	else if (peek_is(p, W_LE) || peek_is(p, W_GT))
		type = NODE_PORT_LE;
	if (negate || type != NODE_HOST || peek_is(p, W_EQ))
		p->pos++;
	return negated(p, host_node(p, kw, type, local, true), negate);
}

/* dev / fwmark / cgroup [EQ | NE] VALUE */
static struct node *parse_value(struct parser *p, const char *kw,
				enum node_type type)
{
	static const char *const what[] = {
		[NODE_DEV] = "a device", [NODE_MARK] = "a mark",
		[NODE_CGROUP] = "a cgroup path",
	};
	bool negate = peek_is(p, W_NE);
	const char *t;
	struct node *n;
	int r;

	if (negate || peek_is(p, W_EQ))
		p->pos++;
	if (!(t = operand(p, kw, what[type])) || !(n = node_new(p, type)))
		return NULL;
	if (type == NODE_DEV)
		r = term_dev(&p->term, t, &n->ifindex);
	else if (type == NODE_MARK)
		r = term_mark(&p->term, t, &n->mark, &n->mask);
	else
		r = term_cgroup(&p->term, t, &n->cgroup, &n->cgroup_path);
	if (r < 0) {
		bad_operand(p, kw, t);
		node_free(n);
		return NULL;
	}
	return negated(p, n, negate);
}

/* ---- expressions ---- */

static struct node *parse_exprlist(struct parser *p);

/* term: one of the keywords, then its operator and operand. */
static struct node *parse_term(struct parser *p)
{
	const char *t = peek(p);

	if (peek_is(p, W_STATE)) {
		parse_error(p, "'%s' terms come first, as separate words before "
			    "the expression", t);
		return NULL;
	}
	p->pos++;
	if (strcmp(t, "src") == 0 || strcmp(t, "dst") == 0)
		return parse_host(p, t, t[0] == 's');
	if (strcmp(t, "sport") == 0 || strcmp(t, "dport") == 0)
		return parse_port(p, t, t[0] == 's');
	if (strcmp(t, "dev") == 0)
		return parse_value(p, t, NODE_DEV);
	if (strcmp(t, "fwmark") == 0)
		return parse_value(p, t, NODE_MARK);
	if (strcmp(t, "cgroup") == 0)
		return parse_value(p, t, NODE_CGROUP);
	if (strcmp(t, "autobound") == 0)
		return node_new(p, NODE_AUTO);
	p->pos--;
	parse_error(p, "unknown filter term '%s'", t);
	return NULL;
}

/* expr := "(" exprlist ")" | NOT expr | term */
static struct node *parse_expr(struct parser *p)
{
	const char *t = peek(p);
	struct node *n;

	if (!t || strcmp(t, ")") == 0 || peek_is(p, W_AND) || peek_is(p, W_OR)) {
		parse_error(p, t ? "an expression is expected before '%s'" :
			    "an expression is expected", t);
		return NULL;
	}
	if (strcmp(t, "(") == 0) {
		p->pos++;
		n = parse_exprlist(p);
		if (n && !(peek(p) && strcmp(peek(p), ")") == 0)) {
			parse_error(p, "')' is expected");
			node_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (peek_is(p, W_NOT)) {
		p->pos++;
		return negated(p, parse_expr(p), true);
	}
	return parse_term(p);
}

/* exprlist := expr { [AND|OR] expr }, strictly left to right. */
static struct node *parse_exprlist(struct parser *p)
{
	struct node *n = parse_expr(p);

	while (n && peek(p) && strcmp(peek(p), ")") != 0) {
		enum node_type type = NODE_AND;

		if (peek_is(p, W_OR) || peek_is(p, W_AND)) {
			type = peek_is(p, W_OR) ? NODE_OR : NODE_AND;
			p->pos++;
		}
		n = node_join(p, type, n, parse_expr(p));
	}
	return n;
}

/* The leading state words of argv, as ss's main() reads them: the first
 * `state` starts from no state, the first `exclude` from all.  Returns the
 * number of words used, or -1 after an error. */
static int parse_states(struct parser *p, int argc, char **argv,
			uint32_t *states)
{
	int i = 0;

	while (i < argc && (strcmp(argv[i], "state") == 0 ||
			    strcmp(argv[i], "exclude") == 0 ||
			    strcmp(argv[i], "excl") == 0)) {
		bool exclude = argv[i][0] == 'e';
		uint32_t m = i + 1 < argc ? term_state(argv[i + 1]) : 0;

		if (!m) {
			if (i + 1 < argc)
				snprintf(p->err, p->errlen, "unknown state '%s' "
					 "(word %d of the filter)", argv[i + 1],
					 i + 2);
			else
				snprintf(p->err, p->errlen, "a state name is "
					 "expected after '%s' (at the end of "
					 "the filter)", argv[i]);
			p->failed = true;
			return -1;
		}
		if (i == 0)
			*states = exclude ? FILTER_ALL_STATES : 0;
		*states = exclude ? *states & ~m : *states | m;
		i += 2;
	}
	return i;
}

/* Parse the whole filter; see filter.h. */
struct filter *filter_parse_ctx(int argc, char **argv, const char *file,
				struct filter_ctx *ctx, uint32_t *states_out,
				char *err, unsigned errlen)
{
	struct parser p = { .term.ctx = ctx, .err = err, .errlen = errlen };
	struct filter *f = calloc(1, sizeof(*f));
	struct words w = { 0 };
	int nstate, word;

	*states_out = 0;
	ctx->family = AF_UNSPEC;
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->cgroup_is = ctx->cgroup_is;
	nstate = parse_states(&p, argc, argv, states_out);
	f->states_given = nstate > 0;
	word = nstate;
	for (int i = nstate; i >= 0 && i < argc && !p.failed; i++)
		if (split_blanks(&w, argv[i], argv[i] + strlen(argv[i]), &word,
				 0) < 0)
			parse_error(&p, "out of memory");
	if (nstate >= 0 && !p.failed && file && split_file(&w, file) < 0)
		parse_error(&p, "out of memory");
	p.toks = w.toks;
	p.ntoks = w.n;
	if (nstate >= 0 && !p.failed && p.ntoks) {
		f->root = parse_exprlist(&p);
		if (!p.failed && peek(&p))
			parse_error(&p, "')' without its '('");
	}
	words_free(&w);
	if (nstate < 0 || p.failed) {
		filter_free(f);
		return NULL;
	}
	eval_prepare(f);
	return f;
}

/* The filter from the command line alone; see filter.h. */
struct filter *filter_parse(int argc, char **argv, uint32_t *states_out,
			    char *err, unsigned errlen)
{
	struct filter_ctx ctx = { .preferred = AF_UNSPEC, .tcp = true,
				  .udp = true };

	return filter_parse_ctx(argc, argv, NULL, &ctx, states_out, err,
				errlen);
}

/* Free a parsed filter (NULL is fine). */
void filter_free(struct filter *f)
{
	if (!f)
		return;
	node_free(f->root);
	free(f);
}

/* Whether state terms were given; see filter.h. */
int filter_states_given(const struct filter *f)
{
	return f && f->states_given;
}

/* An expression besides the state terms?  See filter.h. */
int filter_has_expression(const struct filter *f)
{
	return f && f->root;
}
