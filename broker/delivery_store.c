/*
 * The delivery engine's store jobs: everything it reads from or writes to
 * the state store, in as few jobs as possible (one per batch, never one per
 * delivery):
 *
 *   load    messages heard of through "Message" effects (or, at start, every
 *           message not yet dispatched) with their endpoint resolved;
 *   page    the next page of a topic's subscribers after a fan-out's cursor,
 *           filtered by their FilterPolicy, endpoints resolved;
 *   retry   the retries that fell due (leased so that none is loaded twice);
 *   hasten  the deliveries a paused application kept in the store, made due
 *           now when it gets another chance (its credentials were updated);
 *   flush   every state change outcomes asked for since the last flush:
 *           retry rows, message progress and release, endpoints disabled or
 *           given their canonical token, and the application events
 *           (EventEndpointCreated/Updated/Deleted, EventDeliveryFailure)
 *           published to the topics the application names.
 *
 * Each job's struct is owned by the job from submission until its done
 * callback (loop thread) frees it; the run function (store thread) touches
 * only its job and the transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/delivery_int.h"
#include "broker/events.h"
#include "broker/filter_policy.h"
#include "common/log.h"
#include "common/util.h"

#define DLV_RESUME_PAGE 256 /* messages per resume job at start */
#define DLV_SUB_PREFIX	"application "

/* ------------------------------------------------------------------ helpers */

static void *dlv_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *bigger;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : 16;
	bigger = realloc(v, c * size);
	if (bigger)
		*cap = c;
	return bigger;
}

static bool dlv_attr_false(json_t *attrs, const char *name)
{
	const char *v = json_string_value(json_object_get(attrs, name));

	return v && !strcmp(v, "false");
}

/*
 * Store thread: fill t (malloc'd strings) with the endpoint's token and
 * application if it can receive now.  -ENOENT if it is gone or disabled.
 */
static int dlv_resolve(struct store_txn *txn, const char *endpoint_arn, struct dlv_target *t)
{
	struct store_rec ep;
	const char *token;
	int rc;

	rc = store_get(txn, endpoint_arn, &ep);
	if (rc < 0)
		return rc;
	token = json_string_value(json_object_get(ep.attrs, "Token"));
	if (ep.kind != STORE_ENDPOINT || !token || dlv_attr_false(ep.attrs, "Enabled")) {
		store_rec_clear(&ep);
		return -ENOENT;
	}
	t->endpoint_arn = strdup(endpoint_arn);
	t->token = strdup(token);
	t->app_arn = strdup(ep.parent);
	store_rec_clear(&ep);
	if (!t->endpoint_arn || !t->token || !t->app_arn) {
		dlv_target_clear(t);
		return -ENOMEM;
	}
	return 0;
}

/* Store thread: copy a borrowed message (body referenced). */
static int dlv_msg_copy(const struct store_msg *m, struct store_msg *out)
{
	*out = *m;
	out->message_id = strdup(m->message_id);
	out->target_arn = strdup(m->target_arn);
	out->body = json_incref(m->body);
	if (!out->message_id || !out->target_arn) {
		store_msg_clear(out);
		return -ENOMEM;
	}
	return 0;
}

/* Store thread: the message will never be sent (its endpoint is gone): let it go. */
static void dlv_msg_drop(struct store_txn *txn, const struct store_msg *m)
{
	if (store_msg_progress(txn, m->message_id, m->cursor, true) == 0)
		store_msg_release(txn, m->message_id, NULL);
}

/* -------------------------------------------------------------------- load */

struct dlv_loaded {
	struct store_msg msg;
	struct dlv_target t; /* direct messages whose endpoint can receive */
};

struct dlv_load_job {
	struct delivery *d;
	json_t *ids;	   /* message ids to load; NULL: resume after after_seq */
	int64_t after_seq; /* resume: the last seq seen */
	int64_t horizon;   /* resume: messages up to here (-1: the first page sets it) */
	bool more;	   /* resume: another page follows */
	struct dlv_loaded *v;
	size_t n, cap;
	int status;
};

static int dlv_load_keep(const struct store_msg *m, void *arg)
{
	struct dlv_load_job *job = arg;
	struct dlv_loaded *l;
	struct dlv_loaded *v = dlv_grow(job->v, &job->cap, job->n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	job->v = v;
	job->after_seq = m->seq;
	l = &job->v[job->n];
	memset(l, 0, sizeof(*l));
	if (dlv_msg_copy(m, &l->msg) < 0)
		return -ENOMEM;
	job->n++;
	return 0;
}

static int dlv_load_run(struct store_txn *txn, void *arg)
{
	struct dlv_load_job *job = arg;
	size_t i, kept = 0;
	json_t *id;

	if (job->ids) {
		json_array_foreach (job->ids, i, id) {
			struct store_msg m;
			int rc = store_msg_get(txn, json_string_value(id), &m);

			if (rc == -ENOENT)
				continue;
			if (rc == 0 && m.seq <= job->horizon) {
				/* The resume at start has it already. */
				store_msg_clear(&m);
				continue;
			}
			if (rc == 0) {
				rc = dlv_load_keep(&m, job);
				store_msg_clear(&m);
			}
			if (rc < 0) {
				job->status = rc;
				return 0;
			}
		}
	} else {
		size_t before = job->n;

		job->status =
			store_msg_list(txn, job->after_seq, DLV_RESUME_PAGE, dlv_load_keep, job);
		job->more = job->n - before == DLV_RESUME_PAGE;
	}
	for (i = 0; i < job->n; i++) {
		struct dlv_loaded *l = &job->v[i];
		int rc;

		if (l->msg.dispatched) {
			/* Only its retries may still need it. */
			store_msg_release(txn, l->msg.message_id, NULL);
			store_msg_clear(&l->msg);
			continue;
		}
		if (l->msg.target_kind == STORE_ENDPOINT) {
			rc = dlv_resolve(txn, l->msg.target_arn, &l->t);
			if (rc == -ENOENT) {
				dlv_msg_drop(txn, &l->msg);
				store_msg_clear(&l->msg);
				continue;
			}
			if (rc < 0) {
				job->status = rc;
				store_msg_clear(&l->msg);
				continue;
			}
		}
		job->v[kept++] = *l;
	}
	job->n = kept;
	return 0;
}

/*
 * Loop thread: hand loaded messages to their applications and fan-outs.  A
 * topic message waits for a fan-out slot when none is free, or when others
 * wait already (first come, first served) unless it is one of them (waited).
 */
static void dlv_load_dispatch(struct delivery *d, struct dlv_load_job *job, bool waited)
{
	for (size_t i = 0; i < job->n; i++) {
		struct dlv_loaded *l = &job->v[i];
		struct dlv_msg *msg = dlv_msg_new(&l->msg);
		struct dlv_write *w;

		if (!msg) {
			log_err("delivery: out of memory; message %s waits for a restart",
				l->msg.message_id);
			continue;
		}
		if (l->msg.target_kind == STORE_TOPIC &&
		    (d->n_fanouts >= d->conf->max_fanouts ||
		     (!waited && json_array_size(d->fanout_wait)))) {
			/* No slot: it waits in the store (dlv_fanout_admit() loads it again). */
			/* One that waited already keeps its place at the head. */
			if ((waited ? json_array_insert_new(d->fanout_wait, 0, json_string(msg->id))
				    : json_array_append_new(d->fanout_wait, json_string(msg->id))) <
			    0)
				log_err("delivery: out of memory; message %s waits for a restart",
					msg->id);
		} else if (l->msg.target_kind == STORE_TOPIC) {
			if (!fanout_new(d, msg, l->msg.target_arn, l->msg.cursor))
				log_err("delivery: out of memory; message %s waits for a restart",
					l->msg.message_id);
		} else if (dlv_enqueue(d, msg, &l->t, NULL) == -ENOENT) {
			/* Its application is unknown to the engine: nothing can send it. */
			w = calloc(1, sizeof(*w));
			if (w && (w->message_id = strdup(msg->id)) &&
			    (w->endpoint_arn = strdup(l->t.endpoint_arn))) {
				w->kind = DLV_W_FINISH;
				w->first = true;
				dlv_write_add(d, w);
			} else {
				dlv_write_free(w);
			}
		}
		dlv_msg_unref(msg);
	}
	dlv_fanout_admit(d);
}

static void dlv_load_job_free(struct dlv_load_job *job)
{
	for (size_t i = 0; i < job->n; i++) {
		store_msg_clear(&job->v[i].msg);
		dlv_target_clear(&job->v[i].t);
	}
	free(job->v);
	json_decref(job->ids);
	free(job);
}

static void dlv_load_done(void *arg, int status)
{
	struct dlv_load_job *job = arg;
	struct delivery *d = job->d;

	d->loading = false;
	if (status || job->status)
		log_err("delivery: cannot load %zu messages (%s); they are delivered after a "
			"restart",
			json_array_size(job->ids),
			status ? "commit failed" : strerror(-job->status));
	else
		dlv_load_dispatch(d, job, false);
	dlv_load_job_free(job);
	if (json_array_size(d->to_load) && dlv_load_submit(d) == 0)
		d->loading = true;
}

static int dlv_reload_submit(struct delivery *d);

static void dlv_reload_done(void *arg, int status)
{
	struct dlv_load_job *job = arg;
	struct delivery *d = job->d;

	d->reloading = false;
	d->reload_n = 0;
	if (status || job->status)
		log_err("delivery: cannot load %zu waiting topic messages (%s); they are "
			"delivered after a restart",
			json_array_size(job->ids),
			status ? "commit failed" : strerror(-job->status));
	else
		dlv_load_dispatch(d, job, true);
	dlv_load_job_free(job);
	if (json_array_size(d->to_reload) && !d->reloading && dlv_reload_submit(d) == 0)
		d->reloading = true;
}

/*
 * Load the messages whose ids are in *ids as one store job (done gets it);
 * *ids is replaced by a fresh empty list, and put back if nothing could be
 * submitted.  0, -ENOMEM or -1.
 */
static int dlv_load_ids_submit(struct delivery *d, json_t **ids, int64_t horizon,
			       store_done_fn done)
{
	struct dlv_load_job *job = calloc(1, sizeof(*job));
	json_t *fresh = json_array();

	if (!job || !fresh) {
		free(job);
		json_decref(fresh);
		return -ENOMEM;
	}
	job->d = d;
	job->ids = *ids;
	job->horizon = horizon;
	*ids = fresh;
	if (store_submit(d->store, dlv_load_run, done, job) < 0) {
		json_decref(*ids);
		*ids = job->ids;
		free(job);
		return -1;
	}
	return 0;
}

/* Load the waiting topic messages in to_reload (whatever the resume horizon). */
static int dlv_reload_submit(struct delivery *d)
{
	int rc;

	d->reload_n = (unsigned int)json_array_size(d->to_reload);
	rc = dlv_load_ids_submit(d, &d->to_reload, -1, dlv_reload_done);
	if (rc < 0)
		d->reload_n = 0;
	return rc;
}

void dlv_fanout_admit(struct delivery *d)
{
	json_t *id;

	if (d->quiescing)
		return;
	while (json_array_size(d->fanout_wait) &&
	       d->n_fanouts + d->reload_n + json_array_size(d->to_reload) < d->conf->max_fanouts) {
		id = json_incref(json_array_get(d->fanout_wait, 0));
		json_array_remove(d->fanout_wait, 0);
		if (json_array_append_new(d->to_reload, id) < 0) {
			log_err("delivery: out of memory; a topic message waits for a restart");
			break;
		}
	}
	if (json_array_size(d->to_reload) && !d->reloading && dlv_reload_submit(d) == 0)
		d->reloading = true;
}

int dlv_load_submit(struct delivery *d)
{
	return dlv_load_ids_submit(d, &d->to_load, d->resume_horizon, dlv_load_done);
}

static void dlv_resume_done(void *arg, int status)
{
	struct dlv_load_job *job = arg;
	struct delivery *d = job->d;
	bool first = !d->started;

	if (first) {
		/* What was published after the first page ran is for the effects to bring. */
		d->started = true;
		d->resume_horizon = status || job->status ? 0 : job->horizon;
	}
	if (status || job->status) {
		log_err("delivery: cannot resume the previous run's messages after seq %lld",
			(long long)job->after_seq);
	} else {
		dlv_load_dispatch(d, job, false);
		if (job->more && dlv_resume_submit(d, job->after_seq) < 0)
			log_err("delivery: cannot resume the previous run's messages");
	}
	if (first && json_array_size(d->to_load) && !d->loading && dlv_load_submit(d) == 0)
		d->loading = true;
	dlv_load_job_free(job);
}

int dlv_resume_submit(struct delivery *d, int64_t after_seq)
{
	struct dlv_load_job *job = calloc(1, sizeof(*job));

	if (!job)
		return -ENOMEM;
	job->d = d;
	job->after_seq = after_seq;
	job->horizon = d->started ? d->resume_horizon : -1;
	if (store_submit(d->store, dlv_load_run, dlv_resume_done, job) < 0) {
		free(job);
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------------- page */

struct dlv_page_job {
	struct fanout *f;
	struct store_txn *txn; /* while running */
	char *topic;
	int64_t after;
	unsigned int limit, seen;
	json_t *attrs; /* borrowed from the fan-out, which only this job reads meanwhile */
	const char *text;
	size_t text_len;
	size_t cap;
	struct fanout_page_result r;
};

/* Store thread: does the subscription's filter policy let the message through? */
static bool dlv_page_match(struct dlv_page_job *job, const struct store_rec *sub)
{
	const char *text = json_string_value(json_object_get(sub->attrs, "FilterPolicy"));
	const char *scope = json_string_value(json_object_get(sub->attrs, "FilterPolicyScope"));
	char why[256];
	json_t *policy;
	bool ok, body = scope && !strcmp(scope, "MessageBody");

	if (!text || !*text)
		return true;
	policy = filter_policy_parse_json(text, why, sizeof(why));
	if (!policy)
		return false;
	ok = filter_policy_match(policy, body, job->attrs, job->text, job->text_len);
	json_decref(policy);
	return ok;
}

static int dlv_page_add(const struct store_rec *sub, void *arg)
{
	struct dlv_page_job *job = arg;
	struct dlv_target t = {0}, *v;
	const char *lookup = sub->lookup ? sub->lookup : "";
	size_t plen = strlen(DLV_SUB_PREFIX);
	int rc;

	job->r.last_seq = sub->seq;
	job->seen++;
	if (strncmp(lookup, DLV_SUB_PREFIX, plen) || !dlv_page_match(job, sub))
		return 0;
	rc = dlv_resolve(job->txn, lookup + plen, &t);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	v = dlv_grow(job->r.targets, &job->cap, job->r.n, sizeof(*v));
	if (!v) {
		dlv_target_clear(&t);
		return -ENOMEM;
	}
	job->r.targets = v;
	v[job->r.n++] = t;
	return 0;
}

static int dlv_page_run(struct store_txn *txn, void *arg)
{
	struct dlv_page_job *job = arg;

	job->txn = txn;
	job->r.last_seq = job->after;
	job->r.status = store_list(txn, STORE_SUBSCRIPTION, job->topic, job->after, job->limit,
				   dlv_page_add, job);
	job->r.end = job->seen < job->limit;
	job->txn = NULL;
	return 0;
}

static void dlv_page_done(void *arg, int status)
{
	struct dlv_page_job *job = arg;

	if (status)
		job->r.status = -EIO;
	fanout_page_loaded(job->f, &job->r);
	for (size_t i = 0; i < job->r.n; i++)
		dlv_target_clear(&job->r.targets[i]);
	free(job->r.targets);
	free(job->topic);
	free(job);
}

int dlv_page_submit(struct delivery *d, struct fanout *f, const char *topic_arn, int64_t after_seq,
		    unsigned int limit, json_t *filter_attrs, const char *text, size_t text_len)
{
	struct dlv_page_job *job = calloc(1, sizeof(*job));

	if (!job || !(job->topic = strdup(topic_arn))) {
		free(job);
		return -ENOMEM;
	}
	job->f = f;
	job->after = after_seq;
	job->limit = limit;
	job->attrs = filter_attrs;
	job->text = text;
	job->text_len = text_len;
	if (store_submit(d->store, dlv_page_run, dlv_page_done, job) < 0) {
		free(job->topic);
		free(job);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------- retry */

struct dlv_retry_row {
	size_t msg; /* index in msgs */
	struct dlv_target t;
};

struct dlv_retry_job {
	struct delivery *d;
	struct store_txn *txn;
	unsigned int limit;
	json_t *index;	 /* message id -> index in msgs */
	json_t *dropped; /* endpoint ARNs of spilled rows dropped (endpoint gone) */
	struct store_msg *msgs;
	size_t n_msgs, cap_msgs;
	struct dlv_retry_row *rows;
	size_t n, cap;
	int64_t next_ms;
	int status;
};

static int dlv_retry_add(const struct store_retry *r, void *arg)
{
	struct dlv_retry_job *job = arg;
	struct dlv_target t = {0};
	json_t *at = json_object_get(job->index, r->message_id);
	size_t mi;
	int rc;

	if (!at) {
		struct store_msg m, *v;

		rc = store_msg_get(job->txn, r->message_id, &m);
		if (rc == -ENOENT) {
			store_retry_delete(job->txn, r->id);
			return 0;
		}
		if (rc < 0)
			return rc;
		v = dlv_grow(job->msgs, &job->cap_msgs, job->n_msgs, sizeof(*v));
		if (!v || json_object_set_new(job->index, r->message_id,
					      json_integer((json_int_t)job->n_msgs)) < 0) {
			store_msg_clear(&m);
			if (v)
				job->msgs = v;
			return -ENOMEM;
		}
		job->msgs = v;
		v[job->n_msgs++] = m;
		at = json_object_get(job->index, r->message_id);
	}
	mi = (size_t)json_integer_value(at);
	rc = dlv_resolve(job->txn, r->endpoint_arn, &t);
	if (rc == -ENOENT) {
		/* Gone or disabled since: nothing to retry. */
		store_retry_delete(job->txn, r->id);
		store_msg_release(job->txn, r->message_id, NULL);
		/* A spilled one leaves its application's QueuedInStore. */
		if ((r->attempts & DLV_SPILLED_FLAG) &&
		    json_array_append_new(job->dropped, json_string(r->endpoint_arn)) < 0)
			return -ENOMEM;
		return 0;
	}
	if (rc < 0)
		return rc;
	t.retry_id = r->id;
	t.attempts = r->attempts & ~DLV_SPILLED_FLAG;
	t.spilled = (r->attempts & DLV_SPILLED_FLAG) != 0;
	{
		struct dlv_retry_row *v = dlv_grow(job->rows, &job->cap, job->n, sizeof(*v));

		if (!v) {
			dlv_target_clear(&t);
			return -ENOMEM;
		}
		job->rows = v;
		v[job->n].msg = mi;
		v[job->n++].t = t;
	}
	return 0;
}

static int dlv_retry_run(struct store_txn *txn, void *arg)
{
	struct dlv_retry_job *job = arg;

	job->txn = txn;
	job->status =
		store_retry_due(txn, util_now_ms(), job->limit, dlv_retry_add, job, &job->next_ms);
	job->txn = NULL;
	/* A failure part way keeps the leases taken: roll the job back. */
	return job->status ? 1 : 0;
}

static void dlv_retry_done(void *arg, int status)
{
	struct dlv_retry_job *job = arg;
	struct delivery *d = job->d;
	struct dlv_msg **msgs = calloc(job->n_msgs + 1, sizeof(*msgs));
	json_t *ep;
	size_t k;

	d->retry_loading = false;
	if (status || job->status || !msgs) {
		log_err("delivery: cannot load the retries due; trying again in a second");
		dlv_retry_arm(d, util_now_ms() + 1000);
		goto out;
	}
	for (size_t i = 0; i < job->n; i++) {
		struct dlv_retry_row *row = &job->rows[i];
		struct dlv_write *w;

		if (!msgs[row->msg])
			msgs[row->msg] = dlv_msg_new(&job->msgs[row->msg]);
		if (!msgs[row->msg]) {
			log_err("delivery: out of memory; a retry waits for a restart");
			continue;
		}
		if (dlv_enqueue(d, msgs[row->msg], &row->t, NULL) != -ENOENT)
			continue;
		w = calloc(1, sizeof(*w));
		if (w && (w->message_id = strdup(msgs[row->msg]->id)) &&
		    (w->endpoint_arn = strdup(row->t.endpoint_arn))) {
			w->kind = DLV_W_FINISH;
			w->retry_id = row->t.retry_id;
			dlv_write_add(d, w);
		} else {
			dlv_write_free(w);
		}
	}
	json_array_foreach (job->dropped, k, ep)
		dlv_count_unspilled(d, json_string_value(ep));
	if (d->retry_again) {
		d->retry_again = false;
		dlv_retry_arm(d, util_now_ms());
	}
	if (job->next_ms != INT64_MAX)
		dlv_retry_arm(d, job->next_ms);
out:
	for (size_t i = 0; msgs && i < job->n_msgs; i++)
		dlv_msg_unref(msgs[i]);
	free(msgs);
	for (size_t i = 0; i < job->n_msgs; i++)
		store_msg_clear(&job->msgs[i]);
	for (size_t i = 0; i < job->n; i++)
		dlv_target_clear(&job->rows[i].t);
	free(job->msgs);
	free(job->rows);
	json_decref(job->index);
	json_decref(job->dropped);
	free(job);
}

int dlv_retry_submit(struct delivery *d, unsigned int limit)
{
	struct dlv_retry_job *job = calloc(1, sizeof(*job));

	if (!job || !(job->index = json_object()) || !(job->dropped = json_array())) {
		if (job)
			json_decref(job->index);
		free(job);
		return -ENOMEM;
	}
	job->d = d;
	job->limit = limit;
	job->next_ms = INT64_MAX;
	if (store_submit(d->store, dlv_retry_run, dlv_retry_done, job) < 0) {
		json_decref(job->index);
		json_decref(job->dropped);
		free(job);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ hasten */

struct dlv_hasten_job {
	struct delivery *d;
	char *prefix; /* its endpoints' ARNs start with this */
	char *name;   /* the application's, for the log */
	int64_t until_ms;
	unsigned int n;
	int status;
};

static int dlv_hasten_run(struct store_txn *txn, void *arg)
{
	struct dlv_hasten_job *job = arg;

	job->status = store_retry_hasten(txn, job->prefix, DLV_SPILLED_FLAG, job->until_ms,
					 util_now_ms(), &job->n);
	return job->status ? 1 : 0;
}

static void dlv_hasten_done(void *arg, int status)
{
	struct dlv_hasten_job *job = arg;

	if (status || job->status) {
		log_err("[%s] cannot make its stored deliveries due now; they wait for the end "
			"of its pause",
			job->name);
	} else if (job->n) {
		log_info("[%s] resumed: %u deliveries it kept in the store are due now", job->name,
			 job->n);
		dlv_retry_arm(job->d, util_now_ms());
	}
	free(job->prefix);
	free(job->name);
	free(job);
}

int dlv_hasten_submit(struct delivery *d, const struct dlv_app *a, int64_t until_ms)
{
	struct dlv_hasten_job *job = calloc(1, sizeof(*job));
	const char *res = strstr(a->arn, ":app/");

	if (!job || !res)
		goto fail;
	job->d = d;
	job->until_ms = until_ms;
	/* arn:...:app/PLATFORM/name -> arn:...:endpoint/PLATFORM/name/ */
	job->prefix = util_strdupf("%.*s:endpoint/%s/", (int)(res - a->arn), a->arn, res + 5);
	job->name = strdup(a->name);
	if (!job->prefix || !job->name ||
	    store_submit(d->store, dlv_hasten_run, dlv_hasten_done, job) < 0)
		goto fail;
	return 0;
fail:
	if (job) {
		free(job->prefix);
		free(job->name);
	}
	free(job);
	return -1;
}

/* ------------------------------------------------------------------- flush */

struct dlv_flush_job {
	struct delivery *d;
	struct store_txn *txn;
	struct dlv_write *writes;
	unsigned int n_writes;
	json_t *published; /* ids of the event messages stored */
	int64_t next_ms;
};

/*
 * Store thread: publish the event of kind about endpoint_arn to the topic
 * its application names, as a message stored like a Publish (dispatched by
 * the engine after the commit).
 */
static void dlv_event(struct dlv_flush_job *job, const char *app_arn, enum events_kind kind,
		      const char *endpoint_arn, json_t *ep_attrs, const struct events_failure *f)
{
	struct store_rec app, topic;
	struct store_msg m = {0};
	char id[UTIL_UUID_LEN + 1];
	const char *topic_arn;
	char *text = NULL;

	if (!app_arn || store_get(job->txn, app_arn, &app) < 0)
		return;
	topic_arn = json_string_value(json_object_get(app.attrs, events_attr_name(kind)));
	if (!topic_arn || !*topic_arn || store_get(job->txn, topic_arn, &topic) < 0) {
		store_rec_clear(&app);
		return;
	}
	store_rec_clear(&topic);
	text = events_message(kind, app_arn, endpoint_arn, ep_attrs, f, util_now_ms());
	util_uuid4(id);
	m.message_id = id;
	m.target_arn = (char *)topic_arn;
	m.target_kind = STORE_TOPIC;
	m.created_ms = util_now_ms();
	m.body = text ? json_pack("{s:s}", "Message", text) : NULL;
	if (!m.body || store_msg_put(job->txn, &m) < 0 ||
	    json_array_append_new(job->published, json_string(id)) < 0)
		log_err("delivery: cannot publish the %s event of %s to %s", events_attr_name(kind),
			endpoint_arn, topic_arn);
	json_decref(m.body);
	free(text);
	store_rec_clear(&app);
}

/* Store thread: the endpoint change an outcome asks for; the endpoint's record in *ep. */
static bool dlv_flush_endpoint(struct dlv_flush_job *job, struct dlv_write *w, struct store_rec *ep)
{
	const char *token = json_string_value(json_object_get(ep->attrs, "Token"));
	int rc;

	/* Only if the endpoint still holds the token that was sent. */
	if (ep->kind != STORE_ENDPOINT || !token || strcmp(token, w->token))
		return false;
	if (w->ep == DLV_EP_DISABLE) {
		if (dlv_attr_false(ep->attrs, "Enabled"))
			return false;
		if (w->invalid_since_ms >= 0 && ep->lookup_ms > w->invalid_since_ms) {
			log_info("delivery: %s: token updated after the provider's invalid-since "
				 "time; endpoint kept enabled",
				 w->endpoint_arn);
			return false;
		}
		if (json_object_set_new(ep->attrs, "Enabled", json_string("false")) < 0)
			return false;
		rc = store_put(job->txn, ep);
		if (rc == 0)
			log_info("delivery: %s disabled: the provider reports its token invalid",
				 w->endpoint_arn);
		w->disabled = rc == 0;
		return rc == 0;
	}
	/* DLV_EP_REPLACE */
	if (!w->canonical || !strcmp(w->canonical, token))
		return false;
	if (json_object_set_new(ep->attrs, "Token", json_string(w->canonical)) < 0)
		return false;
	free(ep->lookup);
	ep->lookup = strdup(w->canonical);
	if (!ep->lookup)
		return false;
	rc = store_put(job->txn, ep);
	if (rc == -EEXIST)
		log_warning("delivery: %s: the provider's canonical token belongs to another "
			    "endpoint of the application already; token kept",
			    w->endpoint_arn);
	return rc == 0;
}

static void dlv_flush_finish(struct dlv_flush_job *job, struct dlv_write *w)
{
	struct store_rec ep = {0};
	bool have_ep = false, updated = false;

	if (w->ep != DLV_EP_NONE || w->failure)
		have_ep = store_get(job->txn, w->endpoint_arn, &ep) == 0;
	if (have_ep && w->ep != DLV_EP_NONE)
		updated = dlv_flush_endpoint(job, w, &ep);
	if (updated)
		dlv_event(job, w->app_arn, EVENTS_ENDPOINT_UPDATED, w->endpoint_arn, ep.attrs,
			  NULL);
	if (w->failure) {
		struct events_failure f = {
			.message_id = w->message_id,
			.failure_type = w->failure_type,
			.failure_message = w->failure_message,
			.attempts = w->attempts,
		};

		dlv_event(job, w->app_arn, EVENTS_DELIVERY_FAILURE, w->endpoint_arn,
			  have_ep ? ep.attrs : NULL, &f);
	}
	store_rec_clear(&ep);

	if (w->retry) {
		struct store_retry r = {
			.id = w->retry_id,
			.message_id = w->message_id,
			.endpoint_arn = w->endpoint_arn,
			.attempts = w->attempts,
			.next_ms = w->next_ms,
		};

		if (store_retry_put(job->txn, &r) < 0)
			log_err("delivery: cannot store the retry of message %s to %s",
				w->message_id, w->endpoint_arn);
		else if (w->next_ms < job->next_ms)
			job->next_ms = w->next_ms;
	} else if (w->retry_id) {
		store_retry_delete(job->txn, w->retry_id);
	}
	if (w->first)
		store_msg_progress(job->txn, w->message_id, 0, true);
	store_msg_release(job->txn, w->message_id, NULL);
}

static void dlv_flush_event(struct dlv_flush_job *job, struct dlv_write *w)
{
	struct store_rec ep = {0};
	bool have = store_get(job->txn, w->endpoint_arn, &ep) == 0;

	dlv_event(job, w->app_arn, (enum events_kind)w->event_kind, w->endpoint_arn,
		  have ? ep.attrs : NULL, NULL);
	store_rec_clear(&ep);
}

static int dlv_flush_run(struct store_txn *txn, void *arg)
{
	struct dlv_flush_job *job = arg;

	job->txn = txn;
	for (struct dlv_write *w = job->writes; w; w = w->next) {
		switch (w->kind) {
		case DLV_W_FINISH:
			dlv_flush_finish(job, w);
			break;
		case DLV_W_PROGRESS:
			store_msg_progress(txn, w->message_id, w->cursor, w->done);
			if (w->done)
				store_msg_release(txn, w->message_id, NULL);
			break;
		case DLV_W_EVENT:
			dlv_flush_event(job, w);
			break;
		}
	}
	job->txn = NULL;
	return 0;
}

static void dlv_flush_done(void *arg, int status)
{
	struct dlv_flush_job *job = arg;
	struct delivery *d = job->d;
	struct dlv_write *w;
	size_t i;
	json_t *id;

	d->flushing--;
	if (status)
		log_err("delivery: %u outcome writes were not committed; those deliveries are "
			"redone after a restart",
			job->n_writes);
	while ((w = job->writes)) {
		job->writes = w->next;
		if (!status && w->disabled)
			dlv_count_disabled(d, w->app_arn);
		dlv_write_free(w);
	}
	if (!status) {
		if (job->next_ms != INT64_MAX)
			dlv_retry_arm(d, job->next_ms);
		json_array_foreach (job->published, i, id)
			dlv_heard(d, json_string_value(id));
	}
	json_decref(job->published);
	free(job);
}

int dlv_flush_submit(struct delivery *d)
{
	struct dlv_flush_job *job = calloc(1, sizeof(*job));

	if (!job || !(job->published = json_array())) {
		free(job);
		return -ENOMEM;
	}
	job->d = d;
	job->writes = d->writes;
	job->n_writes = d->n_writes;
	job->next_ms = INT64_MAX;
	if (store_submit(d->store, dlv_flush_run, dlv_flush_done, job) < 0) {
		json_decref(job->published);
		free(job);
		return -1;
	}
	d->writes = NULL;
	d->writes_tail = &d->writes;
	d->n_writes = 0;
	d->flushing++;
	return 0;
}
