/*
 * opml.h - OPML subscription lists: bytes in, feeds out; feeds in, OPML
 * 2.0 out.  Pure (libxml2's push SAX parser, no I/O, no global state
 * beyond parse_init()'s deny-all entity loader), so a fuzzer can link it.
 */
#ifndef TIDINGS_OPML_H
#define TIDINGS_OPML_H

#include <stddef.h>

#define OPML_MAX_BYTES	(16L * 1024 * 1024)	/* a bigger file is refused */
#define OPML_MAX_FEEDS	10000			/* outlines with an xmlUrl */
#define OPML_MAX_DEPTH	64			/* nested elements */
#define OPML_MAX_TAGS	32			/* tags of one feed */
#define OPML_MAX_TAG	256			/* bytes of one tag */
#define OPML_MAX_URL	8192			/* bytes of one URL */
#define OPML_MAX_ERROR	256			/* bytes of one message */

struct opml_feed {
	char	*url;		/* xmlUrl: http or https */
	char	*title;		/* title, else text; NULL when neither */
	char	**tags;		/* enclosing folders, then category */
	size_t	 ntags;
	int	 line;		/* of its <outline> */
};

/* An outline that could not be taken, with its line. */
struct opml_error {
	int	 line;
	char	*msg;
};

struct opml {
	struct opml_feed *feeds;	/* in document order, no duplicates */
	size_t	 nfeeds;
	struct opml_error *errors;
	size_t	 nerrors;
	size_t	 duplicates;	/* outlines repeating an earlier xmlUrl */
};

/*
 * Parses an OPML 1.0 or 2.0 document.  Nested outlines without an xmlUrl
 * are folders: their text becomes a tag of every feed inside them; a
 * feed's category attribute ("/a,/b/c") adds the tags "a" and "b/c".
 * Returns the list (free with opml_free), or NULL with err set when the
 * document is not well-formed, not OPML, refused by policy (entity
 * declarations, too many attributes) or memory ran out.
 */
struct opml *opml_parse(const char *buf, size_t len, char *err,
	    size_t errlen);
void	opml_free(struct opml *);	/* NULL ok */

/*
 * Writes feeds as an OPML 2.0 document titled title: one flat outline a
 * feed, in the order given, tags as its category ("/a,/b").  Output
 * depends on nothing but the arguments, so an export is reproducible.
 * Returns malloc'd text, NULL on ENOMEM.
 */
char	*opml_write(const struct opml_feed *feeds, size_t n,
	    const char *title);

#endif
