/*
 * Global faults per provider (issue 4, item 3): a share of requests answered
 * with an error, added latency, GOAWAY every N streams, connection resets
 * every N requests, slow reads, and per-app throttling (APNs: per topic;
 * FCM: per project).  Set as a whole from JSON (the rules file's "faults"
 * member, PUT /v1/faults):
 *   {"apns": {"error_rate": 0.1, "error_status": 503, "error_reason": "ServiceUnavailable",
 *             "latency_ms": 5, "jitter_ms": 10, "goaway_every": 1000, "reset_every": 0,
 *             "slow_read_every": 0, "slow_read_ms": 0, "throttle_rps": 0}, "fcm": {...}}
 * Only providers whose server applies faults (h2_server_opts.faults_st, which
 * calls faults_serve) may be given some.  The server (h2.c) consults them
 * per request; the answers take the provider's error shape.  Owned by the emulator state;
 * runs on the event loop, not thread-safe.
 */
#ifndef HERALD_EMULATOR_FAULTS_H
#define HERALD_EMULATOR_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "emulator/h2.h"
#include "emulator/state.h"

#define FAULTS_MAX_EVERY   100000000
#define FAULTS_MAX_APPS	   64 /* throttled apps tracked per provider; the least recent goes */
#define FAULTS_MAX_APP_KEY 256

/* One provider's faults; zero means none. */
struct emu_fault_cfg {
	double error_rate; /* 0..1: share of requests answered with error_status */
	int error_status;  /* 400..599; 500 when error_rate is set without it */
	char error_reason[STATE_REASON_MAX]; /* APNs reason or FCM errorCode; "" = usual one */
	unsigned latency_ms, jitter_ms;	     /* every answer later by latency + [0, jitter] ms */
	unsigned goaway_every;		     /* GOAWAY after every N-th request on a connection */
	unsigned reset_every;		     /* drop the connection at every N-th request */
	unsigned slow_read_every, slow_read_ms; /* stop reading for D ms at every N-th request */
	unsigned throttle_rps;			/* per app, at most R requests a second; 0 = none */
};

struct emu_faults;

/* NULL on OOM.  The dice are seeded from RAND_bytes. */
struct emu_faults *faults_new(void);
void faults_free(struct emu_faults *f);

/* Provider p's server applies faults: faults_set accepts some for it. */
void faults_serve(struct emu_faults *f, enum emu_provider p);

/*
 * Replace every provider's faults with obj (see above); validated as a
 * whole: on error nothing changes and err names the problem.  Throttling
 * starts afresh.  0 or -1.
 */
int faults_set(struct emu_faults *f, const json_t *obj, char *err, size_t errlen);

/* The faults as set, only the non-zero members.  New reference; NULL on OOM. */
json_t *faults_json(const struct emu_faults *f);

/* Provider p's faults, or NULL when it has none. */
const struct emu_fault_cfg *faults_cfg(const struct emu_faults *f, enum emu_provider p);

/* Extra delay for one answer of provider p: latency plus a uniform draw of jitter. */
unsigned faults_delay(struct emu_faults *f, enum emu_provider p);

/*
 * Throttling and the error rate for one complete request of provider p at
 * now_ms: when one applies, answer req in p's error shape (through
 * h2_respond), record it in st and return 1; else 0.
 */
int faults_intercept(struct emu_state *st, enum emu_provider p, struct h2_req *req, int64_t now_ms);

/*
 * The error body p answers with for status and reason (NULL = the status's
 * usual one) into buf: APNs {"reason":...}, FCM Google's error JSON.
 * Returns its length (truncated to len - 1) and the reason used in *used.
 */
size_t faults_error_body(enum emu_provider p, int status, const char *reason, char *buf, size_t len,
			 const char **used);

#endif
