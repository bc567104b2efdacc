/*
 * The state store: SNS resources, tags and accepted messages.
 *
 * The interface is storage-neutral so that a PostgreSQL backend can replace
 * the SQLite one (store_sqlite.c); nothing above it writes SQL.
 *
 * Threading.  store_open() starts a store thread that owns the write
 * connection.  Work is submitted as jobs: the store thread takes everything
 * queued since its last commit, opens ONE transaction, runs each job inside
 * its own savepoint (a job that returns non-zero has its changes rolled back,
 * the others keep theirs), commits (fsync'd when durability is "full"), and
 * only then hands every job's completion back to the event loop thread.  So a
 * state-changing request is answered only after its commit, and jobs see the
 * effects of the jobs before them (CreatePlatformEndpoint twice in one group
 * is still idempotent).
 *
 * When store_open() is given no event base, there is no thread: store_submit()
 * runs the job in its own transaction on the calling thread and calls the
 * completion before returning.  Unit tests use this.
 *
 * Records.  Every SNS resource is one record: its ARN (unique), its kind, its
 * parent (the application of an endpoint, the topic of a subscription; "" for
 * applications and topics), a lookup key unique within (kind, parent) (the
 * token of an endpoint, "protocol endpoint" of a subscription; NULL if none),
 * its attributes as a JSON object of strings, an optional sealed secret blob
 * (credentials of applications, already encrypted by the caller), and a
 * sequence number assigned at first insert that orders listings and never
 * changes.
 */
#ifndef HERALD_BROKER_STORE_H
#define HERALD_BROKER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct store;
struct store_txn;

enum store_kind {
	STORE_APP = 1,
	STORE_ENDPOINT = 2,
	STORE_TOPIC = 3,
	STORE_SUBSCRIPTION = 4,
};

enum store_durability {
	STORE_DURABILITY_FULL,
	STORE_DURABILITY_PROCESS,
};

struct store_conf {
	const char *db_path;
	enum store_durability durability;
	unsigned int max_batch; /* most jobs per transaction; 0: 1000 */
};

struct store_rec {
	char *arn;
	enum store_kind kind;
	char *parent;	       /* "" when none */
	char *lookup;	       /* NULL when none */
	json_t *attrs;	       /* object of strings; never NULL in a record read back */
	unsigned char *secret; /* sealed blob or NULL */
	size_t secret_len;
	int64_t seq;	    /* assigned by the store; ignored by store_put */
	int64_t created_ms; /* assigned by the store at first insert */
	/*
	 * Assigned by the store: when lookup last changed (at insert, then on
	 * every store_put that changes it).  For an endpoint, when its token was
	 * last updated (APNs' "unregistered since" is compared with it).
	 */
	int64_t lookup_ms;
};

/* Free the members of a record filled by the store (not rec itself). */
void store_rec_clear(struct store_rec *rec);

/* An accepted message, stored once whatever the number of its recipients. */
struct store_msg {
	char *message_id;	     /* UUID */
	char *target_arn;	     /* endpoint ARN or topic ARN */
	enum store_kind target_kind; /* STORE_ENDPOINT or STORE_TOPIC */
	json_t *body; /* the validated publish request (Message, Subject, MessageStructure,
			      MessageAttributes, ...) */
	int64_t created_ms;
	int64_t seq; /* assigned by the store */
	/*
	 * Delivery progress (the delivery engine's; 0 for a new message):
	 * cursor, for a topic message, is the subscription seq up to which
	 * every subscriber's first attempt has finished (the fan-out's
	 * low-water mark); dispatched is true once every first attempt has
	 * finished, so that only retries (store_retry_*) may still need it.
	 */
	int64_t cursor;
	bool dispatched;
};

void store_msg_clear(struct store_msg *msg);

/*
 * Open (creating and migrating as needed) the store.  base NULL: synchronous
 * mode, no thread (see above).  NULL on failure with *err set to a malloc'd
 * reason the caller frees.
 */
struct store *store_open(const struct store_conf *conf, struct event_base *base, char **err);

/* Finish every queued job (completions delivered), commit, stop the thread, close. */
void store_close(struct store *st);

/* Runs on the store thread inside the job's savepoint.  Return 0 to keep its changes. */
typedef int (*store_job_fn)(struct store_txn *txn, void *arg);
/*
 * Runs on the event-loop thread after the transaction that held the job ended.
 * status: 0 committed (or the job's own non-zero result, rolled back), or
 * STORE_ECOMMIT if the commit itself failed (the job's changes are lost).
 */
typedef void (*store_done_fn)(void *arg, int status);

#define STORE_ECOMMIT (-10000)

/* Queue a job.  0, or -ESHUTDOWN once store_close() has begun, -ENOMEM. */
int store_submit(struct store *st, store_job_fn job, store_done_fn done, void *arg);

/* Number of transactions committed and jobs run so far (for tests and metrics). */
void store_stats(struct store *st, uint64_t *commits, uint64_t *jobs);

/*
 * Operations inside a job.  All return 0 on success, -ENOENT when not found,
 * -EEXIST on a lookup collision (store_put), or -EIO on a storage error.
 * Records are filled with malloc'd copies; clear them with store_rec_clear().
 * Strings passed in are borrowed.
 */
int store_get(struct store_txn *txn, const char *arn, struct store_rec *out);
int store_find(struct store_txn *txn, enum store_kind kind, const char *parent, const char *lookup,
	       struct store_rec *out);
/* Insert or update by ARN (seq and created_ms of an existing record are kept). */
int store_put(struct store_txn *txn, const struct store_rec *rec);
/* Delete one record and its tags; -ENOENT if absent. */
int store_delete(struct store_txn *txn, const char *arn);
/* Delete every record of kind whose parent is parent (and their tags); count in *n if not NULL. */
int store_delete_children(struct store_txn *txn, enum store_kind kind, const char *parent,
			  uint64_t *n);
/* Number of records of kind under parent (parent NULL: all of that kind). */
int store_count(struct store_txn *txn, enum store_kind kind, const char *parent, uint64_t *n);

/*
 * List records of kind (under parent, or all when parent is NULL) with
 * seq > after_seq in seq order, at most limit of them (0: no limit).  cb gets each record
 * (borrowed for the duration of the call); a non-zero return stops the walk
 * and is returned.
 */
typedef int (*store_list_cb)(const struct store_rec *rec, void *arg);
int store_list(struct store_txn *txn, enum store_kind kind, const char *parent, int64_t after_seq,
	       unsigned int limit, store_list_cb cb, void *arg);

/* List records of kind whose lookup equals lookup (any parent), in seq order. */
int store_list_by_lookup(struct store_txn *txn, enum store_kind kind, const char *lookup,
			 store_list_cb cb, void *arg);

/* Tags of a resource as a new JSON object {key: value}; empty object when none. */
int store_tags_get(struct store_txn *txn, const char *arn, json_t **out);
/* Replace all tags of a resource with obj (borrowed). */
int store_tags_set(struct store_txn *txn, const char *arn, json_t *obj);

/* Store an accepted message; msg->seq is set. */
int store_msg_put(struct store_txn *txn, struct store_msg *msg);
int store_msg_get(struct store_txn *txn, const char *message_id, struct store_msg *out);
/* Messages in seq order after after_seq, at most limit (0: no limit). */
typedef int (*store_msg_cb)(const struct store_msg *msg, void *arg);
int store_msg_list(struct store_txn *txn, int64_t after_seq, unsigned int limit, store_msg_cb cb,
		   void *arg);
int store_msg_delete(struct store_txn *txn, const char *message_id);
/* The largest seq of a stored message (0 when none). */
int store_msg_last_seq(struct store_txn *txn, int64_t *seq);

/* Record a message's delivery progress (see struct store_msg).  0, -ENOENT or -EIO. */
int store_msg_progress(struct store_txn *txn, const char *message_id, int64_t cursor,
		       bool dispatched);
/*
 * Delete message_id if it is dispatched and no retry refers to it any more;
 * *deleted (if not NULL) says whether it was.  0 or -EIO.
 */
int store_msg_release(struct store_txn *txn, const char *message_id, bool *deleted);

/*
 * A delivery waiting for its next attempt (survives a restart).  Rows are
 * leased while the engine works on them: store_retry_due() leases what it
 * returns, and store_open() clears every lease (a new process owns none).
 */
struct store_retry {
	int64_t id; /* assigned by store_retry_put() on insert */
	char *message_id;
	char *endpoint_arn;
	unsigned int attempts; /* attempts made so far */
	int64_t next_ms;       /* wall-clock time of the next attempt */
};

void store_retry_clear(struct store_retry *r);
/* Insert (r->id 0: id assigned) or update (attempts, next_ms; lease cleared) a retry. */
int store_retry_put(struct store_txn *txn, struct store_retry *r);
int store_retry_delete(struct store_txn *txn, int64_t id);
/*
 * Lease and list (cb, borrowed records) at most limit retries not leased
 * whose next_ms <= now_ms, earliest first; then *next_ms is the earliest
 * next_ms of the unleased retries left (INT64_MAX if none).
 */
typedef int (*store_retry_cb)(const struct store_retry *r, void *arg);
int store_retry_due(struct store_txn *txn, int64_t now_ms, unsigned int limit, store_retry_cb cb,
		    void *arg, int64_t *next_ms);
/*
 * Make due at now_ms the retries not leased of the endpoints whose ARN starts
 * with endpoint_prefix, whose attempts have every bit of flags set, and that
 * are due after now_ms but not after until_ms; *n how many.  0 or -EIO.
 */
int store_retry_hasten(struct store_txn *txn, const char *endpoint_prefix, unsigned int flags,
		       int64_t until_ms, int64_t now_ms, unsigned int *n);
/* Retries stored (leased or not). */
int store_retry_count(struct store_txn *txn, uint64_t *n);

#endif
