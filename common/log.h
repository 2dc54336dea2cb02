/*
 * log.h - leveled logging to stderr for the daemon and the client.
 *
 * Every message is one line.  Untrusted text (feed titles, URLs, server
 * reason phrases) must go through log_escape() or the "%s" of a message
 * built with it, so a feed can never forge or split log lines.
 */
#ifndef TIDINGS_LOG_H
#define TIDINGS_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(const char *progname, enum log_level);
void	log_set_level(enum log_level);
enum log_level log_get_level(void);

void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits 1: only for broken invariants during startup. */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copies s into buf (size n, always NUL-terminated), replacing control
 * characters, DEL and C1 with \xNN and truncating with "..." if needed.
 * Returns buf, so it can be used inline as a printf argument.
 */
const char *log_escape(const char *s, char *buf, size_t n);

#endif
