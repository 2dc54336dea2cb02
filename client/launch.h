/*
 * launch.h - the programs the client hands over to: the pager for long
 * listings and the browser for `show --open`.  Both are run with execvp,
 * never through a shell, so nothing from a feed can become a command.
 */
#ifndef TIDINGS_LAUNCH_H
#define TIDINGS_LAUNCH_H

/*
 * When standard output is a terminal, sends it through $PAGER (default
 * less, with LESS=FRX unless set) until launch_pager_end().  Returns 0
 * when paging, -1 when output goes straight to the terminal (not a
 * terminal, PAGER empty or "cat", or the pager could not start).
 */
int	launch_pager(void);
/* Ends the pager started by launch_pager: flushes and waits for it. */
void	launch_pager_end(void);

/*
 * Opens url (http or https only) with the first command of $BROWSER
 * (colon-separated, as in the common convention), else xdg-open, and
 * waits for it.  0 on success; -1 with *why set otherwise.
 */
int	launch_browser(const char *url, const char **why);

#endif
