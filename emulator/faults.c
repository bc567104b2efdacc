/* Global faults per provider; see faults.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "emulator/apns.h"
#include "emulator/faults.h"
#include "emulator/fcm.h"
#include "emulator/rng.h"

/* A token bucket per app: up to throttle_rps requests, refilled at throttle_rps a second. */
struct bucket {
	char key[FAULTS_MAX_APP_KEY];
	double tokens;
	int64_t last_ms;
};

struct emu_faults {
	struct emu_fault_cfg cfg[EMU_PROVIDER_COUNT];
	int set[EMU_PROVIDER_COUNT];		    /* cfg[p] has something */
	int serve[EMU_PROVIDER_COUNT];		    /* p's server applies faults */
	struct bucket *buckets[EMU_PROVIDER_COUNT]; /* FAULTS_MAX_APPS each, made when needed */
	size_t n_buckets[EMU_PROVIDER_COUNT];
	uint64_t rng;
};

struct emu_faults *faults_new(void)
{
	struct emu_faults *f = calloc(1, sizeof(*f));

	if (f && RAND_bytes((unsigned char *)&f->rng, sizeof(f->rng)) != 1) {
		free(f);
		return NULL;
	}
	return f;
}

void faults_free(struct emu_faults *f)
{
	if (!f)
		return;
	for (int p = 0; p < EMU_PROVIDER_COUNT; p++)
		free(f->buckets[p]);
	free(f);
}

void faults_serve(struct emu_faults *f, enum emu_provider p)
{
	f->serve[p] = 1;
}

/* An unsigned member 0..max of o into *out (absent: 0).  -1 with err. */
static int get_uint(const json_t *o, const char *prov, const char *name, long long max,
		    unsigned *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, name);

	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		snprintf(err, errlen, "faults.%s.%s must be an integer 0..%lld", prov, name, max);
		return -1;
	}
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static int parse_one(const char *prov, const json_t *o, struct emu_fault_cfg *c, char *err,
		     size_t errlen)
{
	static const char *const known[] = {
		"error_rate",	"error_status", "error_reason",	   "latency_ms",   "jitter_ms",
		"goaway_every", "reset_every",	"slow_read_every", "slow_read_ms", "throttle_rps",
	};
	const char *key, *reason;
	unsigned status;
	json_t *v;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "faults.%s must be an object", prov);
		return -1;
	}
	json_object_foreach ((json_t *)o, key, v) {
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(key, known[k]) != 0)
			k++;
		if (k == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "faults.%s: unknown member \"%.64s\"", prov, key);
			return -1;
		}
	}
	memset(c, 0, sizeof(*c));
	v = json_object_get(o, "error_rate");
	if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)) {
		snprintf(err, errlen, "faults.%s.error_rate must be a number 0..1", prov);
		return -1;
	}
	c->error_rate = v ? json_number_value(v) : 0;
	if (get_uint(o, prov, "error_status", 599, &status, err, errlen) != 0)
		return -1;
	if (json_object_get(o, "error_status") && status < 400) {
		snprintf(err, errlen, "faults.%s.error_status must be 400..599", prov);
		return -1;
	}
	c->error_status = status ? (int)status : 500;
	v = json_object_get(o, "error_reason");
	reason = json_string_value(v);
	if (v && (!reason || strlen(reason) >= STATE_REASON_MAX)) {
		snprintf(err, errlen, "faults.%s.error_reason must be a string under %d bytes",
			 prov, STATE_REASON_MAX);
		return -1;
	}
	snprintf(c->error_reason, sizeof(c->error_reason), "%s", reason ? reason : "");
	return get_uint(o, prov, "latency_ms", STATE_MAX_DELAY_MS, &c->latency_ms, err, errlen) ||
			       get_uint(o, prov, "jitter_ms", STATE_MAX_DELAY_MS, &c->jitter_ms,
					err, errlen) ||
			       get_uint(o, prov, "goaway_every", FAULTS_MAX_EVERY, &c->goaway_every,
					err, errlen) ||
			       get_uint(o, prov, "reset_every", FAULTS_MAX_EVERY, &c->reset_every,
					err, errlen) ||
			       get_uint(o, prov, "slow_read_every", FAULTS_MAX_EVERY,
					&c->slow_read_every, err, errlen) ||
			       get_uint(o, prov, "slow_read_ms", STATE_MAX_DELAY_MS,
					&c->slow_read_ms, err, errlen) ||
			       get_uint(o, prov, "throttle_rps", FAULTS_MAX_EVERY, &c->throttle_rps,
					err, errlen)
		       ? -1
		       : 0;
}

int faults_set(struct emu_faults *f, const json_t *obj, char *err, size_t errlen)
{
	struct emu_fault_cfg cfg[EMU_PROVIDER_COUNT];
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "faults must be an object of providers");
		return -1;
	}
	memset(cfg, 0, sizeof(cfg));
	json_object_foreach ((json_t *)obj, key, v) {
		int p = state_provider_parse(key);

		if (p < 0 || !f->serve[p]) {
			snprintf(err, errlen, "faults.%.32s: faults apply to:%s%s", key,
				 f->serve[EMU_APNS] ? " apns" : "",
				 f->serve[EMU_FCM] ? " fcm" : "");
			return -1;
		}
		if (parse_one(key, v, &cfg[p], err, errlen) != 0)
			return -1;
	}
	for (int p = 0; p < EMU_PROVIDER_COUNT; p++) {
		f->cfg[p] = cfg[p];
		f->set[p] = json_object_get(obj, state_provider_name(p)) != NULL;
		f->n_buckets[p] = 0;
	}
	return 0;
}

json_t *faults_json(const struct emu_faults *f)
{
	json_t *root = json_object();

	for (int p = 0; root && p < EMU_PROVIDER_COUNT; p++) {
		const struct emu_fault_cfg *c = &f->cfg[p];
		json_t *o;

		if (!f->set[p])
			continue;
		o = json_object();
		if (!o || json_object_set_new(root, state_provider_name(p), o) != 0) {
			json_decref(root);
			return NULL;
		}
		if (c->error_rate > 0) {
			json_object_set_new(o, "error_rate", json_real(c->error_rate));
			json_object_set_new(o, "error_status", json_integer(c->error_status));
			if (c->error_reason[0])
				json_object_set_new(o, "error_reason",
						    json_string(c->error_reason));
		}
#define PUT_UINT(m)                                                     \
	do {                                                            \
		if (c->m)                                               \
			json_object_set_new(o, #m, json_integer(c->m)); \
	} while (0)
		PUT_UINT(latency_ms);
		PUT_UINT(jitter_ms);
		PUT_UINT(goaway_every);
		PUT_UINT(reset_every);
		PUT_UINT(slow_read_every);
		PUT_UINT(slow_read_ms);
		PUT_UINT(throttle_rps);
#undef PUT_UINT
	}
	return root;
}

const struct emu_fault_cfg *faults_cfg(const struct emu_faults *f, enum emu_provider p)
{
	return f->set[p] ? &f->cfg[p] : NULL;
}

unsigned faults_delay(struct emu_faults *f, enum emu_provider p)
{
	const struct emu_fault_cfg *c = faults_cfg(f, p);

	if (!c)
		return 0;
	return c->latency_ms +
	       (c->jitter_ms ? (unsigned)(rng_next(&f->rng) % ((uint64_t)c->jitter_ms + 1)) : 0);
}

/* The app a request counts against: APNs its apns-topic, FCM the project in its path. */
static int app_key(enum emu_provider p, const struct h2_req *req, char key[FAULTS_MAX_APP_KEY])
{
	static const char prefix[] = "/v1/projects/";
	const char *v;
	size_t n;

	if (p == EMU_APNS) {
		v = h2_req_header(req, "apns-topic", NULL);
		n = v ? strlen(v) : 0;
	} else {
		v = h2_req_header(req, ":path", NULL);
		if (!v || strncmp(v, prefix, sizeof(prefix) - 1) != 0)
			return -1;
		v += sizeof(prefix) - 1;
		n = strcspn(v, "/");
	}
	if (n == 0 || n >= FAULTS_MAX_APP_KEY)
		return -1;
	memcpy(key, v, n);
	key[n] = '\0';
	return 0;
}

/* Take one request from key's bucket: 1 if allowed, 0 if over the rate. */
static int bucket_take(struct emu_faults *f, enum emu_provider p, const char *key, unsigned rps,
		       int64_t now_ms)
{
	struct bucket *b = NULL, *oldest = NULL;

	if (!f->buckets[p] && !(f->buckets[p] = calloc(FAULTS_MAX_APPS, sizeof(struct bucket))))
		return 1; /* out of memory: let it through */
	for (size_t i = 0; i < f->n_buckets[p]; i++) {
		struct bucket *c = &f->buckets[p][i];

		if (strcmp(c->key, key) == 0) {
			b = c;
			break;
		}
		if (!oldest || c->last_ms < oldest->last_ms)
			oldest = c;
	}
	if (!b) {
		b = f->n_buckets[p] < FAULTS_MAX_APPS ? &f->buckets[p][f->n_buckets[p]++] : oldest;
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->tokens = rps;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rps / 1000.0;
		if (b->tokens > rps)
			b->tokens = rps;
	}
	b->last_ms = now_ms;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

size_t faults_error_body(enum emu_provider p, int status, const char *reason, char *buf, size_t len,
			 const char **used)
{
	int n;

	if (p == EMU_FCM) {
		struct fcm_error e;
		char *text;

		fcm_error_from_code(&e, reason, status);
		e.http = status; /* the status asked for, even with an unusual code */
		*used = e.code;
		text = fcm_error_body(&e);
		n = snprintf(buf, len, "%s", text ? text : "{}");
		free(text);
	} else {
		*used = apns_reason(status, reason);
		n = snprintf(buf, len, "{\"reason\":\"%s\"}", *used);
	}
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* The device token in an APNs path, for the record; NULL if there is none. */
static const char *apns_path_token(const struct h2_req *req)
{
	static const char prefix[] = "/3/device/";
	const char *path = h2_req_header(req, ":path", NULL);

	if (!path || strncmp(path, prefix, sizeof(prefix) - 1) != 0 ||
	    strlen(path + sizeof(prefix) - 1) != APNS_TOKEN_HEX_LEN)
		return NULL;
	return path + sizeof(prefix) - 1;
}

int faults_intercept(struct emu_state *st, enum emu_provider p, struct h2_req *req, int64_t now_ms)
{
	struct emu_faults *f = state_faults(st);
	const struct emu_fault_cfg *c = faults_cfg(f, p);
	struct h2_out_header hdrs[2];
	char key[FAULTS_MAX_APP_KEY], body[1024], apns_id[RNG_UUID_LEN + 1];
	const char *reason = NULL, *used;
	size_t n = 0, len;
	int status = 0;

	if (!c)
		return 0;
	if (c->throttle_rps && app_key(p, req, key) == 0 &&
	    !bucket_take(f, p, key, c->throttle_rps, now_ms)) {
		status = 429;
		reason = p == EMU_FCM ? "QUOTA_EXCEEDED" : "TooManyRequests";
	} else if (c->error_rate > 0 && rng_unit(&f->rng) < c->error_rate) {
		status = c->error_status;
		reason = c->error_reason[0] ? c->error_reason : NULL;
	} else {
		return 0;
	}
	len = faults_error_body(p, status, reason, body, sizeof(body), &used);
	if (p == EMU_APNS) {
		const char *id = h2_req_header(req, "apns-id", NULL);

		if (id && apns_uuid_valid(id))
			snprintf(apns_id, sizeof(apns_id), "%s", id);
		else
			rng_uuid(&f->rng, apns_id);
		hdrs[n++] = (struct h2_out_header){"apns-id", apns_id};
	}
	hdrs[n++] = (struct h2_out_header){"content-type",
					   p == EMU_FCM ? "application/json; charset=UTF-8"
							: "application/json"};
	state_record(st, p, p == EMU_APNS ? apns_path_token(req) : NULL, req, status, used);
	h2_respond(req, status, hdrs, n, body, len, 0);
	return 1;
}
