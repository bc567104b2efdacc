/* Records, counters and rules; see state.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "emulator/faults.h"
#include "emulator/state.h"

/*
 * One remembered request, compact: the variable parts live in data, a
 * buffer kept with the slot and reused when the ring wraps, so recording
 * costs a copy and no allocation once the ring is warm.  data holds, in
 * order: the token, the reason, each header as name NUL value (value_len
 * bytes, then NUL), the body.
 */
struct rec {
	uint64_t seq;
	int64_t time_ms;
	size_t body_total;
	int status;
	int provider;
	uint32_t token_len, reason_len, body_len, n_headers;
	int has_token, has_reason;
	char *data;
	size_t cap, len;
};

struct emu_state {
	struct rec *ring; /* records, oldest at head */
	size_t cap, head, len;
	uint64_t seq;
	uint64_t counts[EMU_PROVIDER_COUNT];
	json_t *rules;			      /* the array as set, for GET */
	json_t *by_token[EMU_PROVIDER_COUNT]; /* token -> rule object */
	struct emu_faults *faults;
};

static const char *const provider_names[EMU_PROVIDER_COUNT] = {
	"apns",	     "fcm", "oauth",	 "fcm-legacy", "adm",
	"adm-oauth", "wns", "wns-oauth", "baidu",      "mpns"};

/* Token endpoints and the legacy FCM API (which shares FCM's tokens) take no rules of their own. */
static int rules_apply(int p)
{
	return p >= 0 && p != EMU_OAUTH && p != EMU_FCM_LEGACY && p != EMU_ADM_OAUTH &&
	       p != EMU_WNS_OAUTH;
}

const char *state_provider_name(enum emu_provider p)
{
	return p < EMU_PROVIDER_COUNT ? provider_names[p] : "?";
}

int state_provider_parse(const char *name)
{
	for (int i = 0; i < EMU_PROVIDER_COUNT; i++)
		if (strcmp(name, provider_names[i]) == 0)
			return i;
	return -1;
}

struct emu_state *state_new(size_t max_records)
{
	struct emu_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->cap = max_records ? max_records : STATE_DEFAULT_MAX_RECORDS;
	st->ring = calloc(st->cap, sizeof(*st->ring));
	st->rules = json_array();
	for (int i = 0; i < EMU_PROVIDER_COUNT; i++)
		st->by_token[i] = json_object();
	st->faults = faults_new();
	if (!st->ring || !st->faults || !st->rules || !st->by_token[EMU_APNS] ||
	    !st->by_token[EMU_FCM] || !st->by_token[EMU_OAUTH]) {
		state_free(st);
		return NULL;
	}
	return st;
}

void state_reset(struct emu_state *st)
{
	/* The slots keep their buffers for the records to come. */
	st->head = st->len = 0;
	memset(st->counts, 0, sizeof(st->counts));
}

void state_free(struct emu_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->ring && i < st->cap; i++)
		free(st->ring[i].data);
	free(st->ring);
	json_decref(st->rules);
	for (int i = 0; i < EMU_PROVIDER_COUNT; i++)
		json_decref(st->by_token[i]);
	faults_free(st->faults);
	free(st);
}

struct emu_faults *state_faults(const struct emu_state *st)
{
	return st->faults;
}

static char *put(char *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
	return p + n;
}

void state_record(struct emu_state *st, enum emu_provider p, const char *token,
		  const struct h2_req *req, int status, const char *reason)
{
	size_t keep = req->body_len < STATE_MAX_BODY ? req->body_len : STATE_MAX_BODY;
	size_t token_len = token ? strlen(token) : 0, reason_len = reason ? strlen(reason) : 0;
	size_t need = token_len + reason_len + keep, name_len[H2_MAX_HEADERS];
	struct rec *r;
	char *d;

	st->counts[p]++;
	for (size_t i = 0; i < req->n_headers; i++) {
		name_len[i] = strlen(req->headers[i].name);
		need += name_len[i] + req->headers[i].value_len + 2;
	}
	if (st->len == st->cap) { /* full: the oldest slot takes the new record */
		r = &st->ring[st->head];
		st->head = (st->head + 1) % st->cap;
	} else {
		r = &st->ring[(st->head + st->len++) % st->cap];
	}
	if (need > r->cap) {
		char *nd = realloc(r->data, need);

		if (!nd) { /* out of memory: keep the record without its contents */
			need = keep = token_len = reason_len = 0;
		} else {
			r->data = nd;
			r->cap = need;
		}
	}
	d = r->data;
	r->seq = ++st->seq;
	r->time_ms = util_now_ms();
	r->body_total = req->body_total;
	r->status = status;
	r->provider = (int)p;
	r->has_token = token != NULL;
	r->has_reason = reason != NULL;
	r->token_len = (uint32_t)token_len;
	r->reason_len = (uint32_t)reason_len;
	r->body_len = (uint32_t)keep;
	r->n_headers = need ? (uint32_t)req->n_headers : 0;
	r->len = need;
	if (!need)
		return;
	d = put(d, token, token_len);
	d = put(d, reason, reason_len);
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct h2_header *h = &req->headers[i];

		d = put(d, h->name, name_len[i] + 1);
		d = put(d, h->value, h->value_len);
		*d++ = '\0';
	}
	put(d, req->body, keep);
}

/* Headers as an object; a repeated header becomes an array of its values. */
static json_t *headers_json(const struct rec *r, const char **cursor)
{
	json_t *obj = json_object();
	const char *d = *cursor;

	for (uint32_t i = 0; i < r->n_headers; i++) {
		const char *name = d, *value = d + strlen(d) + 1;
		size_t vlen = strlen(value); /* HTTP/2 forbids NUL in values */
		json_t *v = json_stringn(value, vlen), *prev;

		d = value + vlen + 1;
		if (!obj)
			continue;
		if (!v) /* not UTF-8: keep the fact, not the bytes */
			v = json_string("(binary)");
		prev = json_object_get(obj, name);
		if (!prev) {
			json_object_set_new(obj, name, v);
		} else if (json_is_array(prev)) {
			json_array_append_new(prev, v);
		} else {
			json_object_set_new(obj, name, json_pack("[O, o]", prev, v));
		}
	}
	*cursor = d;
	return obj;
}

/* The record as the control API shows it.  New reference; NULL on OOM. */
static json_t *rec_json(const struct rec *r)
{
	const char *d = r->data, *token = d, *reason = d + r->token_len, *body;
	json_t *headers, *bj, *rec;

	d = reason + r->reason_len;
	headers = headers_json(r, &d);
	body = d;
	if (util_utf8_valid(body, r->body_len) >= 0) {
		bj = json_stringn(body, r->body_len);
	} else {
		char *b64 = util_base64_encode(body, r->body_len);

		bj = b64 ? json_pack("{s:s}", "base64", b64) : NULL;
		free(b64);
	}
	rec = json_pack("{s:I, s:s, s:I, s:o*, s:o, s:o, s:I, s:i}", "seq", (json_int_t)r->seq,
			"provider", provider_names[r->provider], "time_ms", (json_int_t)r->time_ms,
			"token", r->has_token ? json_stringn(token, r->token_len) : NULL, "headers",
			headers, "body", bj, "body_bytes", (json_int_t)r->body_total, "status",
			r->status);
	if (rec && r->has_reason)
		json_object_set_new(rec, "reason", json_stringn(reason, r->reason_len));
	return rec;
}

static int rec_matches(const struct rec *r, int provider, const char *token, size_t token_len)
{
	if (provider >= 0 && r->provider != provider)
		return 0;
	return !token || (r->has_token && r->token_len == token_len &&
			  memcmp(r->data, token, token_len) == 0);
}

json_t *state_query(const struct emu_state *st, int provider, const char *token, size_t limit)
{
	json_t *out = json_array();
	size_t skip = 0, matched = 0, seen = 0, tlen = token ? strlen(token) : 0;

	if (!out)
		return NULL;
	/* Two passes so that a limit keeps the newest matches, listed oldest first. */
	for (size_t i = 0; i < st->len; i++)
		matched += rec_matches(&st->ring[(st->head + i) % st->cap], provider, token, tlen);
	if (limit && matched > limit)
		skip = matched - limit;
	for (size_t i = 0; i < st->len; i++) {
		const struct rec *r = &st->ring[(st->head + i) % st->cap];

		if (!rec_matches(r, provider, token, tlen) || seen++ < skip)
			continue;
		if (json_array_append_new(out, rec_json(r)) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *state_counts(const struct emu_state *st)
{
	uint64_t total = 0;
	json_t *obj = json_object();

	for (int i = 0; obj && i < EMU_PROVIDER_COUNT; i++) {
		total += st->counts[i];
		json_object_set_new(obj, provider_names[i],
				    json_integer((json_int_t)st->counts[i]));
	}
	if (obj)
		json_object_set_new(obj, "total", json_integer((json_int_t)total));
	return obj;
}

static int check_rule(const json_t *r, size_t i, char *err, size_t errlen)
{
	static const char *const known[] = {"provider",	 "token",	"status",   "reason",
					    "timestamp", "retry_after", "delay_ms", "topic",
					    "canonical", "drop"};
	const char *key, *prov = json_string_value(json_object_get(r, "provider"));
	const char *tok = json_string_value(json_object_get(r, "token"));
	json_t *v;

	if (!json_is_object(r)) {
		snprintf(err, errlen, "rules[%zu]: not an object", i);
		return -1;
	}
	json_object_foreach ((json_t *)r, key, v) {
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(key, known[k]) != 0)
			k++;
		if (k == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "rules[%zu]: unknown member \"%.64s\"", i, key);
			return -1;
		}
	}
	if (!prov || !rules_apply(state_provider_parse(prov))) {
		snprintf(err, errlen,
			 "rules[%zu]: provider must be apns, fcm, adm, wns, baidu or mpns", i);
		return -1;
	}
	if (!tok || !*tok || strlen(tok) > 4096) {
		snprintf(err, errlen, "rules[%zu]: token must be a non-empty string", i);
		return -1;
	}
	v = json_object_get(r, "status");
	if (v &&
	    (!json_is_integer(v) || json_integer_value(v) < 200 || json_integer_value(v) > 599)) {
		snprintf(err, errlen, "rules[%zu]: status must be an integer 200..599", i);
		return -1;
	}
	v = json_object_get(r, "reason");
	if (v && (!json_is_string(v) || json_string_length(v) >= STATE_REASON_MAX)) {
		snprintf(err, errlen, "rules[%zu]: reason must be a string under %d bytes", i,
			 STATE_REASON_MAX);
		return -1;
	}
	v = json_object_get(r, "timestamp");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
		snprintf(err, errlen, "rules[%zu]: timestamp must be milliseconds since the epoch",
			 i);
		return -1;
	}
	v = json_object_get(r, "retry_after");
	if (v &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 86400)) {
		snprintf(err, errlen, "rules[%zu]: retry_after must be 0..86400 seconds", i);
		return -1;
	}
	v = json_object_get(r, "delay_ms");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > STATE_MAX_DELAY_MS)) {
		snprintf(err, errlen, "rules[%zu]: delay_ms must be 0..%d", i, STATE_MAX_DELAY_MS);
		return -1;
	}
	v = json_object_get(r, "topic");
	if (v && (!json_is_string(v) || json_string_length(v) >= 256)) {
		snprintf(err, errlen, "rules[%zu]: topic must be a string under 256 bytes", i);
		return -1;
	}
	v = json_object_get(r, "drop");
	if (v && !json_is_boolean(v)) {
		snprintf(err, errlen, "rules[%zu]: drop must be true or false", i);
		return -1;
	}
	v = json_object_get(r, "canonical");
	if (v && (!json_is_string(v) || json_string_length(v) == 0 ||
		  json_string_length(v) >= STATE_CANONICAL_MAX)) {
		snprintf(err, errlen, "rules[%zu]: canonical must be a token under %d bytes", i,
			 STATE_CANONICAL_MAX);
		return -1;
	}
	return 0;
}

int state_set_rules(struct emu_state *st, const json_t *rules, char *err, size_t errlen)
{
	json_t *by_token[EMU_PROVIDER_COUNT] = {NULL}, *r;
	size_t i;
	int rc = -1;

	if (!json_is_array(rules) || json_array_size(rules) > STATE_MAX_RULES) {
		snprintf(err, errlen, "rules must be an array of at most %d rules",
			 STATE_MAX_RULES);
		return -1;
	}
	for (int p = 0; p < EMU_PROVIDER_COUNT; p++)
		if (!(by_token[p] = json_object()))
			goto out;
	json_array_foreach (rules, i, r) {
		if (check_rule(r, i, err, errlen) != 0)
			goto out;
		/* A later rule for the same token wins. */
		json_object_set(by_token[state_provider_parse(
					json_string_value(json_object_get(r, "provider")))],
				json_string_value(json_object_get(r, "token")), r);
	}
	for (int p = 0; p < EMU_PROVIDER_COUNT; p++) {
		json_decref(st->by_token[p]);
		st->by_token[p] = by_token[p];
		by_token[p] = NULL;
	}
	json_decref(st->rules);
	st->rules = json_deep_copy(rules);
	rc = 0;
out:
	for (int p = 0; p < EMU_PROVIDER_COUNT; p++)
		json_decref(by_token[p]);
	return rc;
}

const json_t *state_rules(const struct emu_state *st)
{
	return st->rules;
}

int state_rule(const struct emu_state *st, enum emu_provider p, const char *token,
	       struct emu_rule *out)
{
	json_t *r = token ? json_object_get(st->by_token[p], token) : NULL;
	const char *s;

	if (!r)
		return 0;
	memset(out, 0, sizeof(*out));
	out->status = (int)json_integer_value(json_object_get(r, "status"));
	out->timestamp_ms = json_integer_value(json_object_get(r, "timestamp"));
	out->retry_after = json_object_get(r, "retry_after")
				   ? (int)json_integer_value(json_object_get(r, "retry_after"))
				   : -1;
	out->delay_ms = (unsigned)json_integer_value(json_object_get(r, "delay_ms"));
	out->drop = json_is_true(json_object_get(r, "drop"));
	if ((s = json_string_value(json_object_get(r, "reason"))))
		snprintf(out->reason, sizeof(out->reason), "%s", s);
	if ((s = json_string_value(json_object_get(r, "topic"))))
		snprintf(out->topic, sizeof(out->topic), "%s", s);
	if ((s = json_string_value(json_object_get(r, "canonical"))))
		snprintf(out->canonical, sizeof(out->canonical), "%s", s);
	return 1;
}
