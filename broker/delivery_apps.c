/*
 * The delivery engine's platform applications: their records loaded from the
 * store (credentials unsealed on the store thread, as ops_platform.c seals
 * them: one JSON object {PlatformCredential, PlatformPrincipal} with the
 * application's ARN as associated data), and their driver instances created
 * in each new driver generation.
 *
 * The engine keeps every application it has seen: one deleted from the store
 * is marked deleted, its queue dropped and its credentials wiped, so that
 * sends still in flight can finish against it.
 *
 * Threading: the loop thread, except dlv_apps_job (store thread), which
 * touches only its job.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "broker/delivery_int.h"
#include "common/log.h"
#include "common/seal.h"
#include "common/util.h"

/* One application as the store job read it. */
struct dlv_app_rec {
	char *arn, *platform, *name;
	json_t *attrs;
	char *principal, *credential; /* SECRET: wiped */
	size_t principal_len, credential_len;
};

struct dlv_apps_job {
	struct delivery *d;
	bool resume;
	struct dlv_app_rec *recs;
	size_t n, cap;
	int status;
};

static void dlv_secret_free(char *s, size_t len)
{
	if (s)
		seal_wipe(s, len);
}

static void dlv_app_rec_clear(struct dlv_app_rec *r)
{
	free(r->arn);
	free(r->platform);
	free(r->name);
	json_decref(r->attrs);
	dlv_secret_free(r->principal, r->principal_len);
	dlv_secret_free(r->credential, r->credential_len);
	memset(r, 0, sizeof(*r));
}

/* A copy of string member name of the credentials object, or NULL; *len its length. */
static char *dlv_secret_member(json_t *secret, const char *name, size_t *len, bool *oom)
{
	json_t *v = json_object_get(secret, name);
	char *copy;

	*len = 0;
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	copy = malloc(*len + 1);
	if (!copy) {
		*oom = true;
		return NULL;
	}
	memcpy(copy, json_string_value(v), *len);
	copy[*len] = '\0';
	return copy;
}

/* Store thread: one application record. */
static int dlv_apps_add(const struct store_rec *rec, void *arg)
{
	struct dlv_apps_job *job = arg;
	struct dlv_app_rec *r;
	unsigned char *plain = NULL;
	size_t len = 0;
	json_t *secret = NULL;
	const char *res, *slash;
	bool oom = false;

	res = strstr(rec->arn, ":app/");
	slash = res ? strchr(res + 5, '/') : NULL;
	if (!slash) {
		log_err("delivery: application %s has a malformed ARN; skipped", rec->arn);
		return 0;
	}
	if (job->n == job->cap) {
		size_t cap = job->cap ? job->cap * 2 : 8;
		struct dlv_app_rec *bigger = realloc(job->recs, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		job->recs = bigger;
		job->cap = cap;
	}
	r = &job->recs[job->n];
	memset(r, 0, sizeof(*r));
	if (rec->secret && rec->secret_len) {
		if (seal_decrypt(job->d->seal, rec->secret, rec->secret_len, rec->arn, &plain,
				 &len) < 0) {
			log_err("delivery: the credentials of %s do not open (another sealing "
				"key?); it cannot send",
				rec->arn);
		} else {
			secret = json_loadb((const char *)plain, len, 0, NULL);
			seal_wipe(plain, len);
		}
	}
	r->arn = strdup(rec->arn);
	r->platform = strndup(res + 5, (size_t)(slash - res - 5));
	r->name = strdup(slash + 1);
	r->attrs = json_incref(rec->attrs);
	r->principal = dlv_secret_member(secret, "PlatformPrincipal", &r->principal_len, &oom);
	r->credential = dlv_secret_member(secret, "PlatformCredential", &r->credential_len, &oom);
	if (secret) {
		const char *key;
		json_t *value;

		json_object_foreach (secret, key, value)
			if (json_is_string(value))
				explicit_bzero((char *)json_string_value(value),
					       json_string_length(value));
		json_decref(secret);
	}
	if (oom || !r->arn || !r->platform || !r->name) {
		dlv_app_rec_clear(r);
		return -ENOMEM;
	}
	job->n++;
	return 0;
}

static int dlv_apps_job_run(struct store_txn *txn, void *arg)
{
	struct dlv_apps_job *job = arg;

	job->status = store_list(txn, STORE_APP, NULL, 0, 0, dlv_apps_add, job);
	return 0; /* read only */
}

void dlv_app_free(struct dlv_app *a)
{
	if (!a)
		return;
	free(a->arn);
	free(a->platform);
	free(a->name);
	json_decref(a->attrs);
	free(a->cfg_attrs);
	dlv_secret_free(a->principal, a->principal_len);
	dlv_secret_free(a->credential, a->credential_len);
	if (a->resume_ev)
		event_free(a->resume_ev);
	if (a->rate_ev)
		event_free(a->rate_ev);
	free(a);
}

/* Take r's record into a (moving its strings), and rebuild a's driver configuration. */
static int dlv_app_take(struct dlv_app *a, struct dlv_app_rec *r)
{
	const char *key, *rate;
	json_t *value;
	size_t n = 0;

	free(a->platform);
	free(a->name);
	json_decref(a->attrs);
	free(a->cfg_attrs);
	dlv_secret_free(a->principal, a->principal_len);
	dlv_secret_free(a->credential, a->credential_len);
	a->platform = r->platform;
	a->name = r->name;
	a->attrs = r->attrs;
	a->principal = r->principal;
	a->principal_len = r->principal_len;
	a->credential = r->credential;
	a->credential_len = r->credential_len;
	free(r->arn);
	memset(r, 0, sizeof(*r));
	a->deleted = false;

	a->rate = conf_app_rate(a->d->conf, a->platform, a->name);
	rate = json_string_value(json_object_get(a->attrs, "SuccessFeedbackSampleRate"));
	a->sample_rate = rate ? (unsigned int)strtoul(rate, NULL, 10) : 0;
	if (a->sample_rate > 100)
		a->sample_rate = 100;
	a->cfg_attrs = calloc(json_object_size(a->attrs) + 1, sizeof(*a->cfg_attrs));
	if (!a->cfg_attrs)
		return -ENOMEM;
	json_object_foreach (a->attrs, key, value)
		if (json_is_string(value))
			a->cfg_attrs[n++] = (struct herald_attr){key, json_string_value(value)};
	a->cfg = (struct herald_app_config){
		.size = sizeof(a->cfg),
		.platform = a->platform,
		.name = a->name,
		.arn = a->arn,
		.attrs = a->cfg_attrs,
		.n_attrs = n,
		.principal = a->principal,
		.principal_len = a->principal_len,
		.credential = a->credential,
		.credential_len = a->credential_len,
	};
	return 0;
}

/* a is gone from the store: drop its queue (the messages are released), wipe its credentials. */
static void dlv_app_delete(struct delivery *d, struct dlv_app *a)
{
	struct dlv_item *it;

	if (a->deleted)
		return;
	log_notice("delivery: application %s deleted; %u queued deliveries dropped", a->arn,
		   a->queued);
	a->deleted = true;
	a->handle = NULL;
	a->gen = NULL;
	while ((it = a->head)) {
		struct dlv_write *w = calloc(1, sizeof(*w));

		a->head = it->next;
		a->queued--;
		it->next = NULL;
		if (w) {
			w->kind = DLV_W_FINISH;
			w->message_id = strdup(it->msg->id);
			w->endpoint_arn = strdup(it->endpoint_arn);
			w->first = !it->retry_id && !it->page;
			w->retry_id = it->retry_id;
		}
		if (w && w->message_id && w->endpoint_arn)
			dlv_write_add(d, w);
		else
			dlv_write_free(w);
		if (it->page)
			fanout_page_done(it->page);
		dlv_msg_unref(it->msg);
		free(it->endpoint_arn);
		free(it->token);
		free(it);
	}
	a->tail = NULL;
	a->spilled = 0; /* its rows are dropped as they are loaded */
	dlv_secret_free(a->principal, a->principal_len);
	dlv_secret_free(a->credential, a->credential_len);
	a->principal = a->credential = NULL;
	a->principal_len = a->credential_len = 0;
}

static bool dlv_bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (!alen || (a && b && !memcmp(a, b, alen)));
}

/* Would r give a's driver instance another configuration? */
static bool dlv_app_changed(const struct dlv_app *a, const struct dlv_app_rec *r)
{
	return a->deleted || !json_equal(a->attrs, r->attrs) ||
	       !dlv_bytes_equal(a->principal, a->principal_len, r->principal, r->principal_len) ||
	       !dlv_bytes_equal(a->credential, a->credential_len, r->credential, r->credential_len);
}

/*
 * Merge the applications read into the engine's.  Only new ones: their
 * instances are created in the running generation.  Any change or deletion
 * (or the first load): the hook reloads the drivers with every application.
 */
static void dlv_apps_done(void *arg, int status)
{
	struct dlv_apps_job *job = arg;
	struct delivery *d = job->d;
	struct plugin_gen *cur = plugin_current(d->plugins);
	bool reload = job->resume || !cur;
	struct dlv_app *a, *added[64];
	size_t n_added = 0;
	char why[512];

	if (status || job->status) {
		log_err("delivery: cannot read the platform applications; keeping the ones known");
	} else {
		for (a = d->apps; a; a = a->next) {
			bool found = false;

			for (size_t i = 0; i < job->n && !found; i++)
				found = job->recs[i].arn && !strcmp(job->recs[i].arn, a->arn);
			if (!found && !a->deleted) {
				dlv_app_delete(d, a);
				reload = true;
			}
		}
		for (size_t i = 0; i < job->n; i++) {
			a = dlv_app_find(d, job->recs[i].arn);
			if (!a) {
				a = calloc(1, sizeof(*a));
				if (!a || !(a->arn = strdup(job->recs[i].arn))) {
					free(a);
					log_err("delivery: out of memory loading applications");
					continue;
				}
				a->d = d;
				a->next = d->apps;
				d->apps = a;
				if (n_added < sizeof(added) / sizeof(added[0]))
					added[n_added++] = a;
				else
					reload = true;
			} else if (dlv_app_changed(a, &job->recs[i])) {
				reload = true;
			}
			if (dlv_app_take(a, &job->recs[i]) < 0)
				log_err("delivery: out of memory loading application %s", a->arn);
		}
	}
	if (reload) {
		/* Even when reading failed: the drivers load with the applications known. */
		if (d->apps_fn)
			d->apps_fn(d->apps_arg);
	} else {
		for (size_t i = 0; i < n_added; i++) {
			added[i]->gen = NULL;
			if (!plugin_gen_app_create(cur, &added[i]->cfg, why, sizeof(why)))
				log_err("[%s] cannot create the driver instance of %s: %s; its "
					"deliveries wait",
					added[i]->name, added[i]->arn, why);
		}
	}
	if (job->resume) {
		if (dlv_resume_submit(d, 0) < 0)
			log_err("delivery: cannot resume the work of the previous run");
		dlv_retry_arm(d, util_now_ms());
	}
	for (size_t i = 0; i < job->n; i++)
		dlv_app_rec_clear(&job->recs[i]);
	free(job->recs);
	free(job);
	dlv_pump_soon(d);
}

int dlv_apps_submit(struct delivery *d, bool then_resume)
{
	struct dlv_apps_job *job = calloc(1, sizeof(*job));

	if (!job)
		return -ENOMEM;
	job->d = d;
	job->resume = then_resume;
	if (store_submit(d->store, dlv_apps_job_run, dlv_apps_done, job) < 0) {
		free(job);
		return -1;
	}
	return 0;
}

struct herald_app *dlv_app_handle(struct delivery *d, struct dlv_app *a)
{
	struct plugin_gen *cur = plugin_current(d->plugins);

	if (!cur || a->deleted)
		return NULL;
	if (a->gen != cur) {
		a->handle = plugin_gen_app(cur, a->arn);
		a->gen = cur;
	}
	return a->handle;
}

/* The number of the current driver generation (0 before the first). */
static unsigned int dlv_gen_number(struct plugin_host *h)
{
	json_t *list = plugin_list_json(h);
	unsigned int n = (unsigned int)json_integer_value(json_object_get(list, "Generation"));

	json_decref(list);
	return n;
}

int delivery_load_apps(struct delivery *d, char *const *dirs, size_t n_dirs, char **err)
{
	struct plugin_gen *gen;
	unsigned int refused = 0;
	char why[512];

	*err = NULL;
	gen = plugin_load_generation(d->plugins, dirs, n_dirs, &refused);
	if (!gen) {
		util_set_err(err, "out of memory");
		return -1;
	}
	if (refused && plugin_current(d->plugins)) {
		plugin_gen_discard(gen);
		util_set_err(err, "%u driver%s refused; keeping driver generation %u", refused,
			     refused > 1 ? "s" : "", dlv_gen_number(d->plugins));
		return -1;
	}
	for (struct dlv_app *a = d->apps; a; a = a->next) {
		if (a->deleted)
			continue;
		if (!plugin_gen_app_create(gen, &a->cfg, why, sizeof(why)))
			log_err("[%s] cannot create the driver instance of %s: %s; its deliveries "
				"wait",
				a->name, a->arn, why);
	}
	plugin_switch(d->plugins, gen);
	log_notice("driver generation %u is current (%u refused)", dlv_gen_number(d->plugins),
		   refused);
	for (struct dlv_app *a = d->apps; a; a = a->next) {
		int64_t until;

		a->gen = NULL;
		if (!a->paused || !dlv_app_handle(d, a))
			continue;
		/*
		 * A paused app gets another chance with its new instance now (its
		 * credentials may be fixed), and so do the deliveries it kept in
		 * the store: their rows are written first.
		 */
		until = a->paused_until_ms;
		evtimer_del(a->resume_ev);
		a->paused = false;
		a->paused_until_ms = 0;
		if (!a->spilled)
			continue;
		delivery_flush(d);
		if (dlv_hasten_submit(d, a, until) < 0)
			log_err("[%s] cannot make its stored deliveries due now; they wait for "
				"the end of its pause",
				a->name);
	}
	dlv_pump_soon(d);
	return 0;
}

/* A string member of o or NULL; *len its length. */
static const char *dlv_str(json_t *o, const char *name, size_t *len)
{
	json_t *v = json_object_get(o, name);

	*len = json_string_length(v);
	return json_string_value(v);
}

int delivery_check_app(void *arg, bool create, const char *platform, const char *name,
		       const char *arn, json_t *attrs_in, char *err, size_t n)
{
	struct delivery *d = arg;
	struct plugin_gen *gen = plugin_current(d->plugins);
	struct dlv_app *a = create ? NULL : dlv_app_find(d, arn);
	struct herald_app_config cfg = {
		.size = sizeof(cfg),
		.platform = platform,
		.name = name,
		.arn = arn,
	};
	struct herald_attr *list = NULL;
	json_t *attrs, *value;
	const char *key, *s;
	size_t len, k = 0;
	int rc;

	if (!gen || (a && a->deleted))
		return 0;
	/*
	 * A Set for an app the engine has not loaded yet (just created, its
	 * effect still on the way): check what the request alone makes complete.
	 */
	if (!create && !a &&
	    (!json_object_get(attrs_in, "PlatformCredential") ||
	     (!json_object_get(attrs_in, "PlatformPrincipal") && strcmp(platform, "GCM"))))
		return 0;
	/* Set: the request's attributes over the current ones (an empty value removes one). */
	attrs = a ? json_deep_copy(a->attrs) : json_object();
	if (!attrs)
		return 0;
	json_object_foreach (attrs_in, key, value) {
		if (!strcmp(key, "PlatformCredential") || !strcmp(key, "PlatformPrincipal") ||
		    !json_is_string(value))
			continue;
		if (json_string_length(value) == 0)
			json_object_del(attrs, key);
		else
			json_object_set(attrs, key, value);
	}
	list = calloc(json_object_size(attrs) + 1, sizeof(*list));
	if (!list) {
		json_decref(attrs);
		return 0;
	}
	json_object_foreach (attrs, key, value)
		if (json_is_string(value))
			list[k++] = (struct herald_attr){key, json_string_value(value)};
	cfg.attrs = list;
	cfg.n_attrs = k;
	if ((s = dlv_str(attrs_in, "PlatformPrincipal", &len))) {
		cfg.principal = s;
		cfg.principal_len = len;
	} else if (a) {
		cfg.principal = a->principal;
		cfg.principal_len = a->principal_len;
	}
	if ((s = dlv_str(attrs_in, "PlatformCredential", &len))) {
		cfg.credential = s;
		cfg.credential_len = len;
	} else if (a) {
		cfg.credential = a->credential;
		cfg.credential_len = a->credential_len;
	}
	rc = plugin_check_config(gen, &cfg, err, n);
	free(list);
	json_decref(attrs);
	if (rc == 0 || rc == HERALD_EAGAIN || rc == HERALD_ENOMEM)
		return 0;
	log_info("[%s] %s of %s refused: the driver says: %s", name,
		 create ? "CreatePlatformApplication" : "SetPlatformApplicationAttributes", arn,
		 err);
	return -1;
}
