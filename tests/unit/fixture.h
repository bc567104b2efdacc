/*
 * Shared fixture of the unit tests: a temporary directory, a configuration
 * with the defaults (region us-east-1, account 000000000000), a synchronous
 * store (no thread: each call commits before it returns), a sealing key and
 * the api, so that a test calls an operation exactly as a front-end does.
 */
#ifndef HERALD_TESTS_FIXTURE_H
#define HERALD_TESTS_FIXTURE_H

#include <CUnit/Basic.h>
#include <jansson.h>
#include <string.h>

#include "broker/api.h"
#include "broker/conf.h"
#include "broker/op.h"
#include "broker/store.h"
#include "common/seal.h"
#include "tests/unit/run.h"

struct fixture {
	char dir[256]; /* removed with everything in it by fx_teardown() */
	struct conf conf;
	struct store *store;
	struct seal *seal;
	struct api *api;
};

/* Make a fresh temporary directory in out (size n). 0 or -1. */
int fx_tmpdir(char *out, size_t n);
/* rm -rf dir. */
void fx_rm_rf(const char *dir);

/* Set up everything above in a new temporary directory.  0 or -1 (with a message on stderr). */
int fx_setup(struct fixture *fx);
/* Close the store etc. and remove the directory. */
void fx_teardown(struct fixture *fx);
/* Close and reopen the store on the same database (to show what is durable). */
int fx_reopen(struct fixture *fx);

/*
 * Call op as an administrator with arguments built by json_pack(fmt, ...),
 * e.g. fx_call(fx, "CreateTopic", &err, "{s:s}", "Name", "orders").
 * Returns the result (new reference) or NULL with *err filled.
 */
json_t *fx_call(struct fixture *fx, const char *op, struct op_error *err, const char *fmt, ...);
/* Same, with a caller role of the test's choosing. */
json_t *fx_call_as(struct fixture *fx, enum op_role role, const char *op, struct op_error *err,
		   const char *fmt, ...);

/* Assert an error's code, status and exact message. */
#define FX_ASSERT_ERROR(err, c, s, m)                                                       \
	do {                                                                                \
		CU_ASSERT_STRING_EQUAL((err).code, (c));                                    \
		CU_ASSERT_EQUAL((err).status, (s));                                         \
		CU_ASSERT_STRING_EQUAL((err).message, (m));                                 \
		if (strcmp((err).code, (c)) || strcmp((err).message, (m)))                  \
			fprintf(stderr, "\n  got %s %d \"%s\"\n", (err).code, (err).status, \
				(err).message);                                             \
	} while (0)

/*
 * Call op (arguments as for fx_call) and assert that it succeeds; evaluates to
 * the result, a new reference the caller decrefs.  A failure is printed and
 * ends the test.
 */
#define FX_OK(fx, op, ...)                                                                         \
	({                                                                                         \
		struct op_error e_;                                                                \
		json_t *r_ = fx_call((fx), (op), &e_, __VA_ARGS__);                                \
		if (!r_)                                                                           \
			fprintf(stderr, "\n  %s failed: %s %d \"%s\"\n", (op), e_.code, e_.status, \
				e_.message);                                                       \
		CU_ASSERT_PTR_NOT_NULL_FATAL(r_);                                                  \
		r_;                                                                                \
	})

/* Call op and assert that it fails with exactly this code, status and message. */
#define FX_FAILS(fx, code, status, msg, op, ...)                    \
	do {                                                        \
		struct op_error e_;                                 \
		json_t *r_ = fx_call((fx), (op), &e_, __VA_ARGS__); \
		CU_ASSERT_PTR_NULL(r_);                             \
		json_decref(r_);                                    \
		FX_ASSERT_ERROR(e_, code, status, msg);             \
	} while (0)

#endif
