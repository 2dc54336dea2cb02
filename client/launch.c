/*
 * launch.c - running the pager and the browser (see launch.h).
 *
 * Owns the one child process the client may have and the saved standard
 * output while a pager reads it.  A command from the environment is split
 * on blanks into arguments (PAGER="less -S" works) and run by execvp: no
 * shell ever sees it or the URL.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "url.h"
#include "util.h"

#define LAUNCH_ARGS_MAX	32	/* words of a PAGER or BROWSER command */
#define LAUNCH_CMD_MAX	1024	/* bytes of one */
#define DEFAULT_PAGER	"less"
#define DEFAULT_OPENER	"xdg-open"
/* Quit if one screen, keep colours, leave the screen as it was. */
#define DEFAULT_LESS	"FRX"

static pid_t	pager_pid = -1;
static int	saved_stdout = -1;

/*
 * Splits cmd (copied into buf) on blanks into argv, then appends extra
 * (may be NULL).  Returns the number of words, 0 when there are none or
 * too many.
 */
static int
split_command(const char *cmd, char *buf, size_t buflen, char **argv,
    const char *extra)
{
	char *p, *save = NULL;
	int n = 0;

	if (strlen(cmd) >= buflen)
		return 0;
	str_copy(buf, cmd, buflen);
	for (p = strtok_r(buf, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (n >= LAUNCH_ARGS_MAX - 2)
			return 0;
		argv[n++] = p;
	}
	if (n == 0)
		return 0;
	if (extra != NULL)
		argv[n++] = (char *)extra;
	argv[n] = NULL;
	return n;
}

/*
 * Forks and runs argv with stdin from in_fd (-1: inherited).  Returns the
 * child's pid once execvp succeeded, -1 (errno set) when fork or execvp
 * failed: a close-on-exec pipe carries execvp's errno back, so a missing
 * program is known before any output is committed to it.
 */
static pid_t
spawn(char **argv, int in_fd)
{
	int report[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		err = errno;
		close(report[0]);
		close(report[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		if (in_fd != -1 && (dup2(in_fd, STDIN_FILENO) == -1 ||
		    close(in_fd) == -1)) {
			err = errno;
			(void)!write(report[1], &err, sizeof(err));
			_exit(127);
		}
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		err = errno;
		(void)!write(report[1], &err, sizeof(err));
		_exit(127);
	}
	close(report[1]);
	while ((n = read(report[0], &err, sizeof(err))) == -1 &&
	    errno == EINTR)
		;
	close(report[0]);
	if (n > 0) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		errno = err;
		return -1;
	}
	return pid;
}

int
launch_pager(void)
{
	const char *pager = getenv("PAGER");
	char buf[LAUNCH_CMD_MAX], *argv[LAUNCH_ARGS_MAX];
	int fds[2];

	if (pager_pid != -1 || !isatty(STDOUT_FILENO))
		return -1;
	if (pager == NULL)
		pager = DEFAULT_PAGER;
	if (split_command(pager, buf, sizeof(buf), argv, NULL) == 0 ||
	    strcmp(argv[0], "cat") == 0)
		return -1;
	if (getenv("LESS") == NULL)
		setenv("LESS", DEFAULT_LESS, 0);
	fflush(stdout);
	/* Kept to put the terminal back as standard output at the end. */
	if ((saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if (pipe2(fds, O_CLOEXEC) == -1)
		goto fail;
	if ((pager_pid = spawn(argv, fds[0])) == -1) {
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	close(fds[0]);
	/* Quitting the pager early is not an error worth a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (dup2(fds[1], STDOUT_FILENO) == -1) {
		close(fds[1]);
		/* The pager's pipe closed: it sees EOF and ends. */
		launch_pager_end();
		return -1;
	}
	close(fds[1]);
	return 0;
 fail:
	close(saved_stdout);
	saved_stdout = -1;
	return -1;
}

void
launch_pager_end(void)
{
	if (pager_pid == -1)
		return;
	fflush(stdout);
	/* Putting the terminal back closes the pager's pipe: it sees EOF. */
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	saved_stdout = -1;
	clearerr(stdout);
	while (waitpid(pager_pid, NULL, 0) == -1 && errno == EINTR)
		;
	pager_pid = -1;
}

int
launch_browser(const char *url, const char **why)
{
	const char *browser = getenv("BROWSER");
	char buf[LAUNCH_CMD_MAX], first[LAUNCH_CMD_MAX];
	char *argv[LAUNCH_ARGS_MAX];
	int status;
	pid_t pid;

	/* A link from a feed is only ever a web page to open. */
	if (!url_is_http(url) || url[strcspn(url, " \t\r\n")] != '\0') {
		*why = "the link is not an http or https URL";
		return -1;
	}
	if (browser == NULL || *browser == '\0')
		browser = DEFAULT_OPENER;
	/* $BROWSER may list fallbacks separated by ':'; the first is used. */
	if (strlen(browser) >= sizeof(first)) {
		*why = "$BROWSER is too long";
		return -1;
	}
	str_copy(first, browser, sizeof(first));
	first[strcspn(first, ":")] = '\0';
	if (split_command(first, buf, sizeof(buf), argv, url) == 0) {
		*why = "$BROWSER names no command";
		return -1;
	}
	fflush(stdout);
	if ((pid = spawn(argv, -1)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*why = "the browser command failed";
		return -1;
	}
	return 0;
}
