/*
 * What the emulator remembers: the requests each provider received (a
 * bounded ring, newest kept), counters, and the per-token rules that script
 * answers.  Owned by the event loop; not thread-safe.
 */
#ifndef HERALD_EMULATOR_STATE_H
#define HERALD_EMULATOR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "emulator/h2.h"

enum emu_provider {
	EMU_APNS,
	EMU_FCM,
	EMU_OAUTH,	/* the FCM OAuth2 token endpoint */
	EMU_FCM_LEGACY, /* /fcm/send; its token rules are the "fcm" ones */
	EMU_ADM,
	EMU_ADM_OAUTH, /* Login with Amazon's token endpoint */
	EMU_WNS,
	EMU_WNS_OAUTH, /* login.live.com's token endpoint */
	EMU_BAIDU,
	EMU_MPNS,
	EMU_PROVIDER_COUNT
};

#define STATE_DEFAULT_MAX_RECORDS 10000
#define STATE_MAX_RULES		  100000
#define STATE_MAX_DELAY_MS	  60000
#define STATE_REASON_MAX	  64
#define STATE_CANONICAL_MAX	  1024
#define STATE_MAX_BODY		  8192 /* bytes of a body kept per record; body_bytes has the size */

/* A scripted outcome for one token. */
struct emu_rule {
	int status;		       /* 0: answer normally (after any delay) */
	char reason[STATE_REASON_MAX]; /* APNs reason or FCM errorCode; "" = the status's default */
	int64_t timestamp_ms;	       /* APNs 410 timestamp; 0 = now */
	int retry_after;	       /* seconds for Retry-After; -1 = none */
	unsigned delay_ms;	       /* answer this much later */
	int drop;		       /* drop the connection instead of answering (APNs) */
	char topic[256];	       /* APNs: the token belongs to this topic only; "" = any */
	char canonical[STATE_CANONICAL_MAX]; /* FCM legacy, ADM: answer with this canonical id */
};

struct emu_state;
struct emu_faults;

/* NULL on OOM.  The state owns the global faults (faults.h), none set. */
struct emu_state *state_new(size_t max_records);
void state_free(struct emu_state *st);

const char *state_provider_name(enum emu_provider p);
/* -1 if name is not a provider. */
int state_provider_parse(const char *name);

/*
 * Remember one request and the answer given.  token may be NULL; headers and
 * body are copied out of req.
 */
void state_record(struct emu_state *st, enum emu_provider p, const char *token,
		  const struct h2_req *req, int status, const char *reason);

/*
 * Records matching provider (-1 = any) and token (NULL = any), oldest first,
 * at most limit (0 = all kept).  New reference; NULL on OOM.
 */
json_t *state_query(const struct emu_state *st, int provider, const char *token, size_t limit);

/* {"total": n, "apns": n, "fcm": n, "oauth": n, ...} since start or the last reset.  New reference. */
json_t *state_counts(const struct emu_state *st);

/* Forget the records and counters (rules stay). */
void state_reset(struct emu_state *st);

/*
 * Replace all rules with rules, an array of {"provider","token","status",
 * "reason","timestamp","retry_after","delay_ms","topic","canonical","drop"}.  Validated as a
 * whole: on error nothing changes and err names the problem.  Returns 0 or -1.
 */
int state_set_rules(struct emu_state *st, const json_t *rules, char *err, size_t errlen);

/* The rules as set (borrowed). */
const json_t *state_rules(const struct emu_state *st);

/* The global faults (owned by st; borrowed). */
struct emu_faults *state_faults(const struct emu_state *st);

/* The rule for this provider and token into *out: 1 if there is one, else 0. */
int state_rule(const struct emu_state *st, enum emu_provider p, const char *token,
	       struct emu_rule *out);

#endif
