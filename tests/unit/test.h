/*
 * test.h - the smallest harness that does the job: CHECK counts, a failed
 * check says where and what, TEST_DONE prints "N passed, N failed" and
 * gives the exit status.
 */
#ifndef TIDINGS_TEST_H
#define TIDINGS_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond) do {						\
	if (cond)							\
		test_passed++;						\
	else {								\
		test_failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

/* String equality with both values shown on failure; NULL-safe. */
#define CHECK_STR(a, b) do {						\
	const char *ca_ = (a), *cb_ = (b);				\
	if ((ca_ == NULL && cb_ == NULL) ||				\
	    (ca_ != NULL && cb_ != NULL && strcmp(ca_, cb_) == 0))	\
		test_passed++;						\
	else {								\
		test_failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s == %s\n  got:      %s\n  expected: %s\n", \
		    __FILE__, __LINE__, #a, #b, ca_ ? ca_ : "(null)",	\
		    cb_ ? cb_ : "(null)");				\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long ia_ = (long long)(a), ib_ = (long long)(b);		\
	if (ia_ == ib_)							\
		test_passed++;						\
	else {								\
		test_failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s == %s: got %lld, expected %lld\n", \
		    __FILE__, __LINE__, #a, #b, ia_, ib_);		\
	}								\
} while (0)

#define TEST_DONE() (printf("%d passed, %d failed\n", test_passed,	\
	test_failed), test_failed ? 1 : 0)

#endif
