/*
 * The native front-end in isolation: front_native_start() on an event loop
 * running in a second thread, with a scripted api in place of api.c (this
 * file defines api_call(), so the real one is not linked), driven by
 * libherald and by raw hostile bytes.  The scripted api can hold answers and
 * release them later, which is how asynchronous answers, backpressure and
 * clients that leave with requests in flight are tested.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <msgpack.h>

#include "broker/front_native.h"
#include "common/frame.h"
#include "herald/client.h"
#include "tests/integration/native_raw.h"
#include "tests/unit/fixture.h"

#define MAX_HELD 4096

static char dir[256];
static struct conf conf;

/* ---- the scripted api (loop thread only) ---- */

struct held {
	api_reply_fn reply;
	void *arg;
	json_t *args;
};

static struct {
	struct held held[MAX_HELD];
	int nheld;
	struct front_native *fn;
} fake;

static void release_all(void)
{
	int n = fake.nheld;
	struct held *batch = malloc(sizeof(*batch) * (size_t)(n ? n : 1));

	/*
	 * Answers resume paused connections, whose next requests may be held
	 * at once: work on a copy.  Answers may also be for connections that
	 * are gone: that is the point.
	 */
	memcpy(batch, fake.held, sizeof(*batch) * (size_t)n);
	fake.nheld = 0;
	for (int i = 0; i < n; i++) {
		batch[i].reply(batch[i].arg, batch[i].args, NULL);
		json_decref(batch[i].args);
	}
	free(batch);
}

void api_call(struct api *api, enum op_role role, const char *op, json_t *args, api_reply_fn reply,
	      void *arg)
{
	struct op_error err = {0};
	json_t *r = NULL;

	if (!strcmp(op, "Echo")) {
		reply(arg, args, NULL);
		return;
	}
	if (!strcmp(op, "Hold") && fake.nheld < MAX_HELD) {
		fake.held[fake.nheld].reply = reply;
		fake.held[fake.nheld].arg = arg;
		fake.held[fake.nheld].args = json_incref(args);
		fake.nheld++;
		return;
	}
	if (!strcmp(op, "Release")) {
		int n = fake.nheld;

		release_all();
		r = json_pack("{s:i}", "released", n);
	} else if (!strcmp(op, "Stats")) {
		r = json_pack("{s:i, s:i}", "in_flight", (int)front_native_in_flight(fake.fn),
			      "held", fake.nheld);
	} else if (!strcmp(op, "Whoami")) {
		r = json_pack("{s:i}", "role", (int)role);
	} else if (!strcmp(op, "Access")) {
		/* {"list": "publish_users", "id": 65534}: that one list holds just id */
		static unsigned int id;
		static struct conf c2;
		const char *list = json_string_value(json_object_get(args, "list"));

		id = (unsigned int)json_integer_value(json_object_get(args, "id"));
		c2 = conf;
		c2.admin_users = c2.admin_groups = (struct conf_idlist){0, NULL};
		c2.publish_users = c2.publish_groups = (struct conf_idlist){0, NULL};
		if (list && !strcmp(list, "admin_groups"))
			c2.admin_groups = (struct conf_idlist){1, &id};
		else if (list && !strcmp(list, "publish_users"))
			c2.publish_users = (struct conf_idlist){1, &id};
		else if (list && !strcmp(list, "publish_groups"))
			c2.publish_groups = (struct conf_idlist){1, &id};
		front_native_set_conf(fake.fn, &c2);
		r = json_object();
	} else if (!strcmp(op, "Quiesce")) {
		front_native_quiesce(fake.fn);
		release_all();
		r = json_object();
	}
	if (r) {
		reply(arg, r, NULL);
		json_decref(r);
		return;
	}
	op_fail(&err, "InvalidAction", 400, "The action %s is not valid for this web service.", op);
	reply(arg, NULL, &err);
}

/* ---- the loop thread ---- */

static struct event_base *base;
static pthread_t loop_thread;

static void *loop_main(void *arg)
{
	event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	front_native_free(fake.fn);
	fake.fn = NULL;
	release_all();
	event_base_loopbreak(base);
}

static void remove_dir(void)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/stale.sock", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	rmdir(dir);
}

static int suite_init(void)
{
	const char *tmp = getenv("TMPDIR");
	char *err = NULL;

	snprintf(dir, sizeof(dir), "%s/herald-fn-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	if (asprintf(&conf.socket_path, "%s/run/heraldd.sock", dir) < 0)
		return -1;
	conf.socket_mode = 0660;
	conf.max_frame = 4096;
	conf.max_clients = 8;
	/* the main thread schedules the shutdown into the loop thread */
	evthread_use_pthreads();
	base = event_base_new();
	fake.fn = front_native_start(base, NULL, &conf, &err);
	if (!fake.fn) {
		fprintf(stderr, "front_native_start: %s\n", err);
		free(err);
		return -1;
	}
	return pthread_create(&loop_thread, NULL, loop_main, NULL) ? -1 : 0;
}

static int suite_clean(void)
{
	event_base_once(base, -1, EV_TIMEOUT, stop_cb, NULL, NULL);
	pthread_join(loop_thread, NULL);
	event_base_free(base);
	remove_dir();
	free(conf.socket_path);
	return 0;
}

/* ---- helpers ---- */

static struct herald *client(void)
{
	return lib_connect(conf.socket_path);
}

static int stat_int(const char *key)
{
	struct herald *h = client();
	struct herald_error e;
	json_t *r = lib_call(h, "Stats", NULL, &e);
	int v = (int)json_integer_value(json_object_get(r, key));

	json_decref(r);
	herald_close(h);
	return v;
}

/* Wait (bounded) until Stats reports key == want. */
static int await_stat(const char *key, int want)
{
	for (int i = 0; i < 5000; i++) {
		if (stat_int(key) == want)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* A valid Echo on the raw socket still gets its answer. */
static void expect_raw_works(int fd, uint32_t id)
{
	unsigned char req[32];
	size_t n = 0;
	json_t *a;

	req[n++] = 0x83;
	memcpy(req + n, "\xa2id\xce", 4);
	n += 4;
	frame_put_header(req + n, id); /* big-endian uint32 */
	n += 4;
	memcpy(req + n,
	       "\xa2op\xa4"
	       "Echo\xa4"
	       "args\x81\xa1k\xa1v",
	       18);
	n += 18;
	raw_send(fd, req, n, (uint32_t)n);
	a = raw_recv(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), id);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(a, "result"), "k")), "v");
	json_decref(a);
}

/* ---- tests ---- */

static void test_call_and_result(void)
{
	struct herald *h = client();
	struct herald_error e;
	json_t *r = lib_call(
		h, "Echo", "{\"Name\":\"t\",\"Attributes\":{\"a\":\"1\"},\"n\":[1,2.5,null,true]}",
		&e);
	json_t *want = json_loads(
		"{\"Name\":\"t\",\"Attributes\":{\"a\":\"1\"},\"n\":[1,2.5,null,true]}", 0, NULL);

	CU_ASSERT_TRUE(json_equal(r, want));
	json_decref(r);
	json_decref(want);
	/* our own user administers */
	r = lib_call(h, "Whoami", NULL, &e);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "role")), OP_ROLE_ADMIN);
	json_decref(r);
	herald_close(h);
}

static void test_api_error(void)
{
	struct herald *h = client();
	struct herald_error e;
	char *out = NULL;

	CU_ASSERT_EQUAL(herald_call(h, "Nope", "{}", &out, &e), HERALD_EAPI);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_STRING_EQUAL(e.code, "InvalidAction");
	CU_ASSERT_EQUAL(e.status, 400);
	CU_ASSERT_STRING_EQUAL(e.message, "The action Nope is not valid for this web service.");
	/* a bad argument text is refused before anything is sent; the connection stays usable */
	CU_ASSERT_EQUAL(herald_call(h, "Echo", "[1]", &out, &e), HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "InvalidRequest");
	CU_ASSERT_STRING_EQUAL(e.message, "The arguments must be a JSON object");
	CU_ASSERT_EQUAL(herald_call(h, "Echo", "{\"a\":", &out, &e), HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "InvalidRequest");
	CU_ASSERT_EQUAL(herald_call(h, "Echo", NULL, &out, &e), 0);
	CU_ASSERT_STRING_EQUAL(out, "{}");
	free(out);
	herald_close(h);
}

static void test_pipelining(void)
{
	struct herald *h = client();
	struct herald_error e;
	static uint32_t ids[1000];
	static char seen[1000];
	char args[64], *out;
	uint32_t id;

	for (int i = 0; i < 1000; i++) {
		snprintf(args, sizeof(args), "{\"n\":%d}", i);
		CU_ASSERT_EQUAL_FATAL(herald_send(h, i % 5 ? "Echo" : "Hold", args, &ids[i], &e),
				      0);
	}
	CU_ASSERT_EQUAL(herald_pending(h), 1000);
	/* most are answered at once, a fifth when released from another connection */
	CU_ASSERT_TRUE(await_stat("held", 200));
	{
		struct herald *r = client();
		json_t *x = lib_call(r, "Release", NULL, &e);

		CU_ASSERT_EQUAL(json_integer_value(json_object_get(x, "released")), 200);
		json_decref(x);
		herald_close(r);
	}
	for (int i = 0; i < 1000; i++) {
		json_t *j;
		int n;

		out = NULL;
		CU_ASSERT_EQUAL_FATAL(herald_recv(h, &id, &out, &e), 0);
		j = json_loads(out, 0, NULL);
		n = (int)json_integer_value(json_object_get(j, "n"));
		CU_ASSERT_TRUE(n >= 0 && n < 1000 && ids[n] == id && !seen[n]);
		if (n >= 0 && n < 1000)
			seen[n] = 1;
		json_decref(j);
		free(out);
	}
	CU_ASSERT_EQUAL(herald_pending(h), 0);
	CU_ASSERT_EQUAL(memchr(seen, 0, sizeof(seen)), NULL);
	herald_close(h);
}

static void test_malformed_frames(void)
{
	int fd = raw_connect(conf.socket_path);
	static const unsigned char arr[] = {0x92, 0x01, 0x02};
	static const unsigned char noid[] = {0x81, 0xa2, 'o', 'p', 0xa4, 'E', 'c', 'h', 'o'};
	static const unsigned char strid[] = {0x81, 0xa2, 'i', 'd', 0xa1, '7'};
	static const unsigned char bigid[] = {0x81, 0xa2, 'i', 'd', 0xcf, 0, 0, 0, 1, 0, 0, 0, 0};
	static const unsigned char intop[] = {0x82, 0xa2, 'i', 'd', 0x05, 0xa2, 'o', 'p', 0x07};
	static const unsigned char noop[] = {0x81, 0xa2, 'i', 'd', 0x05};
	static const unsigned char arrargs[] = {0x83, 0xa2, 'i', 'd', 0x06, 0xa2, 'o',
						'p',  0xa4, 'E', 'c', 'h',  'o',  0xa4,
						'a',  'r',  'g', 's', 0x90};
	static const unsigned char intkey[] = {0x83, 0xa2, 'i',	 'd',  0x08, 0xa2, 'o', 'p',
					       0xa4, 'E',  'c',	 'h',  'o',  0xa4, 'a', 'r',
					       'g',  's',  0x81, 0x01, 0xa1, 'x'};
	/* id readable at the front, then garbage */
	static const unsigned char badtail[] = {0x82, 0xa2, 'i', 'd', 0x09, 0xa2, 'o', 'p', 0xc1};

	raw_send(fd, "\xc1", 1, 1);
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request is not valid msgpack: invalid msgpack byte 0xc1 at offset 0");
	raw_send(fd, NULL, 0, 0);
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request is not valid msgpack: empty msgpack data");
	raw_send(fd, arr, sizeof(arr), sizeof(arr));
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request must be a msgpack map {id, op, args}, not an array");
	raw_send(fd, noid, sizeof(noid), sizeof(noid));
	raw_expect_error(fd, 0, "InvalidRequest", 400, "The request has no \"id\"");
	raw_send(fd, strid, sizeof(strid), sizeof(strid));
	raw_expect_error(
		fd, 0, "InvalidRequest", 400,
		"The request's \"id\" must be an unsigned integer below 2^32, not a string");
	raw_send(fd, bigid, sizeof(bigid), sizeof(bigid));
	raw_expect_error(
		fd, 0, "InvalidRequest", 400,
		"The request's \"id\" must be an unsigned integer below 2^32, not a larger one");
	raw_send(fd, noop, sizeof(noop), sizeof(noop));
	raw_expect_error(fd, 5, "InvalidRequest", 400, "The request has no \"op\"");
	raw_send(fd, intop, sizeof(intop), sizeof(intop));
	raw_expect_error(fd, 5, "InvalidRequest", 400,
			 "The request's \"op\" must be a string, not an integer");
	raw_send(fd, arrargs, sizeof(arrargs), sizeof(arrargs));
	raw_expect_error(fd, 6, "InvalidRequest", 400,
			 "The request's \"args\" must be a map, not an array");
	raw_send(fd, intkey, sizeof(intkey), sizeof(intkey));
	raw_expect_error(fd, 8, "InvalidRequest", 400,
			 "map key 0 is an integer; map keys must be strings at args");
	raw_send(fd, badtail, sizeof(badtail), sizeof(badtail));
	raw_expect_error(fd, 9, "InvalidRequest", 400,
			 "The request is not valid msgpack: invalid msgpack byte 0xc1 at offset 8");
	expect_raw_works(fd, 77);
	close(fd);
}

static void test_oversize(void)
{
	int fd = raw_connect(conf.socket_path);
	unsigned char *big = calloc(1, 10000);

	/* the id is read from the start of the frame even though the rest is skipped */
	memcpy(big, "\x83\xa2id\xcd\x01\x02", 7);
	raw_send(fd, big, 10000, 10000);
	raw_expect_error(fd, 258, "RequestTooLarge", 413,
			 "The request is 10000 bytes long; the limit is 4096 bytes");
	expect_raw_works(fd, 1);
	/* without a readable id the answer carries 0 */
	memset(big, 0xc1, 10000);
	raw_send(fd, big, 10000, 10000);
	raw_expect_error(fd, 0, "RequestTooLarge", 413,
			 "The request is 10000 bytes long; the limit is 4096 bytes");
	expect_raw_works(fd, 2);
	free(big);
	close(fd);
}

static void test_oversize_via_library(void)
{
	struct herald *h = client();
	struct herald_error e;
	char *args = malloc(6000), *out = NULL;

	memset(args, 'x', 6000);
	memcpy(args, "{\"a\":\"", 6);
	memcpy(args + 5997, "\"}", 3);
	CU_ASSERT_EQUAL(herald_call(h, "Echo", args, &out, &e), HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "RequestTooLarge");
	CU_ASSERT_EQUAL(e.status, 413);
	CU_ASSERT_EQUAL(herald_call(h, "Echo", "{}", &out, &e), 0);
	free(out);
	free(args);
	herald_close(h);
}

static void test_disconnect_in_flight(void)
{
	struct herald *h = client();
	struct herald_error e;
	uint32_t id;

	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(herald_send(h, "Hold", "{}", &id, &e), 0);
	CU_ASSERT_TRUE(await_stat("held", 20));
	herald_close(h);
	/* answers for a connection that is gone are dropped, nothing else happens */
	h = client();
	json_decref(lib_call(h, "Release", NULL, &e));
	/* the Stats request itself is the one in flight */
	CU_ASSERT_TRUE(await_stat("in_flight", 1));
	herald_close(h);
}

static void test_backpressure(void)
{
	struct herald *h = client(), *r;
	struct herald_error e;
	uint32_t id;
	char *out;
	int got = 0;

	for (int i = 0; i < 300; i++)
		CU_ASSERT_EQUAL_FATAL(herald_send(h, "Hold", "{}", &id, &e), 0);
	/* only 256 are read while none is answered */
	CU_ASSERT_TRUE(await_stat("held", 256));
	usleep(20000);
	CU_ASSERT_EQUAL(stat_int("held"), 256);
	r = client();
	json_decref(lib_call(r, "Release", NULL, &e));
	/* answers free room: the remaining 44 are read */
	CU_ASSERT_TRUE(await_stat("held", 44));
	json_decref(lib_call(r, "Release", NULL, &e));
	herald_close(r);
	while (herald_pending(h) && herald_recv(h, &id, &out, &e) == 0) {
		got++;
		free(out);
	}
	CU_ASSERT_EQUAL(got, 300);
	herald_close(h);
}

static void test_max_clients(void)
{
	struct herald *hs[8], *extra;
	struct herald_error e;
	char *out = NULL;

	for (int i = 0; i < 8; i++)
		hs[i] = client();
	/* make sure all 8 are accepted before the 9th */
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(herald_call(hs[i], "Echo", NULL, &out, &e), 0);
		free(out);
	}
	extra = client();
	CU_ASSERT_EQUAL(herald_call(extra, "Echo", NULL, &out, &e), HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "ServiceUnavailable");
	CU_ASSERT_EQUAL(e.status, 503);
	CU_ASSERT_STRING_EQUAL(e.message, "Too many clients: heraldd serves at most 8 connections "
					  "(socket.max_clients)");
	/* and then it is closed */
	CU_ASSERT_EQUAL(herald_call(extra, "Echo", NULL, &out, &e), HERALD_EIO);
	CU_ASSERT_STRING_EQUAL(e.code, "ConnectionError");
	herald_close(extra);
	for (int i = 0; i < 8; i++)
		herald_close(hs[i]);
}

static void test_socket_file(void)
{
	struct conf c2 = conf;
	struct event_base *b2 = event_base_new();
	struct front_native *fn2;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char *err = NULL, *stale = NULL, *want = NULL;
	struct stat st;
	int fd;

	CU_ASSERT_EQUAL(stat(conf.socket_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);
	/* a live socket is not taken over */
	fn2 = front_native_start(b2, NULL, &c2, &err);
	CU_ASSERT_PTR_NULL(fn2);
	CU_ASSERT_TRUE(asprintf(&want, "another heraldd is listening on %s", conf.socket_path) > 0);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(err);
	err = NULL;
	/* a stale one (nobody listening) is replaced, and removed on free */
	CU_ASSERT_TRUE(asprintf(&stale, "%s/stale.sock", dir) > 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	c2.socket_path = stale;
	c2.socket_mode = 0600;
	fn2 = front_native_start(b2, NULL, &c2, &err);
	CU_ASSERT_PTR_NOT_NULL(fn2);
	CU_ASSERT_EQUAL(stat(stale, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	front_native_free(fn2);
	CU_ASSERT_NOT_EQUAL(stat(stale, &st), 0);
	/* a file that is not a socket is left alone */
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	close(fd);
	fn2 = front_native_start(b2, NULL, &c2, &err);
	CU_ASSERT_PTR_NULL(fn2);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "exists and is not a socket"));
	free(err);
	free(stale);
	free(want);
	event_base_free(b2);
}

/* Connect as uid/gid 65534 and return the role the front-end gave (exit status), or -1. */
static int role_of_nobody(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct herald_error e;
		struct herald *h;
		char *out = NULL;
		json_t *r;
		gid_t g = 65534;

		if (setgroups(1, &g) || setgid(65534) || setuid(65534))
			_exit(100);
		h = herald_connect(conf.socket_path, &e);
		if (!h || herald_call(h, "Whoami", NULL, &out, &e))
			_exit(101);
		r = json_loads(out, 0, NULL);
		_exit((int)json_integer_value(json_object_get(r, "role")));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void set_access(const char *list)
{
	struct herald *h = client();
	struct herald_error e;
	char args[128];

	snprintf(args, sizeof(args), "{\"list\":\"%s\",\"id\":65534}", list);
	json_decref(lib_call(h, "Access", args, &e));
	herald_close(h);
}

static void test_roles(void)
{
	char run[300];

	if (geteuid() != 0) {
		fprintf(stderr, "(needs root to connect as another user: skipped) ");
		return;
	}
	/* let the other user reach the socket */
	snprintf(run, sizeof(run), "%s/run", dir);
	chmod(dir, 0711);
	chmod(run, 0711);
	chmod(conf.socket_path, 0666);
	set_access("none");
	CU_ASSERT_EQUAL(role_of_nobody(), OP_ROLE_NONE);
	set_access("publish_users");
	CU_ASSERT_EQUAL(role_of_nobody(), OP_ROLE_PUBLISH);
	set_access("publish_groups");
	CU_ASSERT_EQUAL(role_of_nobody(), OP_ROLE_PUBLISH);
	set_access("admin_groups");
	CU_ASSERT_EQUAL(role_of_nobody(), OP_ROLE_ADMIN);
	set_access("none");
	chmod(conf.socket_path, 0660);
	chmod(run, 0750);
	chmod(dir, 0700);
}

/* Last: after quiesce, held requests are still answered. */
static void test_quiesce(void)
{
	struct herald *h = client(), *q = client();
	struct herald_error e;
	uint32_t id, held_id;
	char *out = NULL;

	CU_ASSERT_EQUAL(herald_send(h, "Hold", "{\"x\":1}", &held_id, &e), 0);
	CU_ASSERT_TRUE(await_stat("held", 1));
	json_decref(lib_call(q, "Quiesce", NULL, &e));
	CU_ASSERT_EQUAL(herald_recv(h, &id, &out, &e), 0);
	CU_ASSERT_EQUAL(id, held_id);
	CU_ASSERT_STRING_EQUAL(out, "{\"x\":1}");
	free(out);
	herald_close(h);
	herald_close(q);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"call and result", test_call_and_result},
		{"API error and bad arguments", test_api_error},
		{"1000 pipelined requests, answers matched by id", test_pipelining},
		{"malformed frames get InvalidRequest, connection keeps working",
		 test_malformed_frames},
		{"oversize frame gets RequestTooLarge, connection keeps working", test_oversize},
		{"oversize request through libherald", test_oversize_via_library},
		{"client leaving with requests in flight", test_disconnect_in_flight},
		{"in-flight limit pauses reading", test_backpressure},
		{"max_clients", test_max_clients},
		{"socket file: live, stale, mode", test_socket_file},
		{"roles from peer credentials and access lists", test_roles},
		{"quiesce answers what is in flight", test_quiesce},
		CU_TEST_INFO_NULL,
	};

	alarm(60); /* a hang is a failure, not a stuck build */
	return fx_run_suite("front_native", suite_init, suite_clean, tests);
}
