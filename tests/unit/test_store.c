/*
 * Unit tests of broker/store_sqlite.c: records, tags, messages, sequence
 * numbers, group commit with per-job rollback, completion delivery on the
 * loop thread, durability across reopen, schema versions and damaged files.
 * Most tests use a synchronous store (jobs run on this thread); the threaded
 * ones drive a real libevent loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "common/log.h"
#include "common/util.h"
#include "tests/unit/fixture.h"

#define APP1  "arn:aws:sns:us-east-1:000000000000:app/GCM/one"
#define APP2  "arn:aws:sns:us-east-1:000000000000:app/GCM/two"
#define TOPIC "arn:aws:sns:us-east-1:000000000000:orders"

static char dir[256];
static char db_path[300];
static struct event_base *base;
static pthread_t loop_thread;

static int suite_init(void)
{
	if (fx_tmpdir(dir, sizeof(dir)) < 0)
		return -1;
	if (evthread_use_pthreads() < 0)
		return -1;
	base = event_base_new();
	loop_thread = pthread_self();
	return base ? 0 : -1;
}

static int suite_clean(void)
{
	event_base_free(base);
	fx_rm_rf(dir);
	return 0;
}

/* A fresh database path for each test. */
static const char *new_db(void)
{
	static unsigned int n;

	snprintf(db_path, sizeof(db_path), "%s/t%u.db", dir, ++n);
	return db_path;
}

static struct store *open_store(struct event_base *b, enum store_durability d,
				unsigned int max_batch)
{
	struct store_conf conf = {.db_path = db_path, .durability = d, .max_batch = max_batch};
	char *err = NULL;
	struct store *st = store_open(&conf, b, &err);

	if (!st)
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
	CU_ASSERT_PTR_NULL(err);
	free(err);
	return st;
}

static struct store *open_sync(void)
{
	return open_store(NULL, STORE_DURABILITY_PROCESS, 0);
}

static void on_status(void *arg, int status)
{
	*(int *)arg = status;
}

/* A job and its status, for run(). */
struct sync_job {
	store_job_fn fn;
	void *arg;
	int status;
	int calls;
};

static int sync_job_run(struct store_txn *txn, void *arg)
{
	struct sync_job *j = arg;

	return j->fn(txn, j->arg);
}

static void sync_job_done(void *arg, int status)
{
	struct sync_job *j = arg;

	j->status = status;
	j->calls++;
}

/* Run fn(txn, arg) as one job on a synchronous store; its status. */
static int run(struct store *st, store_job_fn fn, void *arg)
{
	struct sync_job j = {.fn = fn, .arg = arg, .status = 12345};

	CU_ASSERT_EQUAL_FATAL(store_submit(st, sync_job_run, sync_job_done, &j), 0);
	/* Synchronous: done before store_submit returns, exactly once. */
	CU_ASSERT_EQUAL(j.calls, 1);
	return j.status;
}

/* Run job on a new, empty synchronous store; it must return 0. */
static void run_on_fresh_store(store_job_fn job)
{
	struct store *st;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job, NULL), 0);
	store_close(st);
}

static struct store_rec rec_of(const char *arn, enum store_kind kind, const char *parent,
			       const char *lookup, json_t *attrs)
{
	struct store_rec r = {
		.arn = (char *)arn,
		.kind = kind,
		.parent = (char *)parent,
		.lookup = (char *)lookup,
		.attrs = attrs,
	};
	return r;
}

static int put(struct store_txn *txn, const char *arn, enum store_kind kind, const char *parent,
	       const char *lookup)
{
	json_t *attrs = json_pack("{s:s}", "Name", arn);
	struct store_rec r = rec_of(arn, kind, parent, lookup, attrs);
	int rc = store_put(txn, &r);

	json_decref(attrs);
	return rc;
}

static int64_t seq_of(struct store_txn *txn, const char *arn)
{
	struct store_rec r;
	int64_t seq = -1;

	if (store_get(txn, arn, &r) == 0)
		seq = r.seq;
	store_rec_clear(&r);
	return seq;
}

/* ------------------------------------------------------------- records */

static int job_put_get(struct store_txn *txn, void *arg)
{
	static const unsigned char secret[] = {1, 0, 2, 0xff, 3};
	json_t *attrs = json_pack("{s:s,s:s}", "PlatformCredential", "x", "Enabled", "true");
	struct store_rec r = rec_of(APP1, STORE_APP, NULL, NULL, attrs), got, got2;
	int64_t before = util_now_ms(), after;

	r.secret = (unsigned char *)secret;
	r.secret_len = sizeof(secret);
	CU_ASSERT_EQUAL(store_get(txn, APP1, &got), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(store_put(txn, &r), 0);
	after = util_now_ms();
	CU_ASSERT_EQUAL_FATAL(store_get(txn, APP1, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.arn, APP1);
	CU_ASSERT_EQUAL(got.kind, STORE_APP);
	CU_ASSERT_STRING_EQUAL(got.parent, "");
	CU_ASSERT_PTR_NULL(got.lookup);
	CU_ASSERT(json_equal(got.attrs, attrs));
	CU_ASSERT_EQUAL(got.secret_len, sizeof(secret));
	CU_ASSERT(got.secret && !memcmp(got.secret, secret, sizeof(secret)));
	CU_ASSERT(got.seq > 0);
	CU_ASSERT(got.created_ms >= before && got.created_ms <= after);

	/* Update by ARN: new attributes and lookup, same seq and created_ms, no secret. */
	json_object_set_new(attrs, "Enabled", json_string("false"));
	r.secret = NULL;
	r.secret_len = 0;
	r.lookup = "k";
	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_put(txn, &r), 0);
	CU_ASSERT_EQUAL_FATAL(store_get(txn, APP1, &got2), 0);
	CU_ASSERT_EQUAL(got2.seq, got.seq);
	CU_ASSERT_EQUAL(got2.created_ms, got.created_ms);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(got2.attrs, "Enabled")), "false");
	CU_ASSERT_PTR_NULL(got2.secret);
	CU_ASSERT_STRING_EQUAL(got2.lookup, "k");
	CU_ASSERT(seq_of(txn, TOPIC) > got.seq);
	store_rec_clear(&got2);

	/* find by (kind, parent, lookup) */
	CU_ASSERT_EQUAL(store_find(txn, STORE_APP, "", "k", &got2), 0);
	CU_ASSERT_STRING_EQUAL(got2.arn, APP1);
	store_rec_clear(&got2);
	CU_ASSERT_EQUAL(store_find(txn, STORE_APP, NULL, "k", &got2), 0);
	store_rec_clear(&got2);
	CU_ASSERT_EQUAL(store_find(txn, STORE_APP, "other", "k", &got2), -ENOENT);
	CU_ASSERT_EQUAL(store_find(txn, STORE_TOPIC, "", "k", &got2), -ENOENT);
	CU_ASSERT_EQUAL(store_find(txn, STORE_APP, "", "K", &got2), -ENOENT);
	CU_ASSERT_EQUAL(store_find(txn, STORE_APP, "", NULL, &got2), -ENOENT);

	/* A record without attributes reads back with an empty object. */
	r = rec_of(APP2, STORE_APP, "", NULL, NULL);
	CU_ASSERT_EQUAL(store_put(txn, &r), 0);
	CU_ASSERT_EQUAL_FATAL(store_get(txn, APP2, &got2), 0);
	CU_ASSERT(json_is_object(got2.attrs) && json_object_size(got2.attrs) == 0);
	store_rec_clear(&got2);

	/* Bad arguments are refused, not stored. */
	r = rec_of(NULL, STORE_APP, "", NULL, NULL);
	CU_ASSERT_EQUAL(store_put(txn, &r), -EINVAL);
	r = rec_of("x", (enum store_kind)9, "", NULL, NULL);
	CU_ASSERT_EQUAL(store_put(txn, &r), -EINVAL);
	store_rec_clear(&got);
	json_decref(attrs);
	return 0;
}

static void test_put_get_find_update(void)
{
	struct stat sb;

	run_on_fresh_store(job_put_get);
	/* Tokens and sealed credentials live here: nobody else may read it. */
	CU_ASSERT_EQUAL_FATAL(stat(db_path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 077, 0);
}

static int job_eexist(struct store_txn *txn, void *arg)
{
	struct store_rec got;

	CU_ASSERT_EQUAL(put(txn, APP1 "/e1", STORE_ENDPOINT, APP1, "tok"), 0);
	CU_ASSERT_EQUAL(put(txn, APP1 "/e2", STORE_ENDPOINT, APP1, "tok"), -EEXIST);
	CU_ASSERT_EQUAL(store_get(txn, APP1 "/e2", &got), -ENOENT);
	/* Same token under another app, or another kind, is fine. */
	CU_ASSERT_EQUAL(put(txn, APP2 "/e1", STORE_ENDPOINT, APP2, "tok"), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC ":s", STORE_SUBSCRIPTION, APP1, "tok"), 0);
	/* Moving a record onto a taken lookup is refused and leaves it as it was. */
	CU_ASSERT_EQUAL(put(txn, APP1 "/e3", STORE_ENDPOINT, APP1, "tok3"), 0);
	CU_ASSERT_EQUAL(put(txn, APP1 "/e3", STORE_ENDPOINT, APP1, "tok"), -EEXIST);
	CU_ASSERT_EQUAL_FATAL(store_get(txn, APP1 "/e3", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.lookup, "tok3");
	store_rec_clear(&got);
	/* Any number of records without a lookup. */
	CU_ASSERT_EQUAL(put(txn, TOPIC "1", STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC "2", STORE_TOPIC, "", NULL), 0);
	return 0;
}

static void test_lookup_collision(void)
{
	run_on_fresh_store(job_eexist);
}

static int job_delete(struct store_txn *txn, void *arg)
{
	json_t *tags = json_pack("{s:s}", "k", "v"), *got;
	struct store_rec r;
	uint64_t n = 99;

	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC, tags), 0);
	CU_ASSERT_EQUAL(store_delete(txn, TOPIC), 0);
	CU_ASSERT_EQUAL(store_get(txn, TOPIC, &r), -ENOENT);
	CU_ASSERT_EQUAL(store_delete(txn, TOPIC), -ENOENT);
	/* Its tags went with it: a new resource of that name starts bare. */
	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT_EQUAL(json_object_size(got), 0);
	json_decref(got);

	/* delete_children: only that kind under that parent, with tags. */
	CU_ASSERT_EQUAL(put(txn, TOPIC ":1", STORE_SUBSCRIPTION, TOPIC, "a"), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC ":2", STORE_SUBSCRIPTION, TOPIC, "b"), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC ":3", STORE_SUBSCRIPTION, TOPIC, NULL), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC "x:1", STORE_SUBSCRIPTION, TOPIC "x", "a"), 0);
	CU_ASSERT_EQUAL(put(txn, TOPIC "/e", STORE_ENDPOINT, TOPIC, "a"), 0);
	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC ":1", tags), 0);
	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC "x:1", tags), 0);
	CU_ASSERT_EQUAL(store_delete_children(txn, STORE_SUBSCRIPTION, TOPIC, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(store_count(txn, STORE_SUBSCRIPTION, TOPIC, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(store_count(txn, STORE_SUBSCRIPTION, TOPIC "x", &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(store_count(txn, STORE_ENDPOINT, TOPIC, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(store_get(txn, TOPIC, &r), 0);
	store_rec_clear(&r);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC ":1", &got), 0);
	CU_ASSERT_EQUAL(json_object_size(got), 0);
	json_decref(got);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC "x:1", &got), 0);
	CU_ASSERT_EQUAL(json_object_size(got), 1);
	json_decref(got);
	/* Nothing to delete is not an error; NULL count is allowed. */
	CU_ASSERT_EQUAL(store_delete_children(txn, STORE_SUBSCRIPTION, TOPIC, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(store_delete_children(txn, STORE_SUBSCRIPTION, TOPIC "x", NULL), 0);
	json_decref(tags);
	return 0;
}

static void test_delete(void)
{
	run_on_fresh_store(job_delete);
}

/* Collects the ARNs a listing yields; stops after stop_after if non-zero. */
struct collect {
	char arns[16][128];
	int64_t seqs[16];
	unsigned int n, stop_after;
};

static int collect_cb(const struct store_rec *rec, void *arg)
{
	struct collect *c = arg;

	if (c->n < 16) {
		snprintf(c->arns[c->n], sizeof(c->arns[0]), "%s", rec->arn);
		c->seqs[c->n] = rec->seq;
	}
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 7 : 0;
}

static int job_list(struct store_txn *txn, void *arg)
{
	static const char *const names[] = {"t5", "t1", "t4", "t2", "t3"};
	struct collect c = {0};
	int64_t after = 0;
	unsigned int i, pages = 0, total = 0;
	uint64_t n;

	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(put(txn, names[i], STORE_TOPIC, "", NULL), 0);
	/* Updating a record does not move it. */
	CU_ASSERT_EQUAL(put(txn, "t5", STORE_TOPIC, "", NULL), 0);

	/* All, in insertion (seq) order, not name order. */
	CU_ASSERT_EQUAL(store_list(txn, STORE_TOPIC, "", 0, 0, collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_STRING_EQUAL(c.arns[i], names[i]);

	/* Pages of two, following the last seq. */
	for (;;) {
		memset(&c, 0, sizeof(c));
		CU_ASSERT_EQUAL(store_list(txn, STORE_TOPIC, "", after, 2, collect_cb, &c), 0);
		if (!c.n)
			break;
		CU_ASSERT(c.n <= 2);
		for (i = 0; i < c.n; i++) {
			CU_ASSERT_STRING_EQUAL(c.arns[i], names[total + i]);
			CU_ASSERT(c.seqs[i] > after);
			after = c.seqs[i];
		}
		total += c.n;
		CU_ASSERT_FATAL(++pages <= 5);
	}
	CU_ASSERT_EQUAL(total, 5);
	CU_ASSERT_EQUAL(pages, 3);

	/* A callback's non-zero return stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	CU_ASSERT_EQUAL(store_list(txn, STORE_TOPIC, "", 0, 0, collect_cb, &c), 7);
	CU_ASSERT_EQUAL(c.n, 2);

	/* Parent NULL lists across parents; a parent lists only its own. */
	CU_ASSERT_EQUAL(put(txn, "t1:a", STORE_SUBSCRIPTION, "t1", "x"), 0);
	CU_ASSERT_EQUAL(put(txn, "t2:a", STORE_SUBSCRIPTION, "t2", "x"), 0);
	CU_ASSERT_EQUAL(put(txn, "t1:b", STORE_SUBSCRIPTION, "t1", "y"), 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list(txn, STORE_SUBSCRIPTION, NULL, 0, 0, collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT_STRING_EQUAL(c.arns[0], "t1:a");
	CU_ASSERT_STRING_EQUAL(c.arns[1], "t2:a");
	CU_ASSERT_STRING_EQUAL(c.arns[2], "t1:b");
	after = c.seqs[0];
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list(txn, STORE_SUBSCRIPTION, NULL, after, 1, collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.arns[0], "t2:a");
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list(txn, STORE_SUBSCRIPTION, "t1", 0, 0, collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT_STRING_EQUAL(c.arns[0], "t1:a");
	CU_ASSERT_STRING_EQUAL(c.arns[1], "t1:b");
	after = c.seqs[0];
	memset(&c, 0, sizeof(c));
	/* Paging within a parent skips the other parent's records between. */
	CU_ASSERT_EQUAL(store_list(txn, STORE_SUBSCRIPTION, "t1", after, 1, collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.arns[0], "t1:b");
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list(txn, STORE_SUBSCRIPTION, "t9", 0, 0, collect_cb, &c), 0);
	CU_ASSERT_EQUAL(c.n, 0);

	/* list_by_lookup: any parent, that kind only, seq order. */
	CU_ASSERT_EQUAL(put(txn, "e1", STORE_ENDPOINT, "app", "x"), 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list_by_lookup(txn, STORE_SUBSCRIPTION, "x", collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT_STRING_EQUAL(c.arns[0], "t1:a");
	CU_ASSERT_STRING_EQUAL(c.arns[1], "t2:a");
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_list_by_lookup(txn, STORE_SUBSCRIPTION, "z", collect_cb, &c), 0);
	CU_ASSERT_EQUAL(c.n, 0);

	/* count */
	CU_ASSERT_EQUAL(store_count(txn, STORE_TOPIC, "", &n), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(store_count(txn, STORE_TOPIC, NULL, &n), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(store_count(txn, STORE_SUBSCRIPTION, NULL, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(store_count(txn, STORE_SUBSCRIPTION, "t1", &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(store_count(txn, STORE_APP, NULL, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	return 0;
}

static void test_list(void)
{
	run_on_fresh_store(job_list);
}

/* A listing whose callback reads and lists again (one statement nested in itself). */
struct nested {
	struct store_txn *txn;
	unsigned int outer, inner;
};

static int nested_inner_cb(const struct store_rec *rec, void *arg)
{
	((struct nested *)arg)->inner++;
	return 0;
}

static int nested_outer_cb(const struct store_rec *rec, void *arg)
{
	struct nested *n = arg;
	json_t *tags = NULL;

	n->outer++;
	CU_ASSERT_EQUAL(store_list(n->txn, STORE_TOPIC, "", 0, 0, nested_inner_cb, n), 0);
	CU_ASSERT_EQUAL(store_tags_get(n->txn, rec->arn, &tags), 0);
	json_decref(tags);
	return 0;
}

static int job_nested(struct store_txn *txn, void *arg)
{
	struct nested n = {.txn = txn};

	CU_ASSERT_EQUAL(put(txn, "a", STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL(put(txn, "b", STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL(put(txn, "c", STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL(store_list(txn, STORE_TOPIC, "", 0, 0, nested_outer_cb, &n), 0);
	CU_ASSERT_EQUAL(n.outer, 3);
	CU_ASSERT_EQUAL(n.inner, 9);
	return 0;
}

static void test_nested_list(void)
{
	run_on_fresh_store(job_nested);
}

/* ------------------------------------------------------------------ tags */

static int job_tags(struct store_txn *txn, void *arg)
{
	json_t *got = NULL, *want = json_pack("{s:s,s:s}", "team", "push", "env", "");
	json_t *bad = json_pack("{s:i}", "n", 1), *empty = json_object();

	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT(json_is_object(got) && json_object_size(got) == 0);
	json_decref(got);

	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC, want), 0);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT(json_equal(got, want));
	json_decref(got);

	/* Set replaces the whole set. */
	json_object_clear(want);
	json_object_set_new(want, "owner", json_string("me"));
	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC, want), 0);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT(json_equal(got, want));
	json_decref(got);

	/* Non-string values are refused and change nothing. */
	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC, bad), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT(json_equal(got, want));
	json_decref(got);

	/* Tags of one resource are not another's. */
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC "2", &got), 0);
	CU_ASSERT_EQUAL(json_object_size(got), 0);
	json_decref(got);

	CU_ASSERT_EQUAL(store_tags_set(txn, TOPIC, empty), 0);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, TOPIC, &got), 0);
	CU_ASSERT_EQUAL(json_object_size(got), 0);
	json_decref(got);
	json_decref(want);
	json_decref(bad);
	json_decref(empty);
	return 0;
}

static void test_tags(void)
{
	run_on_fresh_store(job_tags);
}

/* -------------------------------------------------------------- messages */

struct msg_collect {
	char ids[8][40];
	int64_t seqs[8];
	unsigned int n;
};

static int msg_collect_cb(const struct store_msg *msg, void *arg)
{
	struct msg_collect *c = arg;

	if (c->n < 8) {
		snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s", msg->message_id);
		c->seqs[c->n] = msg->seq;
	}
	c->n++;
	return 0;
}

static int msg_put(struct store_txn *txn, const char *id, int64_t *seq)
{
	json_t *body = json_pack("{s:s,s:{s:{s:s,s:s}}}", "Message", id, "MessageAttributes", "a",
				 "DataType", "String", "StringValue", "v");
	struct store_msg m = {
		.message_id = (char *)id,
		.target_arn = TOPIC,
		.target_kind = STORE_TOPIC,
		.body = body,
	};
	int rc = store_msg_put(txn, &m);

	if (seq)
		*seq = m.seq;
	json_decref(body);
	return rc;
}

/* The largest seq handed out by the last job; persists across jobs in the test. */
static int64_t last_seq;

static int job_messages(struct store_txn *txn, void *arg)
{
	struct store_msg got;
	struct msg_collect c = {0};
	int64_t s1, s2, s3, s4;
	json_t *body;

	CU_ASSERT_EQUAL(msg_put(txn, "m1", &s1), 0);
	CU_ASSERT_EQUAL(msg_put(txn, "m2", &s2), 0);
	CU_ASSERT_EQUAL(msg_put(txn, "m3", &s3), 0);
	CU_ASSERT(s1 > 0 && s2 > s1 && s3 > s2);
	CU_ASSERT_EQUAL(msg_put(txn, "m1", NULL), -EEXIST);

	CU_ASSERT_EQUAL_FATAL(store_msg_get(txn, "m2", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.message_id, "m2");
	CU_ASSERT_STRING_EQUAL(got.target_arn, TOPIC);
	CU_ASSERT_EQUAL(got.target_kind, STORE_TOPIC);
	CU_ASSERT_EQUAL(got.seq, s2);
	CU_ASSERT(got.created_ms > 0);
	body = json_pack("{s:s,s:{s:{s:s,s:s}}}", "Message", "m2", "MessageAttributes", "a",
			 "DataType", "String", "StringValue", "v");
	CU_ASSERT(json_equal(got.body, body));
	json_decref(body);
	store_msg_clear(&got);
	CU_ASSERT_EQUAL(store_msg_get(txn, "nope", &got), -ENOENT);

	CU_ASSERT_EQUAL(store_msg_list(txn, 0, 0, msg_collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT_STRING_EQUAL(c.ids[0], "m1");
	CU_ASSERT_STRING_EQUAL(c.ids[2], "m3");
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(store_msg_list(txn, s1, 1, msg_collect_cb, &c), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.ids[0], "m2");

	/* Deleting the newest does not let its seq be handed out again. */
	CU_ASSERT_EQUAL(store_msg_delete(txn, "m3"), 0);
	CU_ASSERT_EQUAL(store_msg_delete(txn, "m3"), -ENOENT);
	CU_ASSERT_EQUAL(store_msg_get(txn, "m3", &got), -ENOENT);
	CU_ASSERT_EQUAL(msg_put(txn, "m4", &s4), 0);
	CU_ASSERT(s4 > s3);
	/* Resources and messages share the one counter. */
	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT(seq_of(txn, TOPIC) > s4);
	CU_ASSERT_EQUAL(store_delete(txn, TOPIC), 0);
	last_seq = s4 + 1;

	/* Bad arguments. */
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL(store_msg_put(txn, &got), -EINVAL);
	return 0;
}

static int job_seq_after_reopen(struct store_txn *txn, void *arg)
{
	int64_t s;

	CU_ASSERT_EQUAL(put(txn, TOPIC, STORE_TOPIC, "", NULL), 0);
	CU_ASSERT(seq_of(txn, TOPIC) > last_seq);
	CU_ASSERT_EQUAL(msg_put(txn, "m5", &s), 0);
	CU_ASSERT(s > seq_of(txn, TOPIC));
	return 0;
}

static void test_messages_and_seq(void)
{
	struct store *st;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_messages, NULL), 0);
	store_close(st);
	/* The newest records were deleted; their numbers stay used after a restart. */
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_seq_after_reopen, NULL), 0);
	store_close(st);
}

/* ----------------------------------------------------- jobs and rollback */

/*
 * The jobs below also run on the store thread, so they report through their
 * status rather than CUnit (which is not thread-safe).
 */
static int job_put_then_fail(struct store_txn *txn, void *arg)
{
	return put(txn, (const char *)arg, STORE_TOPIC, "", NULL) ? -1 : 42;
}

static int job_put_ok(struct store_txn *txn, void *arg)
{
	return put(txn, (const char *)arg, STORE_TOPIC, "", NULL) ? -1 : 0;
}

static int job_expect_absent(struct store_txn *txn, void *arg)
{
	struct store_rec r;

	return store_get(txn, (const char *)arg, &r) == -ENOENT ? 0 : -1;
}

static int job_expect_present(struct store_txn *txn, void *arg)
{
	struct store_rec r;
	int rc = store_get(txn, (const char *)arg, &r);

	store_rec_clear(&r);
	return rc;
}

static void test_sync_rollback(void)
{
	struct store *st;
	uint64_t commits, jobs;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_put_then_fail, "bad"), 42);
	CU_ASSERT_EQUAL(run(st, job_expect_absent, "bad"), 0);
	CU_ASSERT_EQUAL(run(st, job_put_ok, "good"), 0);
	CU_ASSERT_EQUAL(run(st, job_expect_present, "good"), 0);
	store_stats(st, &commits, &jobs);
	CU_ASSERT_EQUAL(commits, 4);
	CU_ASSERT_EQUAL(jobs, 4);
	store_close(st);
}

/* ------------------------------------------------------- threaded store */

/* A gate: a job that holds the store thread until the test opens it. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static int job_gate(struct store_txn *txn, void *arg)
{
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	return 0;
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_mu);
}

/* Completions seen by the loop. */
#define MAX_DONE 256
static struct {
	unsigned int n;
	int order[MAX_DONE];
	int status[MAX_DONE];
	bool off_loop; /* a completion ran on another thread */
} seen;

struct tjob {
	int index;
	store_job_fn fn;
	void *arg;
};

static struct tjob tjobs[MAX_DONE];

static int tjob_run(struct store_txn *txn, void *arg)
{
	struct tjob *t = arg;

	return t->fn(txn, t->arg);
}

static void tjob_done(void *arg, int status)
{
	struct tjob *t = arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		seen.off_loop = true;
	if (seen.n < MAX_DONE) {
		seen.order[seen.n] = t->index;
		seen.status[seen.n] = status;
	}
	seen.n++;
}

static void submit(struct store *st, int index, store_job_fn fn, void *arg)
{
	tjobs[index] = (struct tjob){.index = index, .fn = fn, .arg = arg};
	CU_ASSERT_EQUAL(store_submit(st, tjob_run, tjob_done, &tjobs[index]), 0);
}

static void seen_reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

static void test_group_commit_rollback(void)
{
	struct store *st;
	uint64_t commits, jobs;
	unsigned int i;

	new_db();
	seen_reset();
	gate_set(false);
	st = open_store(base, STORE_DURABILITY_FULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	submit(st, 0, job_gate, NULL);
	submit(st, 1, job_put_ok, "a");
	submit(st, 2, job_put_then_fail, "b");
	submit(st, 3, job_expect_present, "a"); /* sees the job before it, same group */
	submit(st, 4, job_put_ok, "c");
	/* Nothing is delivered before the loop runs. */
	CU_ASSERT_EQUAL(seen.n, 0);
	gate_set(true);
	/* The loop stays up while the store owes completions, and only that long. */
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL_FATAL(seen.n, 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(seen.order[i], (int)i);
	CU_ASSERT_EQUAL(seen.status[0], 0);
	CU_ASSERT_EQUAL(seen.status[1], 0);
	CU_ASSERT_EQUAL(seen.status[2], 42);
	CU_ASSERT_EQUAL(seen.status[3], 0);
	CU_ASSERT_EQUAL(seen.status[4], 0);
	CU_ASSERT_FALSE(seen.off_loop);
	store_stats(st, &commits, &jobs);
	CU_ASSERT_EQUAL(jobs, 5);
	CU_ASSERT(commits >= 1 && commits <= 2);

	seen_reset();
	submit(st, 0, job_expect_present, "a");
	submit(st, 1, job_expect_absent, "b");
	submit(st, 2, job_expect_present, "c");
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL_FATAL(seen.n, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(seen.status[i], 0);
	store_close(st);
}

static void test_burst_batches(void)
{
	struct store *st;
	uint64_t commits, jobs;
	char names[100][16];
	unsigned int i;

	new_db();
	seen_reset();
	gate_set(false);
	st = open_store(base, STORE_DURABILITY_FULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	submit(st, 0, job_gate, NULL);
	for (i = 1; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), "t%u", i);
		submit(st, (int)i, job_put_ok, names[i]);
	}
	gate_set(true);
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL_FATAL(seen.n, 100);
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(seen.order[i], (int)i);
		CU_ASSERT_EQUAL(seen.status[i], 0);
	}
	CU_ASSERT_FALSE(seen.off_loop);
	store_stats(st, &commits, &jobs);
	CU_ASSERT_EQUAL(jobs, 100);
	CU_ASSERT(commits <= 2);
	store_close(st);

	/* max_batch bounds a group. */
	new_db();
	seen_reset();
	gate_set(false);
	st = open_store(base, STORE_DURABILITY_PROCESS, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	submit(st, 0, job_gate, NULL);
	for (i = 1; i < 51; i++)
		submit(st, (int)i, job_put_ok, names[i]);
	gate_set(true);
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL(seen.n, 51);
	store_stats(st, &commits, &jobs);
	CU_ASSERT_EQUAL(jobs, 51);
	CU_ASSERT(commits >= 6 && commits <= 7);
	store_close(st);
}

static struct store *closing_store;
static int resubmit_rc;

static void done_resubmit(void *arg, int status)
{
	tjob_done(arg, status);
	resubmit_rc = store_submit(closing_store, job_put_ok, on_status, &resubmit_rc);
}

static void test_close_delivers(void)
{
	struct store *st;
	unsigned int i;

	new_db();
	seen_reset();
	st = open_store(base, STORE_DURABILITY_FULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (i = 0; i < 4; i++)
		submit(st, (int)i, job_put_ok, i % 2 ? "x" : "y");
	tjobs[4] = (struct tjob){.index = 4, .fn = job_put_ok, .arg = "z"};
	closing_store = st;
	resubmit_rc = 0;
	CU_ASSERT_EQUAL(store_submit(st, tjob_run, done_resubmit, &tjobs[4]), 0);
	/* Closed without running the loop: every completion still arrives, here. */
	store_close(st);
	CU_ASSERT_EQUAL_FATAL(seen.n, 5);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(seen.order[i], (int)i);
		CU_ASSERT_EQUAL(seen.status[i], 0);
	}
	CU_ASSERT_FALSE(seen.off_loop);
	CU_ASSERT_EQUAL(resubmit_rc, -ESHUTDOWN);

	/* The loop has nothing left to run for the closed store. */
	CU_ASSERT_EQUAL(event_base_loop(base, EVLOOP_NONBLOCK), 1);

	/* And it was all committed. */
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_expect_present, "x"), 0);
	CU_ASSERT_EQUAL(run(st, job_expect_present, "z"), 0);
	store_close(st);
}

/*
 * A commit that fails (here: the file size limit stops the WAL from
 * growing, as a full disk would) fails every job of its group with
 * STORE_ECOMMIT, keeps none of their changes, and the store carries on.
 */
static int job_put_big(struct store_txn *txn, void *arg)
{
	size_t len = 1 << 20;
	char *big = malloc(len + 1);
	json_t *attrs;
	struct store_rec r;

	if (!big)
		return -1;
	memset(big, 'b', len);
	big[len] = '\0';
	attrs = json_pack("{s:s}", "Big", big);
	r = rec_of((const char *)arg, STORE_TOPIC, "", NULL, attrs);
	/* Whether the write or the commit fails, the job does not get to decide. */
	store_put(txn, &r);
	json_decref(attrs);
	free(big);
	return 0;
}

static struct rlimit saved_fsize;

static void fsize_limit(bool on)
{
	struct rlimit lim = saved_fsize;

	if (on) {
		CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
		lim = saved_fsize;
		lim.rlim_cur = 256 * 1024;
		signal(SIGXFSZ, SIG_IGN);
	}
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void test_commit_failure(void)
{
	struct store *st;
	uint64_t commits, commits2, jobs;
	unsigned int i;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	store_stats(st, &commits, &jobs);
	fsize_limit(true);
	CU_ASSERT_EQUAL(run(st, job_put_big, "big"), STORE_ECOMMIT);
	fsize_limit(false);
	store_stats(st, &commits2, &jobs);
	CU_ASSERT_EQUAL(commits2, commits);
	CU_ASSERT_EQUAL(run(st, job_expect_absent, "big"), 0);
	CU_ASSERT_EQUAL(run(st, job_put_ok, "after"), 0);
	CU_ASSERT_EQUAL(run(st, job_expect_present, "after"), 0);
	store_close(st);

	/* Threaded: the whole group fails, including the small job before the big one. */
	new_db();
	seen_reset();
	gate_set(false);
	st = open_store(base, STORE_DURABILITY_FULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	submit(st, 0, job_gate, NULL);
	submit(st, 1, job_put_ok, "small");
	submit(st, 2, job_put_big, "big");
	fsize_limit(true);
	gate_set(true);
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	fsize_limit(false);
	CU_ASSERT_EQUAL_FATAL(seen.n, 3);
	CU_ASSERT_EQUAL(seen.status[1], STORE_ECOMMIT);
	CU_ASSERT_EQUAL(seen.status[2], STORE_ECOMMIT);
	seen_reset();
	submit(st, 0, job_expect_absent, "small");
	submit(st, 1, job_expect_absent, "big");
	submit(st, 2, job_put_ok, "after");
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL_FATAL(seen.n, 3);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(seen.status[i], 0);
	store_close(st);
}

/* ------------------------------------------------ durability and files */

static int job_durable_write(struct store_txn *txn, void *arg)
{
	json_t *tags = json_pack("{s:s}", "k", "v");
	int rc = put(txn, APP1, STORE_APP, "", NULL) ||
		 put(txn, APP1 "/e", STORE_ENDPOINT, APP1, "tok") ||
		 store_tags_set(txn, APP1, tags) || msg_put(txn, "m", NULL);

	json_decref(tags);
	return rc ? -1 : 0;
}

static int job_durable_check(struct store_txn *txn, void *arg)
{
	struct store_rec r;
	struct store_msg m;
	json_t *tags = NULL;

	CU_ASSERT_EQUAL(store_get(txn, APP1, &r), 0);
	store_rec_clear(&r);
	CU_ASSERT_EQUAL_FATAL(store_find(txn, STORE_ENDPOINT, APP1, "tok", &r), 0);
	CU_ASSERT_STRING_EQUAL(r.arn, APP1 "/e");
	store_rec_clear(&r);
	CU_ASSERT_EQUAL_FATAL(store_tags_get(txn, APP1, &tags), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(tags, "k")), "v");
	json_decref(tags);
	CU_ASSERT_EQUAL(store_msg_get(txn, "m", &m), 0);
	store_msg_clear(&m);
	return 0;
}

static void test_durable_reopen(void)
{
	struct store *st;

	new_db();
	seen_reset();
	st = open_store(base, STORE_DURABILITY_FULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	submit(st, 0, job_durable_write, NULL);
	CU_ASSERT_EQUAL(event_base_dispatch(base), 1);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT_EQUAL(seen.status[0], 0);
	store_close(st);

	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_durable_check, NULL), 0);
	store_close(st);
	/* Reopening an up-to-date database migrates nothing and loses nothing. */
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_durable_check, NULL), 0);
	store_close(st);
}

/* Run SQL directly on the test database, as someone editing it by hand. */
static void raw_sql(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	CU_ASSERT_EQUAL_FATAL(sqlite3_open(db_path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fprintf(stderr, "raw_sql: %s\n", msg);
	CU_ASSERT_PTR_NULL(msg);
	sqlite3_free(msg);
	sqlite3_close(db);
}

static void expect_open_fails(const char *needle)
{
	struct store_conf conf = {.db_path = db_path, .durability = STORE_DURABILITY_FULL};
	char *err = NULL;
	struct store *st = store_open(&conf, NULL, &err);

	CU_ASSERT_PTR_NULL(st);
	if (st)
		store_close(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	if (!strstr(err, needle))
		fprintf(stderr, "\n  error was: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, db_path));
	free(err);
}

static void test_future_schema_refused(void)
{
	struct store *st;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	store_close(st);
	raw_sql("UPDATE meta SET value = 999 WHERE key = 'schema_version'");
	expect_open_fails("schema version 999");
}

static void test_not_a_database(void)
{
	char junk[4096];
	int fd;

	new_db();
	memset(junk, 'x', sizeof(junk));
	fd = open(db_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	expect_open_fails("not a database");

	/* Another program's SQLite database with its own meta table. */
	new_db();
	raw_sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
		"INSERT INTO meta VALUES ('schema_version', 'banana')");
	expect_open_fails("not a herald database");

	/* A directory that does not exist. */
	snprintf(db_path, sizeof(db_path), "%s/no/such/dir/h.db", dir);
	expect_open_fails("unable to open");
}

static int job_damaged_rows(struct store_txn *txn, void *arg)
{
	struct store_rec r;
	struct store_msg m;
	struct collect c = {0};

	CU_ASSERT_EQUAL(store_get(txn, "bad-json", &r), -EIO);
	CU_ASSERT_PTR_NULL(r.arn);
	CU_ASSERT_EQUAL(store_get(txn, "not-object", &r), -EIO);
	CU_ASSERT_EQUAL(store_get(txn, "bad-kind", &r), -EIO);
	CU_ASSERT_EQUAL(store_get(txn, "fine", &r), 0);
	store_rec_clear(&r);
	CU_ASSERT_EQUAL(store_list(txn, STORE_TOPIC, "", 0, 0, collect_cb, &c), -EIO);
	CU_ASSERT_EQUAL(store_msg_get(txn, "bad-body", &m), -EIO);
	return 0;
}

/* Rows written behind the store's back, with the columns of schema version 1. */
#define RES_INSERT \
	"INSERT INTO resource (arn, kind, parent, lookup, attrs, secret, seq, created_ms) VALUES "
#define MSG_INSERT \
	"INSERT INTO message (message_id, seq, target_arn, target_kind, body, created_ms) VALUES "

static void test_damaged_rows(void)
{
	struct store *st;

	new_db();
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	store_close(st);
	raw_sql(RES_INSERT "('fine', 3, '', NULL, '{}', NULL, 100, 1);" RES_INSERT
			   "('bad-json', 3, '', NULL, '{', NULL, 101, 1);" RES_INSERT
			   "('not-object', 3, '', NULL, '[1]', NULL, 102, 1);" RES_INSERT
			   "('bad-kind', 77, '', NULL, '{}', NULL, 103, 1);" MSG_INSERT
			   "('bad-body', 104, 't', 3, 'nope', 1)");
	st = open_sync();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(run(st, job_damaged_rows, NULL), 0);
	/* Rows inserted behind the store's back do not make it reuse their seq. */
	CU_ASSERT_EQUAL(run(st, job_put_ok, "new"), 0);
	last_seq = 104;
	CU_ASSERT_EQUAL(run(st, job_seq_after_reopen, NULL), 0);
	store_close(st);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"put/get/find/update", test_put_get_find_update},
		{"lookup collision is -EEXIST", test_lookup_collision},
		{"delete, tags and children", test_delete},
		{"list order, paging, by lookup, count", test_list},
		{"list nested in a list callback", test_nested_list},
		{"tags get/set/replace", test_tags},
		{"messages and seq never reused", test_messages_and_seq},
		{"sync: failing job rolled back", test_sync_rollback},
		{"group commit with per-job rollback", test_group_commit_rollback},
		{"burst is batched, max_batch holds", test_burst_batches},
		{"close delivers queued completions", test_close_delivers},
		{"failed commit fails the whole group", test_commit_failure},
		{"durable across reopen", test_durable_reopen},
		{"future schema version refused", test_future_schema_refused},
		{"not a database: clear error", test_not_a_database},
		{"damaged rows: -EIO, no crash", test_damaged_rows},
		CU_TEST_INFO_NULL,
	};

	/* A hang is a failure, not a stuck build. */
	alarm(60);
	/* The damaged-row tests log errors on purpose. */
	log_set_level(LOG_CRIT);
	return fx_run_suite("store", suite_init, suite_clean, tests);
}
