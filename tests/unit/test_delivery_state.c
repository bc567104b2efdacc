/*
 * The delivery engine's pure parts and its state in the store: SNS's mobile
 * retry schedule (retry.c), latency percentiles (latency.c), and the store's
 * delivery records (retries with leases, message progress and release, the
 * time an endpoint's token last changed).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "broker/latency.h"
#include "broker/retry.h"
#include "tests/unit/fixture.h"

static struct fixture FX;

static int suite_init(void)
{
	return fx_setup(&FX);
}

static int suite_clean(void)
{
	fx_teardown(&FX);
	return 0;
}

/* The default policy is SNS's: 0 immediate, 2 x 10 s, 10 from 10 s to 600 s, 38 x 600 s. */
static void test_sns_schedule(void)
{
	char *err = NULL;
	struct conf *conf = conf_load(NULL, &err);
	const struct conf_delivery *c;
	int64_t prev = 0, total = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	c = &conf->delivery;
	CU_ASSERT_EQUAL(retry_max(c), 50);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 0), -1);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 1), 10000);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 2), 10000);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 3), 10000); /* back-off starts at the minimum */
	for (unsigned int n = 3; n <= 12; n++) {
		CU_ASSERT(retry_delay_ms(c, n) >= prev);
		prev = retry_delay_ms(c, n);
	}
	CU_ASSERT_EQUAL(retry_delay_ms(c, 12), 600000); /* and ends at the maximum */
	CU_ASSERT_EQUAL(retry_delay_ms(c, 13), 600000);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 50), 600000);
	CU_ASSERT_EQUAL(retry_delay_ms(c, 51), -1);
	for (unsigned int n = 1; n <= 50; n++)
		total += retry_delay_ms(c, n);
	/* About 6 h 30 min in all, as SNS documents "over 6 hours". */
	CU_ASSERT(total > 6 * 3600 * 1000LL && total < 7 * 3600 * 1000LL);
	conf_free(conf);
}

static void test_custom_schedule(void)
{
	struct conf_delivery c = {
		.immediate_retries = 1,
		.min_delay_retries = 1,
		.backoff_retries = 1,
		.max_delay_retries = 1,
		.min_delay_ms = 20,
		.max_delay_ms = 80,
	};

	CU_ASSERT_EQUAL(retry_max(&c), 4);
	CU_ASSERT_EQUAL(retry_delay_ms(&c, 1), 0);
	CU_ASSERT_EQUAL(retry_delay_ms(&c, 2), 20);
	CU_ASSERT_EQUAL(retry_delay_ms(&c, 3), 20);
	CU_ASSERT_EQUAL(retry_delay_ms(&c, 4), 80);
	CU_ASSERT_EQUAL(retry_delay_ms(&c, 5), -1);
}

static void test_jitter_and_retry_after(void)
{
	CU_ASSERT_EQUAL(retry_jitter(1000, 0.5, -1), 1000);
	CU_ASSERT_EQUAL(retry_jitter(1000, 0.0, -1), 900);
	CU_ASSERT(retry_jitter(1000, 0.999, -1) <= 1100);
	/* Retry-After wins when longer, never shortens the policy's delay. */
	CU_ASSERT_EQUAL(retry_jitter(1000, 0.5, 5000), 5000);
	CU_ASSERT_EQUAL(retry_jitter(1000, 0.5, 10), 1000);
	CU_ASSERT_EQUAL(retry_jitter(0, 0.5, -1), 0);
}

static void test_latency(void)
{
	struct latency l = {0};

	CU_ASSERT_EQUAL(latency_percentile(&l, 50), 0);
	for (int i = 0; i < 90; i++)
		latency_add(&l, 10);
	for (int i = 0; i < 10; i++)
		latency_add(&l, 1000);
	latency_add(&l, -5);
	/* Within a bucket (19 %) of the truth, never below it. */
	CU_ASSERT(latency_percentile(&l, 50) >= 10 && latency_percentile(&l, 50) <= 12);
	CU_ASSERT(latency_percentile(&l, 99) >= 1000 && latency_percentile(&l, 99) <= 1190);
	CU_ASSERT_EQUAL(l.count, 101);
}

/* ---- store ---- */

static int64_t ids[3];
static int64_t next_after;
static unsigned int n_due;

static int count_due(const struct store_retry *r, void *arg)
{
	(void)arg;
	CU_ASSERT_STRING_EQUAL(r->message_id, "m1");
	n_due++;
	return 0;
}

static int job_retries(struct store_txn *txn, void *arg)
{
	struct store_msg m = {.message_id = "m1", .target_arn = "t", .target_kind = STORE_TOPIC};
	struct store_retry r = {.message_id = "m1", .endpoint_arn = "e", .attempts = 1};
	uint64_t n = 0;
	bool deleted = true;

	(void)arg;
	m.body = json_pack("{s:s}", "Message", "x");
	CU_ASSERT_EQUAL(store_msg_put(txn, &m), 0);
	json_decref(m.body);
	for (int i = 0; i < 3; i++) {
		r.id = 0;
		r.next_ms = 1000 + i * 1000;
		CU_ASSERT_EQUAL(store_retry_put(txn, &r), 0);
		ids[i] = r.id;
	}
	CU_ASSERT(ids[0] > 0 && ids[1] > ids[0]);
	CU_ASSERT_EQUAL(store_retry_count(txn, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	/* Due at 2500: the first two, leased; the third is next. */
	n_due = 0;
	CU_ASSERT_EQUAL(store_retry_due(txn, 2500, 0, count_due, NULL, &next_after), 0);
	CU_ASSERT_EQUAL(n_due, 2);
	CU_ASSERT_EQUAL(next_after, 3000);
	/* Leased rows are not returned again. */
	n_due = 0;
	CU_ASSERT_EQUAL(store_retry_due(txn, 2500, 0, count_due, NULL, &next_after), 0);
	CU_ASSERT_EQUAL(n_due, 0);
	/* An update clears the lease. */
	r.id = ids[0];
	r.attempts = 2;
	r.next_ms = 2000;
	CU_ASSERT_EQUAL(store_retry_put(txn, &r), 0);
	CU_ASSERT_EQUAL(store_retry_due(txn, 2500, 1, count_due, NULL, &next_after), 0);
	CU_ASSERT_EQUAL(n_due, 1);
	/* Not dispatched: never released, whatever the retries. */
	CU_ASSERT_EQUAL(store_msg_release(txn, "m1", &deleted), 0);
	CU_ASSERT_FALSE(deleted);
	CU_ASSERT_EQUAL(store_msg_progress(txn, "m1", 42, true), 0);
	CU_ASSERT_EQUAL(store_msg_release(txn, "m1", &deleted), 0);
	CU_ASSERT_FALSE(deleted); /* retries still refer to it */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(store_retry_delete(txn, ids[i]), 0);
	CU_ASSERT_EQUAL(store_retry_delete(txn, ids[0]), -ENOENT);
	CU_ASSERT_EQUAL(store_msg_release(txn, "m1", &deleted), 0);
	CU_ASSERT_TRUE(deleted);
	CU_ASSERT_EQUAL(store_msg_progress(txn, "m1", 0, true), -ENOENT);
	return 0;
}

static void done_ok(void *arg, int status)
{
	*(int *)arg = status;
}

static void test_store_retries(void)
{
	int status = -1;

	CU_ASSERT_EQUAL(store_submit(FX.store, job_retries, done_ok, &status), 0);
	CU_ASSERT_EQUAL(status, 0);
}

static int count_any(const struct store_retry *r, void *arg)
{
	(void)r;
	(void)arg;
	n_due++;
	return 0;
}

static int job_lease_one(struct store_txn *txn, void *arg)
{
	struct store_retry r = {.message_id = "m2", .endpoint_arn = "e", .next_ms = 5};

	(void)arg;
	CU_ASSERT_EQUAL(store_retry_put(txn, &r), 0);
	ids[0] = r.id;
	n_due = 0;
	CU_ASSERT_EQUAL(store_retry_due(txn, 10, 0, count_any, NULL, &next_after), 0);
	CU_ASSERT_EQUAL(n_due, 1);
	CU_ASSERT_EQUAL(next_after, INT64_MAX);
	return 0;
}

static int job_due_again(struct store_txn *txn, void *arg)
{
	(void)arg;
	n_due = 0;
	CU_ASSERT_EQUAL(store_retry_due(txn, 10, 0, count_any, NULL, &next_after), 0);
	CU_ASSERT_EQUAL(store_retry_delete(txn, ids[0]), 0);
	return 0;
}

/* A lease belongs to the process that took it: a new one (restart) sees the retry again. */
static void test_store_leases_cleared_on_open(void)
{
	int status = -1;

	CU_ASSERT_EQUAL(store_submit(FX.store, job_lease_one, done_ok, &status), 0);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&FX), 0);
	CU_ASSERT_EQUAL(store_submit(FX.store, job_due_again, done_ok, &status), 0);
	CU_ASSERT_EQUAL(n_due, 1);
}

static int64_t first_ms;

/* The job's argument is its step, which the completion leaves alone. */
static void done_ok_step(void *arg, int status)
{
	(void)arg;
	CU_ASSERT_EQUAL(status, 0);
}

static int job_lookup_ms(struct store_txn *txn, void *arg)
{
	struct store_rec rec = {
		.arn = "ep", .kind = STORE_ENDPOINT, .parent = "app", .lookup = "t1"};
	struct store_rec got;
	int step = *(int *)arg;

	rec.attrs = json_pack("{s:s}", "Token", step == 2 ? "t2" : "t1");
	if (step == 2)
		rec.lookup = "t2";
	CU_ASSERT_EQUAL(store_put(txn, &rec), 0);
	json_decref(rec.attrs);
	CU_ASSERT_EQUAL(store_get(txn, "ep", &got), 0);
	if (step == 0) {
		first_ms = got.lookup_ms;
	} else if (step == 1) {
		CU_ASSERT_EQUAL(got.lookup_ms, first_ms); /* same token: unchanged */
	} else {
		CU_ASSERT(got.lookup_ms > first_ms); /* new token: now */
	}
	CU_ASSERT(got.lookup_ms > 0);
	store_rec_clear(&got);
	return 0;
}

/* An endpoint's token-updated time moves only when its token changes. */
static void test_store_token_updated_time(void)
{
	static int steps[3] = {0, 1, 2};

	for (int step = 0; step < 3; step++) {
		if (step == 2)
			usleep(5000);
		CU_ASSERT_EQUAL(store_submit(FX.store, job_lookup_ms, done_ok_step, &steps[step]),
				0);
		if (step < 2)
			usleep(5000);
	}
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"default retry policy is SNS's mobile push policy", test_sns_schedule},
		{"configured retry policy", test_custom_schedule},
		{"jitter and Retry-After", test_jitter_and_retry_after},
		{"latency percentiles", test_latency},
		{"store: retries, leases, message progress and release", test_store_retries},
		{"store: leases cleared when the store opens", test_store_leases_cleared_on_open},
		{"store: token-updated time", test_store_token_updated_time},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("delivery_state", suite_init, suite_clean, tests);
}
