/*
 * log.c - leveled, single-line logging to stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_prog = "tidings";
static enum log_level log_level = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
log_init(const char *progname, enum log_level lvl)
{
	log_prog = progname;
	log_level = lvl;
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void
log_vwrite(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[2048];
	size_t i;

	if (lvl > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Callers escape untrusted text; this is the last line of defence. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[lvl], msg);
}

#define LOG_FN(name, lvl)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_vwrite(lvl, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_err, LOG_LVL_ERR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_escape(const char *s, char *buf, size_t n)
{
	static const char ellipsis[] = "...";
	size_t o = 0;
	const unsigned char *p;

	if (n == 0)
		return buf;
	if (s == NULL)
		s = "(null)";
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		int c1 = (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
		size_t need = (*p < 0x20 || *p == 0x7f || c1) ? 4 : 1;

		if (o + need + sizeof(ellipsis) > n) {
			if (n > sizeof(ellipsis))
				memcpy(buf + o, ellipsis, sizeof(ellipsis));
			else
				buf[o] = '\0';
			return buf;
		}
		if (need == 4) {
			snprintf(buf + o, 5, "\\x%02x", c1 ? p[1] : *p);
			p += c1;
		} else
			buf[o] = (char)*p;
		o += need;
	}
	buf[o] = '\0';
	return buf;
}
