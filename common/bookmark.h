/*
 * bookmark.h - names of digest bookmarks, checked the same way by the
 * client (`tidings digest --name`) and the daemon (/v1/bookmarks).  Pure.
 */
#ifndef TIDINGS_BOOKMARK_H
#define TIDINGS_BOOKMARK_H

#define BOOKMARK_NAME_MAX	64	/* bytes */

/* 1 if s is a usable name: [A-Za-z0-9._-], 1 to 64 bytes, no leading dot. */
int	bookmark_name_ok(const char *s);

#endif
