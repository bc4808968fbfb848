/*
 * ssview.c — the ss display options and the table flags of a selection.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "ssview.h"

/* Display flags; see ssview.h. */
bool ss_view_opt(struct ss_flags *fl, int id)
{
	bool *flag = NULL;

	switch (id) {
	case 'n': flag = &fl->numeric; break;
	case 'e': flag = &fl->extended; break;
	case 'm': flag = &fl->memory; break;
	case 'i': flag = &fl->info; break;
	case 'o': flag = &fl->options; break;
	case 'p': flag = &fl->processes; break;
	case 'H': flag = &fl->no_header; break;
	case SS_OPT_TOS: flag = &fl->tos; break;
	case SS_OPT_CGROUP: flag = &fl->cgroup; break;
	}
	if (flag)
		*flag = true;
	return flag != NULL;
}

/* The terminal width as ss measures it; 0 when stdout is not a terminal. */
static int screen_width(void)
{
	struct winsize w;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) != -1 &&
	    w.ws_col > 0)
		return w.ws_col;
	return 0;
}

/* Columns and width for a selection; see ssview.h. */
void ss_view_settle(struct ss_flags *fl, const struct sock_select *sel)
{
	fl->show_netid = sock_select_many_netids(sel);
	fl->show_state = sock_select_many_states(sel);
	fl->screen_width = screen_width();
}

/* Whether the output prints raw attribute bytes; see ssview.h. */
bool ss_view_needs_blobs(const struct ss_flags *fl, enum out_format fmt)
{
	return fmt != OUT_TABLE || fl->info || fl->extended;
}
