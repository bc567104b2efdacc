/*
 * The SQLite state store; the interface and its guarantees are in store.h.
 *
 * Threading.  In threaded mode (store_open() given an event base) one store
 * thread owns the connection from the end of store_open() until store_close()
 * joins it; no other thread touches the sqlite3 handle meanwhile.  Jobs queue
 * on st->queue under st->mu; the store thread wakes on st->cond, takes up to
 * max_batch of them, runs them in ONE transaction (BEGIN IMMEDIATE, each job
 * in "SAVEPOINT j" released or rolled back on its own, COMMIT), appends them
 * to st->done and activates st->ev with event_active(), the one libevent call
 * that is safe from another thread (the daemon calls evthread_use_pthreads()
 * before making its base).  st->ev's callback runs on the loop thread and
 * calls every done() in submission order.  While completions are outstanding,
 * st->ev is also kept pending with a long timeout, so that the loop does not
 * exit for lack of events while the store still owes it completions
 * (event_base_dispatch() returns once they are all delivered).  Lock order:
 * st->mu, then libevent's base lock; the store thread never holds st->mu when
 * it calls into libevent.
 *
 * store_close() runs on the loop thread (never from inside a completion): it
 * refuses new jobs, lets the store thread finish everything queued, joins it
 * and delivers the remaining completions itself before closing the
 * connection.
 *
 * In synchronous mode (no base) store_submit() runs the job as a group of one
 * on the calling thread.
 *
 * Sequence numbers come from a counter in the meta table, so they are never
 * reused even after the records holding the largest ones are deleted.
 * Prepared statements are cached per connection; a statement already in use
 * (a store_list callback that lists again) gets a one-off copy.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "broker/store.h"
#include "common/log.h"
#include "common/util.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_DEFAULT_BATCH   1000

/*
 * Forward migrations: step i brings the schema from version i to i + 1.
 * Append only; never edit a step that has shipped.
 */
static const char *const store_migrations[] = {
	/* 1: resources, tags, messages, the sequence counter. */
	"CREATE TABLE resource ("
	" arn TEXT PRIMARY KEY NOT NULL,"
	" kind INTEGER NOT NULL,"
	" parent TEXT NOT NULL,"
	" lookup TEXT,"
	" attrs TEXT NOT NULL,"
	" secret BLOB,"
	" seq INTEGER NOT NULL UNIQUE,"
	" created_ms INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX resource_lookup ON resource (kind, parent, lookup)"
	" WHERE lookup IS NOT NULL;"
	"CREATE INDEX resource_parent_seq ON resource (kind, parent, seq);"
	"CREATE INDEX resource_kind_seq ON resource (kind, seq);"
	"CREATE INDEX resource_kind_lookup ON resource (kind, lookup, seq)"
	" WHERE lookup IS NOT NULL;"
	"CREATE TABLE tag ("
	" arn TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" PRIMARY KEY (arn, key)) WITHOUT ROWID;"
	"CREATE TABLE message ("
	" message_id TEXT PRIMARY KEY NOT NULL,"
	" seq INTEGER NOT NULL UNIQUE,"
	" target_arn TEXT NOT NULL,"
	" target_kind INTEGER NOT NULL,"
	" body TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('last_seq', 0);",
	/*
	 * 2: delivery state: when a resource's lookup (an endpoint's token)
	 * last changed, each message's fan-out cursor and dispatched flag, and
	 * the retries waiting for their next attempt.
	 */
	"ALTER TABLE resource ADD COLUMN lookup_ms INTEGER NOT NULL DEFAULT 0;"
	"UPDATE resource SET lookup_ms = created_ms;"
	"ALTER TABLE message ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE message ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE retry ("
	" id INTEGER PRIMARY KEY,"
	" message_id TEXT NOT NULL,"
	" endpoint_arn TEXT NOT NULL,"
	" attempts INTEGER NOT NULL,"
	" next_ms INTEGER NOT NULL,"
	" leased INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX retry_due ON retry (leased, next_ms);"
	"CREATE INDEX retry_message ON retry (message_id);",
};

#define STORE_SCHEMA_VERSION ((int64_t)(sizeof(store_migrations) / sizeof(store_migrations[0])))

#define RES_COLS	"arn, kind, parent, lookup, attrs, secret, seq, created_ms, lookup_ms"
#define MSG_COLS	"message_id, target_arn, target_kind, body, created_ms, seq, cursor, dispatched"
#define MSG_INSERT_COLS "message_id, target_arn, target_kind, body, created_ms, seq"
#define RETRY_COLS	"id, message_id, endpoint_arn, attempts, next_ms"

enum store_stmt {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_SAVEPOINT,
	SQL_RELEASE,
	SQL_ROLLBACK_TO,
	SQL_SEQ_NEXT,
	SQL_SEQ_GET,
	SQL_GET,
	SQL_FIND,
	SQL_EXISTS,
	SQL_INSERT,
	SQL_UPDATE,
	SQL_DELETE,
	SQL_DELETE_TAGS,
	SQL_DELETE_CHILD_TAGS,
	SQL_DELETE_CHILDREN,
	SQL_COUNT,
	SQL_COUNT_ALL,
	SQL_LIST,
	SQL_LIST_ALL,
	SQL_LIST_LOOKUP,
	SQL_TAGS_GET,
	SQL_TAG_INSERT,
	SQL_MSG_INSERT,
	SQL_MSG_GET,
	SQL_MSG_LIST,
	SQL_MSG_DELETE,
	SQL_MSG_PROGRESS,
	SQL_MSG_RELEASE,
	SQL_RETRY_INSERT,
	SQL_RETRY_UPDATE,
	SQL_RETRY_DELETE,
	SQL_RETRY_DUE,
	SQL_RETRY_LEASE,
	SQL_RETRY_NEXT,
	SQL_RETRY_HASTEN,
	SQL_RETRY_COUNT,
	SQL_MSG_LAST_SEQ,
	SQL_COUNT_OF,
};

static const char *const store_sql[SQL_COUNT_OF] = {
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	[SQL_SAVEPOINT] = "SAVEPOINT j",
	[SQL_RELEASE] = "RELEASE j",
	[SQL_ROLLBACK_TO] = "ROLLBACK TO j",
	[SQL_SEQ_NEXT] = "UPDATE meta SET value = value + 1 WHERE key = 'last_seq'",
	[SQL_SEQ_GET] = "SELECT value FROM meta WHERE key = 'last_seq'",
	[SQL_GET] = "SELECT " RES_COLS " FROM resource WHERE arn = ?1",
	[SQL_FIND] = "SELECT " RES_COLS " FROM resource"
		     " WHERE kind = ?1 AND parent = ?2 AND lookup = ?3",
	[SQL_EXISTS] = "SELECT 1 FROM resource WHERE arn = ?1",
	[SQL_INSERT] =
		"INSERT INTO resource (" RES_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	[SQL_UPDATE] = "UPDATE resource SET kind = ?2, parent = ?3,"
		       " lookup_ms = CASE WHEN lookup IS ?4 THEN lookup_ms ELSE ?8 END,"
		       " lookup = ?4, attrs = ?5, secret = ?6 WHERE arn = ?1",
	[SQL_DELETE] = "DELETE FROM resource WHERE arn = ?1",
	[SQL_DELETE_TAGS] = "DELETE FROM tag WHERE arn = ?1",
	[SQL_DELETE_CHILD_TAGS] = "DELETE FROM tag WHERE arn IN"
				  " (SELECT arn FROM resource WHERE kind = ?1 AND parent = ?2)",
	[SQL_DELETE_CHILDREN] = "DELETE FROM resource WHERE kind = ?1 AND parent = ?2",
	[SQL_COUNT] = "SELECT count(*) FROM resource WHERE kind = ?1 AND parent = ?2",
	[SQL_COUNT_ALL] = "SELECT count(*) FROM resource WHERE kind = ?1",
	[SQL_LIST] = "SELECT " RES_COLS " FROM resource"
		     " WHERE kind = ?1 AND parent = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
	[SQL_LIST_ALL] = "SELECT " RES_COLS " FROM resource"
			 " WHERE kind = ?1 AND seq > ?3 ORDER BY seq LIMIT ?4",
	[SQL_LIST_LOOKUP] = "SELECT " RES_COLS " FROM resource"
			    " WHERE kind = ?1 AND lookup = ?2 ORDER BY seq",
	[SQL_TAGS_GET] = "SELECT key, value FROM tag WHERE arn = ?1 ORDER BY key",
	[SQL_TAG_INSERT] = "INSERT INTO tag (arn, key, value) VALUES (?1, ?2, ?3)",
	[SQL_MSG_INSERT] =
		"INSERT INTO message (" MSG_INSERT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQL_MSG_GET] = "SELECT " MSG_COLS " FROM message WHERE message_id = ?1",
	[SQL_MSG_LIST] = "SELECT " MSG_COLS " FROM message WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[SQL_MSG_DELETE] = "DELETE FROM message WHERE message_id = ?1",
	[SQL_MSG_PROGRESS] =
		"UPDATE message SET cursor = ?2, dispatched = ?3 WHERE message_id = ?1",
	[SQL_MSG_RELEASE] = "DELETE FROM message WHERE message_id = ?1 AND dispatched <> 0"
			    " AND NOT EXISTS (SELECT 1 FROM retry WHERE message_id = ?1)",
	[SQL_RETRY_INSERT] = "INSERT INTO retry (message_id, endpoint_arn, attempts, next_ms)"
			     " VALUES (?1, ?2, ?3, ?4)",
	[SQL_RETRY_UPDATE] =
		"UPDATE retry SET attempts = ?2, next_ms = ?3, leased = 0 WHERE id = ?1",
	[SQL_RETRY_DELETE] = "DELETE FROM retry WHERE id = ?1",
	[SQL_RETRY_DUE] = "SELECT " RETRY_COLS " FROM retry WHERE leased = 0 AND next_ms <= ?1"
			  " ORDER BY next_ms LIMIT ?2",
	[SQL_RETRY_LEASE] = "UPDATE retry SET leased = 1 WHERE id = ?1",
	[SQL_RETRY_NEXT] = "SELECT min(next_ms) FROM retry WHERE leased = 0",
	[SQL_RETRY_HASTEN] = "UPDATE retry SET next_ms = ?4 WHERE leased = 0 AND next_ms > ?4"
			     " AND next_ms <= ?3 AND (attempts & ?2) = ?2"
			     " AND substr(endpoint_arn, 1, length(?1)) = ?1",
	[SQL_RETRY_COUNT] = "SELECT count(*) FROM retry",
	[SQL_MSG_LAST_SEQ] = "SELECT max(seq) FROM message",
};

struct store_job {
	struct store_job *next;
	store_job_fn job;
	store_done_fn done;
	void *arg;
	int status;
};

struct store_txn {
	struct store *st;
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL_COUNT_OF];
	bool stmt_busy[SQL_COUNT_OF];
	struct store_txn txn;
	unsigned int max_batch;

	/* Threaded mode only. */
	struct event_base *base;
	struct event *ev;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cond;
	struct store_job *queue, **queue_tail;
	struct store_job *done, **done_tail;
	unsigned int outstanding; /* submitted, completion not yet delivered */
	bool closing;
	uint64_t commits, jobs;
};

/* Log a storage error on what was being done; returns -EIO. */
static int store_fail(struct store *st, const char *what)
{
	log_err("store: %s: %s (%s)", what, sqlite3_errmsg(st->db), st->path);
	return -EIO;
}

/* Borrow the cached statement id (or a one-off copy when it is in use). */
static sqlite3_stmt *store_stmt(struct store *st, enum store_stmt id)
{
	sqlite3_stmt *s = NULL;

	if (st->stmt_busy[id] || !st->stmt[id]) {
		bool cache = !st->stmt_busy[id];

		if (sqlite3_prepare_v3(st->db, store_sql[id], -1,
				       cache ? SQLITE_PREPARE_PERSISTENT : 0, &s,
				       NULL) != SQLITE_OK) {
			sqlite3_finalize(s);
			store_fail(st, "cannot prepare a statement");
			return NULL;
		}
		if (!cache)
			return s;
		st->stmt[id] = s;
	}
	st->stmt_busy[id] = true;
	return st->stmt[id];
}

/* Give back a statement from store_stmt(). */
static void store_unstmt(struct store *st, enum store_stmt id, sqlite3_stmt *s)
{
	if (!s)
		return;
	if (s != st->stmt[id]) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	st->stmt_busy[id] = false;
}

/* Run a statement that returns no rows.  0 or -EIO (logged). */
static int store_exec_stmt(struct store *st, enum store_stmt id, const char *what)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, what);
	store_unstmt(st, id, s);
	return rc;
}

static int store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

/* ---------------------------------------------------------------- groups */

/*
 * Run jobs (a list) in one transaction, setting each one's status.  Store
 * thread (or the caller's thread in synchronous mode).
 */
static void store_run_group(struct store *st, struct store_job *jobs)
{
	struct store_job *j;
	uint64_t njobs = 0;
	bool failed = false;

	if (store_exec_stmt(st, SQL_BEGIN, "cannot begin a transaction") < 0) {
		failed = true;
		goto out;
	}
	for (j = jobs; j; j = j->next) {
		if (store_exec_stmt(st, SQL_SAVEPOINT, "cannot open a savepoint") < 0) {
			failed = true;
			break;
		}
		j->status = j->job(&st->txn, j->arg);
		njobs++;
		/* An I/O error inside the job can make SQLite roll back everything. */
		if (sqlite3_get_autocommit(st->db)) {
			log_err("store: the transaction was rolled back by an error (%s)",
				st->path);
			failed = true;
			break;
		}
		if (j->status != 0 &&
		    store_exec_stmt(st, SQL_ROLLBACK_TO, "cannot roll back a job") < 0) {
			failed = true;
			break;
		}
		if (store_exec_stmt(st, SQL_RELEASE, "cannot release a savepoint") < 0) {
			failed = true;
			break;
		}
	}
	if (!failed && store_exec_stmt(st, SQL_COMMIT, "cannot commit") < 0)
		failed = true;
	if (failed && !sqlite3_get_autocommit(st->db))
		store_exec_stmt(st, SQL_ROLLBACK, "cannot roll back");
out:
	if (failed)
		for (j = jobs; j; j = j->next)
			j->status = STORE_ECOMMIT;
	pthread_mutex_lock(&st->mu);
	st->jobs += njobs;
	if (!failed)
		st->commits++;
	pthread_mutex_unlock(&st->mu);
}

/* Call done() of each job in the list and free them.  Loop thread. */
static unsigned int store_deliver(struct store_job *j)
{
	unsigned int n = 0;

	while (j) {
		struct store_job *next = j->next;

		j->done(j->arg, j->status);
		free(j);
		j = next;
		n++;
	}
	return n;
}

static void store_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	struct store_job *list;
	unsigned int n;

	pthread_mutex_lock(&st->mu);
	list = st->done;
	st->done = NULL;
	st->done_tail = &st->done;
	pthread_mutex_unlock(&st->mu);

	n = store_deliver(list);

	pthread_mutex_lock(&st->mu);
	st->outstanding -= n;
	if (!st->outstanding)
		event_del(st->ev);
	pthread_mutex_unlock(&st->mu);
}

static void *store_thread_main(void *arg)
{
	struct store *st = arg;

	for (;;) {
		struct store_job *group, **tail;
		unsigned int n = 0;

		pthread_mutex_lock(&st->mu);
		while (!st->queue && !st->closing)
			pthread_cond_wait(&st->cond, &st->mu);
		if (!st->queue) {
			pthread_mutex_unlock(&st->mu);
			break;
		}
		group = st->queue;
		tail = &group;
		while (*tail && n < st->max_batch) {
			tail = &(*tail)->next;
			n++;
		}
		st->queue = *tail;
		if (!st->queue)
			st->queue_tail = &st->queue;
		*tail = NULL;
		pthread_mutex_unlock(&st->mu);

		store_run_group(st, group);

		pthread_mutex_lock(&st->mu);
		*st->done_tail = group;
		st->done_tail = tail;
		pthread_mutex_unlock(&st->mu);
		event_active(st->ev, EV_READ, 0);
	}
	return NULL;
}

int store_submit(struct store *st, store_job_fn job, store_done_fn done, void *arg)
{
	static const struct timeval keepalive = {3600, 0};
	struct store_job *j;

	pthread_mutex_lock(&st->mu);
	if (st->closing) {
		pthread_mutex_unlock(&st->mu);
		return -ESHUTDOWN;
	}
	pthread_mutex_unlock(&st->mu);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->job = job;
	j->done = done;
	j->arg = arg;
	if (!st->base) {
		store_run_group(st, j);
		store_deliver(j);
		return 0;
	}
	pthread_mutex_lock(&st->mu);
	if (st->closing) {
		pthread_mutex_unlock(&st->mu);
		free(j);
		return -ESHUTDOWN;
	}
	*st->queue_tail = j;
	st->queue_tail = &j->next;
	if (!st->outstanding++)
		event_add(st->ev, &keepalive);
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

void store_stats(struct store *st, uint64_t *commits, uint64_t *jobs)
{
	pthread_mutex_lock(&st->mu);
	if (commits)
		*commits = st->commits;
	if (jobs)
		*jobs = st->jobs;
	pthread_mutex_unlock(&st->mu);
}

/* ----------------------------------------------------------- open/close */

/* sqlite3_exec with the error logged into *err; 0 or -1. */
static int store_exec(struct store *st, const char *sql, const char *what, char **err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	util_set_err(err, "%s: %s: %s", st->path, what, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* The schema version recorded in the database (0 when none).  0 or -1. */
static int store_schema_version(struct store *st, int64_t *version, char **err)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;

	*version = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
			       &s, NULL) != SQLITE_OK)
		goto fail;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (sqlite3_column_type(s, 0) != SQLITE_INTEGER) {
			util_set_err(err,
				     "%s: the schema version is not a number; not a herald "
				     "database?",
				     st->path);
			goto out;
		}
		*version = sqlite3_column_int64(s, 0);
		break;
	case SQLITE_DONE:
		break;
	default:
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	util_set_err(err, "%s: cannot read the schema version: %s", st->path,
		     sqlite3_errmsg(st->db));
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Bring the schema up to date, one transaction per step, so that a crash in
 * the middle leaves a database at a known version.  0 or -1.
 */
static int store_migrate(struct store *st, char **err)
{
	int64_t version;
	char set[96];

	for (;;) {
		if (store_exec(st, "BEGIN IMMEDIATE", "cannot begin the migration", err) < 0)
			return -1;
		if (store_exec(st, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)",
			       "cannot create the meta table", err) < 0 ||
		    store_schema_version(st, &version, err) < 0)
			goto fail;
		if (version < 0 || version > STORE_SCHEMA_VERSION) {
			util_set_err(err,
				     "%s: the database has schema version %lld but this heraldd "
				     "knows versions up to %lld; use a newer heraldd",
				     st->path, (long long)version, (long long)STORE_SCHEMA_VERSION);
			goto fail;
		}
		if (version == STORE_SCHEMA_VERSION)
			break;
		snprintf(set, sizeof(set),
			 "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', %lld)",
			 (long long)version + 1);
		if (store_exec(st, store_migrations[version], "cannot migrate the schema", err) <
			    0 ||
		    store_exec(st, set, "cannot record the schema version", err) < 0 ||
		    store_exec(st, "COMMIT", "cannot commit the migration", err) < 0)
			goto fail;
		log_info("store: %s migrated to schema version %lld", st->path,
			 (long long)version + 1);
	}
	/*
	 * The counter must stay above every seq in use, even if someone
	 * edited the database by hand.
	 */
	if (store_exec(st,
		       "UPDATE meta SET value = max(value,"
		       " (SELECT coalesce(max(seq), 0) FROM resource),"
		       " (SELECT coalesce(max(seq), 0) FROM message)) WHERE key = 'last_seq'",
		       "cannot check the sequence counter", err) < 0 ||
	    store_exec(st, "UPDATE retry SET leased = 0 WHERE leased <> 0",
		       "cannot clear the leases of retries", err) < 0 ||
	    store_exec(st, "COMMIT", "cannot commit", err) < 0)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int store_configure(struct store *st, enum store_durability durability, char **err)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int rc = -1;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		util_set_err(err, "cannot open database %s: %s", st->path, sqlite3_errmsg(st->db));
		goto out;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcmp(mode, "wal")) {
		util_set_err(err, "cannot open database %s: cannot switch to WAL mode (got %s)",
			     st->path, mode ? mode : "nothing");
		goto out;
	}
	if (store_exec(st,
		       durability == STORE_DURABILITY_FULL ? "PRAGMA synchronous = FULL"
							   : "PRAGMA synchronous = NORMAL",
		       "cannot set the durability", err) < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = OFF", "cannot configure", err) < 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static void store_free(struct store *st)
{
	size_t i;

	for (i = 0; i < SQL_COUNT_OF; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db && sqlite3_close(st->db) != SQLITE_OK)
		log_err("store: closing %s: %s", st->path, sqlite3_errmsg(st->db));
	if (st->ev)
		event_free(st->ev);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->mu);
	free(st->path);
	free(st);
}

struct store *store_open(const struct store_conf *conf, struct event_base *base, char **err)
{
	struct store *st;
	sigset_t all, old;
	int rc, fd;

	if (err)
		*err = NULL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		util_set_err(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->queue_tail = &st->queue;
	st->done_tail = &st->done;
	st->txn.st = st;
	st->base = base;
	st->max_batch = conf->max_batch ? conf->max_batch : STORE_DEFAULT_BATCH;
	st->path = strdup(conf->db_path ? conf->db_path : "");
	if (!st->path) {
		util_set_err(err, "out of memory");
		goto fail;
	}
	if (!conf->db_path || !*conf->db_path) {
		util_set_err(err, "no database path configured");
		goto fail;
	}
	/*
	 * The database holds device tokens and sealed credentials: create it
	 * 0600 ourselves (SQLite would use 0644), and SQLite gives its -wal
	 * and -shm files the same mode.
	 */
	fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0)
		close(fd);
	rc = sqlite3_open_v2(st->path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		util_set_err(err, "cannot open database %s: %s", st->path,
			     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	if (store_configure(st, conf->durability, err) < 0 || store_migrate(st, err) < 0)
		goto fail;
	if (!base)
		return st;
	st->ev = event_new(base, -1, EV_PERSIST, store_on_done, st);
	if (!st->ev) {
		util_set_err(err, "cannot create the store's completion event");
		goto fail;
	}
	/* Signals are for the loop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->thread, NULL, store_thread_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		util_set_err(err, "cannot start the store thread: %s", strerror(rc));
		goto fail;
	}
	st->thread_started = true;
	return st;
fail:
	store_free(st);
	return NULL;
}

void store_close(struct store *st)
{
	struct store_job *list;

	if (!st)
		return;
	pthread_mutex_lock(&st->mu);
	st->closing = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->mu);
	if (st->thread_started)
		pthread_join(st->thread, NULL);
	/* The thread has finished; whatever it completed is delivered here. */
	list = st->done;
	st->done = NULL;
	st->done_tail = &st->done;
	store_deliver(list);
	store_free(st);
}

/* --------------------------------------------------------------- records */

void store_rec_clear(struct store_rec *rec)
{
	if (!rec)
		return;
	free(rec->arn);
	free(rec->parent);
	free(rec->lookup);
	json_decref(rec->attrs);
	free(rec->secret);
	memset(rec, 0, sizeof(*rec));
}

void store_msg_clear(struct store_msg *msg)
{
	if (!msg)
		return;
	free(msg->message_id);
	free(msg->target_arn);
	json_decref(msg->body);
	memset(msg, 0, sizeof(*msg));
}

static char *store_col_strdup(sqlite3_stmt *s, int col, bool *oom)
{
	const char *v = (const char *)sqlite3_column_text(s, col);
	char *copy;

	if (!v)
		return NULL;
	copy = strdup(v);
	if (!copy)
		*oom = true;
	return copy;
}

/* Parse stored JSON; NULL (logged) if the database holds something else. */
static json_t *store_col_json(struct store *st, sqlite3_stmt *s, int col, bool want_object,
			      const char *owner)
{
	const char *text = (const char *)sqlite3_column_text(s, col);
	json_error_t jerr;
	json_t *v;

	if (!text) {
		log_err("store: %s has no JSON (%s)", owner ? owner : "a row", st->path);
		return NULL;
	}
	/* Message bodies may hold NUL characters (SNS accepts them); jansson writes them as \u0000. */
	v = json_loadb(text, (size_t)sqlite3_column_bytes(s, col), JSON_DECODE_ANY | JSON_ALLOW_NUL,
		       &jerr);
	if (!v) {
		log_err("store: %s has invalid JSON: %s (%s)", owner ? owner : "a row", jerr.text,
			st->path);
		return NULL;
	}
	if (want_object && !json_is_object(v)) {
		log_err("store: %s has attributes that are not an object (%s)",
			owner ? owner : "a row", st->path);
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Fill out from the current row of a RES_COLS statement.  0, -ENOMEM or -EIO. */
static int store_read_rec(struct store *st, sqlite3_stmt *s, struct store_rec *out)
{
	bool oom = false;
	const void *blob;
	int kind;

	memset(out, 0, sizeof(*out));
	out->arn = store_col_strdup(s, 0, &oom);
	kind = sqlite3_column_int(s, 1);
	out->kind = (enum store_kind)kind;
	out->parent = store_col_strdup(s, 2, &oom);
	out->lookup = store_col_strdup(s, 3, &oom);
	if (oom || !out->arn || !out->parent)
		goto bad;
	if (kind < STORE_APP || kind > STORE_SUBSCRIPTION) {
		log_err("store: %s has unknown kind %d (%s)", out->arn, kind, st->path);
		goto bad;
	}
	out->attrs = store_col_json(st, s, 4, true, out->arn);
	if (!out->attrs)
		goto bad;
	if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
		size_t len = (size_t)sqlite3_column_bytes(s, 5);

		blob = sqlite3_column_blob(s, 5);
		out->secret = malloc(len ? len : 1);
		if (!out->secret) {
			oom = true;
			goto bad;
		}
		if (len)
			memcpy(out->secret, blob, len);
		out->secret_len = len;
	}
	out->seq = sqlite3_column_int64(s, 6);
	out->created_ms = sqlite3_column_int64(s, 7);
	out->lookup_ms = sqlite3_column_int64(s, 8);
	return 0;
bad:
	if (!oom && (!out->arn || !out->parent))
		log_err("store: a resource row has a NULL arn or parent (%s)", st->path);
	store_rec_clear(out);
	return oom ? -ENOMEM : -EIO;
}

/* Step a statement expected to give at most one record. */
static int store_one_rec(struct store *st, sqlite3_stmt *s, struct store_rec *out)
{
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		return store_read_rec(st, s, out);
	case SQLITE_DONE:
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	default:
		return store_fail(st, "cannot read a resource");
	}
}

int store_get(struct store_txn *txn, const char *arn, struct store_rec *out)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EIO;
	store_bind_text(s, 1, arn);
	rc = store_one_rec(st, s, out);
	store_unstmt(st, SQL_GET, s);
	return rc;
}

int store_find(struct store_txn *txn, enum store_kind kind, const char *parent, const char *lookup,
	       struct store_rec *out)
{
	struct store *st = txn->st;
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!lookup)
		return -ENOENT;
	s = store_stmt(st, SQL_FIND);
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)kind);
	store_bind_text(s, 2, parent ? parent : "");
	store_bind_text(s, 3, lookup);
	rc = store_one_rec(st, s, out);
	store_unstmt(st, SQL_FIND, s);
	return rc;
}

/* The next sequence number; never one given before, even across deletes. */
static int store_next_seq(struct store *st, int64_t *seq)
{
	sqlite3_stmt *s;
	int rc;

	rc = store_exec_stmt(st, SQL_SEQ_NEXT, "cannot advance the sequence");
	if (rc < 0)
		return rc;
	if (sqlite3_changes(st->db) != 1) {
		log_err("store: the sequence counter is missing (%s)", st->path);
		return -EIO;
	}
	s = store_stmt(st, SQL_SEQ_GET);
	if (!s)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
		*seq = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_fail(st, "cannot read the sequence");
	}
	store_unstmt(st, SQL_SEQ_GET, s);
	return rc;
}

/* Step a write; SQLITE_CONSTRAINT_UNIQUE means a lookup (or id) already taken. */
static int store_step_write(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	return store_fail(st, what);
}

int store_put(struct store_txn *txn, const struct store_rec *rec)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = NULL;
	enum store_stmt id;
	char *attrs = NULL;
	bool exists;
	int64_t seq = 0;
	int rc;

	if (!rec || !rec->arn || rec->kind < STORE_APP || rec->kind > STORE_SUBSCRIPTION ||
	    (rec->attrs && !json_is_object(rec->attrs)))
		return -EINVAL;
	s = store_stmt(st, SQL_EXISTS);
	if (!s)
		return -EIO;
	store_bind_text(s, 1, rec->arn);
	rc = sqlite3_step(s);
	exists = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = store_fail(st, "cannot read a resource");
	else
		rc = 0;
	store_unstmt(st, SQL_EXISTS, s);
	if (rc < 0)
		return rc;
	attrs = rec->attrs ? json_dumps(rec->attrs, JSON_COMPACT) : strdup("{}");
	if (!attrs)
		return -ENOMEM;
	if (!exists) {
		rc = store_next_seq(st, &seq);
		if (rc < 0)
			goto out;
	}
	id = exists ? SQL_UPDATE : SQL_INSERT;
	s = store_stmt(st, id);
	if (!s) {
		rc = -EIO;
		goto out;
	}
	store_bind_text(s, 1, rec->arn);
	sqlite3_bind_int(s, 2, (int)rec->kind);
	store_bind_text(s, 3, rec->parent ? rec->parent : "");
	store_bind_text(s, 4, rec->lookup);
	store_bind_text(s, 5, attrs);
	if (rec->secret)
		sqlite3_bind_blob64(s, 6, rec->secret, rec->secret_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	if (!exists)
		sqlite3_bind_int64(s, 7, seq);
	sqlite3_bind_int64(s, 8, util_now_ms());
	rc = store_step_write(st, s, "cannot write a resource");
	store_unstmt(st, id, s);
out:
	free(attrs);
	return rc;
}

/* Run a statement bound to one ARN; the number of rows it changed in *n. */
static int store_exec_arn(struct store *st, enum store_stmt id, const char *arn, int *n)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (!s)
		return -EIO;
	store_bind_text(s, 1, arn);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "cannot delete");
	if (n)
		*n = sqlite3_changes(st->db);
	store_unstmt(st, id, s);
	return rc;
}

int store_delete(struct store_txn *txn, const char *arn)
{
	struct store *st = txn->st;
	int n = 0, rc;

	rc = store_exec_arn(st, SQL_DELETE, arn, &n);
	if (rc < 0)
		return rc;
	if (!n)
		return -ENOENT;
	return store_exec_arn(st, SQL_DELETE_TAGS, arn, NULL);
}

/* Bind (kind, parent) to ?1 ?2 of id and run it; changes in *n. */
static int store_exec_kind_parent(struct store *st, enum store_stmt id, enum store_kind kind,
				  const char *parent, uint64_t *n)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)kind);
	store_bind_text(s, 2, parent ? parent : "");
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "cannot delete");
	if (n)
		*n = (uint64_t)sqlite3_changes(st->db);
	store_unstmt(st, id, s);
	return rc;
}

int store_delete_children(struct store_txn *txn, enum store_kind kind, const char *parent,
			  uint64_t *n)
{
	struct store *st = txn->st;
	int rc;

	if (n)
		*n = 0;
	rc = store_exec_kind_parent(st, SQL_DELETE_CHILD_TAGS, kind, parent, NULL);
	if (rc < 0)
		return rc;
	return store_exec_kind_parent(st, SQL_DELETE_CHILDREN, kind, parent, n);
}

int store_count(struct store_txn *txn, enum store_kind kind, const char *parent, uint64_t *n)
{
	struct store *st = txn->st;
	enum store_stmt id = parent ? SQL_COUNT : SQL_COUNT_ALL;
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)kind);
	if (parent)
		store_bind_text(s, 2, parent);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = store_fail(st, "cannot count");
	}
	store_unstmt(st, id, s);
	return rc;
}

/* Walk the records a bound RES_COLS statement yields. */
static int store_walk(struct store *st, sqlite3_stmt *s, store_list_cb cb, void *arg)
{
	struct store_rec rec;
	int rc;

	for (;;) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return store_fail(st, "cannot list resources");
		rc = store_read_rec(st, s, &rec);
		if (rc < 0)
			return rc;
		rc = cb(&rec, arg);
		store_rec_clear(&rec);
		if (rc)
			return rc;
	}
}

int store_list(struct store_txn *txn, enum store_kind kind, const char *parent, int64_t after_seq,
	       unsigned int limit, store_list_cb cb, void *arg)
{
	struct store *st = txn->st;
	enum store_stmt id = parent ? SQL_LIST : SQL_LIST_ALL;
	sqlite3_stmt *s = store_stmt(st, id);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)kind);
	if (parent)
		store_bind_text(s, 2, parent);
	sqlite3_bind_int64(s, 3, after_seq);
	sqlite3_bind_int64(s, 4, limit ? (sqlite3_int64)limit : -1);
	rc = store_walk(st, s, cb, arg);
	store_unstmt(st, id, s);
	return rc;
}

int store_list_by_lookup(struct store_txn *txn, enum store_kind kind, const char *lookup,
			 store_list_cb cb, void *arg)
{
	struct store *st = txn->st;
	sqlite3_stmt *s;
	int rc;

	if (!lookup)
		return 0;
	s = store_stmt(st, SQL_LIST_LOOKUP);
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)kind);
	store_bind_text(s, 2, lookup);
	rc = store_walk(st, s, cb, arg);
	store_unstmt(st, SQL_LIST_LOOKUP, s);
	return rc;
}

/* ------------------------------------------------------------------ tags */

int store_tags_get(struct store_txn *txn, const char *arn, json_t **out)
{
	struct store *st = txn->st;
	sqlite3_stmt *s;
	json_t *obj;
	int rc;

	*out = NULL;
	obj = json_object();
	if (!obj)
		return -ENOMEM;
	s = store_stmt(st, SQL_TAGS_GET);
	if (!s) {
		json_decref(obj);
		return -EIO;
	}
	store_bind_text(s, 1, arn);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);

		if (!k || !v) {
			rc = SQLITE_MISMATCH;
			break;
		}
		if (json_object_set_new(obj, k, json_string(v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (rc == SQLITE_DONE) {
		*out = obj;
		obj = NULL;
		rc = 0;
	} else if (rc == SQLITE_NOMEM) {
		rc = -ENOMEM;
	} else if (rc == SQLITE_MISMATCH) {
		log_err("store: a tag of %s is not valid text (%s)", arn, st->path);
		rc = -EIO;
	} else {
		rc = store_fail(st, "cannot read tags");
	}
	store_unstmt(st, SQL_TAGS_GET, s);
	json_decref(obj);
	return rc;
}

int store_tags_set(struct store_txn *txn, const char *arn, json_t *obj)
{
	struct store *st = txn->st;
	const char *key;
	json_t *value;
	int rc;

	if (!arn || !json_is_object(obj))
		return -EINVAL;
	json_object_foreach (obj, key, value)
		if (!json_is_string(value))
			return -EINVAL;
	rc = store_exec_arn(st, SQL_DELETE_TAGS, arn, NULL);
	if (rc < 0)
		return rc;
	json_object_foreach (obj, key, value) {
		sqlite3_stmt *s = store_stmt(st, SQL_TAG_INSERT);

		if (!s)
			return -EIO;
		store_bind_text(s, 1, arn);
		store_bind_text(s, 2, key);
		store_bind_text(s, 3, json_string_value(value));
		rc = store_step_write(st, s, "cannot write a tag");
		store_unstmt(st, SQL_TAG_INSERT, s);
		if (rc < 0)
			return rc == -EEXIST ? -EIO : rc;
	}
	return 0;
}

/* -------------------------------------------------------------- messages */

int store_msg_put(struct store_txn *txn, struct store_msg *msg)
{
	struct store *st = txn->st;
	sqlite3_stmt *s;
	char *body;
	int64_t seq;
	int rc;

	if (!msg || !msg->message_id || !msg->target_arn || !msg->body ||
	    (msg->target_kind != STORE_ENDPOINT && msg->target_kind != STORE_TOPIC))
		return -EINVAL;
	body = json_dumps(msg->body, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!body)
		return -ENOMEM;
	rc = store_next_seq(st, &seq);
	if (rc < 0)
		goto out;
	if (!msg->created_ms)
		msg->created_ms = util_now_ms();
	s = store_stmt(st, SQL_MSG_INSERT);
	if (!s) {
		rc = -EIO;
		goto out;
	}
	store_bind_text(s, 1, msg->message_id);
	store_bind_text(s, 2, msg->target_arn);
	sqlite3_bind_int(s, 3, (int)msg->target_kind);
	store_bind_text(s, 4, body);
	sqlite3_bind_int64(s, 5, msg->created_ms);
	sqlite3_bind_int64(s, 6, seq);
	rc = store_step_write(st, s, "cannot write a message");
	store_unstmt(st, SQL_MSG_INSERT, s);
	if (!rc)
		msg->seq = seq;
out:
	free(body);
	return rc;
}

/* Fill out from the current row of a MSG_COLS statement.  0, -ENOMEM or -EIO. */
static int store_read_msg(struct store *st, sqlite3_stmt *s, struct store_msg *out)
{
	bool oom = false;
	int kind;

	memset(out, 0, sizeof(*out));
	out->message_id = store_col_strdup(s, 0, &oom);
	out->target_arn = store_col_strdup(s, 1, &oom);
	kind = sqlite3_column_int(s, 2);
	out->target_kind = (enum store_kind)kind;
	out->created_ms = sqlite3_column_int64(s, 4);
	out->seq = sqlite3_column_int64(s, 5);
	out->cursor = sqlite3_column_int64(s, 6);
	out->dispatched = sqlite3_column_int(s, 7) != 0;
	if (oom)
		goto fail;
	if (!out->message_id || !out->target_arn ||
	    (kind != STORE_ENDPOINT && kind != STORE_TOPIC)) {
		log_err("store: a message row is damaged (%s)", st->path);
		goto fail;
	}
	out->body = store_col_json(st, s, 3, false, out->message_id);
	if (!out->body)
		goto fail;
	return 0;
fail:
	store_msg_clear(out);
	return oom ? -ENOMEM : -EIO;
}

int store_msg_get(struct store_txn *txn, const char *message_id, struct store_msg *out)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_MSG_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EIO;
	store_bind_text(s, 1, message_id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = store_read_msg(st, s, out);
		break;
	case SQLITE_DONE:
		rc = -ENOENT;
		break;
	default:
		rc = store_fail(st, "cannot read a message");
	}
	store_unstmt(st, SQL_MSG_GET, s);
	return rc;
}

int store_msg_list(struct store_txn *txn, int64_t after_seq, unsigned int limit, store_msg_cb cb,
		   void *arg)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_MSG_LIST);
	struct store_msg msg;
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, after_seq);
	sqlite3_bind_int64(s, 2, limit ? (sqlite3_int64)limit : -1);
	for (;;) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			rc = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			rc = store_fail(st, "cannot list messages");
			break;
		}
		rc = store_read_msg(st, s, &msg);
		if (rc < 0)
			break;
		rc = cb(&msg, arg);
		store_msg_clear(&msg);
		if (rc)
			break;
	}
	store_unstmt(st, SQL_MSG_LIST, s);
	return rc;
}

int store_msg_delete(struct store_txn *txn, const char *message_id)
{
	int n = 0, rc;

	rc = store_exec_arn(txn->st, SQL_MSG_DELETE, message_id, &n);
	if (rc < 0)
		return rc;
	return n ? 0 : -ENOENT;
}

int store_msg_progress(struct store_txn *txn, const char *message_id, int64_t cursor,
		       bool dispatched)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_MSG_PROGRESS);
	int rc;

	if (!s)
		return -EIO;
	store_bind_text(s, 1, message_id);
	sqlite3_bind_int64(s, 2, cursor);
	sqlite3_bind_int(s, 3, dispatched);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0
					    : store_fail(st, "cannot record a message's progress");
	if (!rc && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	store_unstmt(st, SQL_MSG_PROGRESS, s);
	return rc;
}

int store_msg_release(struct store_txn *txn, const char *message_id, bool *deleted)
{
	int n = 0, rc;

	rc = store_exec_arn(txn->st, SQL_MSG_RELEASE, message_id, &n);
	if (deleted)
		*deleted = rc == 0 && n > 0;
	return rc;
}

/* ---------------------------------------------------------------- retries */

void store_retry_clear(struct store_retry *r)
{
	if (!r)
		return;
	free(r->message_id);
	free(r->endpoint_arn);
	memset(r, 0, sizeof(*r));
}

int store_retry_put(struct store_txn *txn, struct store_retry *r)
{
	struct store *st = txn->st;
	enum store_stmt id = r->id ? SQL_RETRY_UPDATE : SQL_RETRY_INSERT;
	sqlite3_stmt *s;
	int rc;

	if (!r->id && (!r->message_id || !r->endpoint_arn))
		return -EINVAL;
	s = store_stmt(st, id);
	if (!s)
		return -EIO;
	if (r->id) {
		sqlite3_bind_int64(s, 1, r->id);
		sqlite3_bind_int64(s, 2, r->attempts);
		sqlite3_bind_int64(s, 3, r->next_ms);
	} else {
		store_bind_text(s, 1, r->message_id);
		store_bind_text(s, 2, r->endpoint_arn);
		sqlite3_bind_int64(s, 3, r->attempts);
		sqlite3_bind_int64(s, 4, r->next_ms);
	}
	rc = store_step_write(st, s, "cannot write a retry");
	if (!rc && !r->id)
		r->id = sqlite3_last_insert_rowid(st->db);
	else if (!rc && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	store_unstmt(st, id, s);
	return rc == -EEXIST ? -EIO : rc;
}

int store_retry_delete(struct store_txn *txn, int64_t id)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_RETRY_DELETE);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "cannot delete a retry");
	if (!rc && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	store_unstmt(st, SQL_RETRY_DELETE, s);
	return rc;
}

/* One int64 from a statement without parameters; NULL gives dflt. */
static int store_int64(struct store *st, enum store_stmt id, int64_t dflt, int64_t *out)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int rc = 0;

	if (!s)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_type(s, 0) == SQLITE_NULL ? dflt : sqlite3_column_int64(s, 0);
	else
		rc = store_fail(st, "cannot read the retries");
	store_unstmt(st, id, s);
	return rc;
}

/* Lease retry id (so that store_retry_due() does not return it again). */
static int store_retry_lease(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, SQL_RETRY_LEASE);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "cannot lease a retry");
	store_unstmt(st, SQL_RETRY_LEASE, s);
	return rc;
}

/*
 * The rows are read first and leased after the SELECT is done: changing
 * "leased" moves a row in the index the SELECT walks.
 */
int store_retry_due(struct store_txn *txn, int64_t now_ms, unsigned int limit, store_retry_cb cb,
		    void *arg, int64_t *next_ms)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_RETRY_DUE);
	struct store_retry *rows = NULL, *r;
	size_t n = 0, cap = 0;
	bool oom = false;
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, limit ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct store_retry *bigger;

			cap = cap ? cap * 2 : 64;
			bigger = realloc(rows, cap * sizeof(*rows));
			if (!bigger) {
				oom = true;
				break;
			}
			rows = bigger;
		}
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(s, 0);
		r->message_id = store_col_strdup(s, 1, &oom);
		r->endpoint_arn = store_col_strdup(s, 2, &oom);
		r->attempts = (unsigned int)sqlite3_column_int64(s, 3);
		r->next_ms = sqlite3_column_int64(s, 4);
		if (oom || !r->message_id || !r->endpoint_arn)
			break;
	}
	if (oom)
		rc = -ENOMEM;
	else if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc == SQLITE_ROW)
		rc = store_fail(st, "a retry row is damaged");
	else
		rc = store_fail(st, "cannot list retries");
	store_unstmt(st, SQL_RETRY_DUE, s);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = store_retry_lease(st, rows[i].id);
		if (!rc)
			rc = cb(&rows[i], arg);
	}
	for (size_t i = 0; i < n; i++)
		store_retry_clear(&rows[i]);
	free(rows);
	if (rc)
		return rc;
	return store_int64(st, SQL_RETRY_NEXT, INT64_MAX, next_ms);
}

int store_retry_hasten(struct store_txn *txn, const char *endpoint_prefix, unsigned int flags,
		       int64_t until_ms, int64_t now_ms, unsigned int *n)
{
	struct store *st = txn->st;
	sqlite3_stmt *s = store_stmt(st, SQL_RETRY_HASTEN);
	int rc;

	*n = 0;
	if (!s)
		return -EIO;
	store_bind_text(s, 1, endpoint_prefix);
	sqlite3_bind_int64(s, 2, flags);
	sqlite3_bind_int64(s, 3, until_ms);
	sqlite3_bind_int64(s, 4, now_ms);
	rc = store_step_write(st, s, "cannot reschedule retries");
	if (!rc)
		*n = (unsigned int)sqlite3_changes(st->db);
	store_unstmt(st, SQL_RETRY_HASTEN, s);
	return rc == -EEXIST ? -EIO : rc;
}

int store_retry_count(struct store_txn *txn, uint64_t *n)
{
	int64_t v = 0;
	int rc = store_int64(txn->st, SQL_RETRY_COUNT, 0, &v);

	*n = (uint64_t)v;
	return rc;
}

int store_msg_last_seq(struct store_txn *txn, int64_t *seq)
{
	*seq = 0;
	return store_int64(txn->st, SQL_MSG_LAST_SEQ, 0, seq);
}
