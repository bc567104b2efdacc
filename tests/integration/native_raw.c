/* Raw native-protocol frames for tests; see native_raw.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "common/frame.h"
#include "common/mpjson.h"
#include "herald/client.h"
#include "tests/integration/native_raw.h"

int raw_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {20, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0 && strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

void raw_send(int fd, const void *payload, size_t len, uint32_t declared)
{
	unsigned char hdr[FRAME_HEADER_LEN];

	frame_put_header(hdr, declared);
	CU_ASSERT_EQUAL(send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL), (ssize_t)sizeof(hdr));
	if (len)
		CU_ASSERT_EQUAL(send(fd, payload, len, MSG_NOSIGNAL), (ssize_t)len);
}

json_t *raw_recv(int fd)
{
	unsigned char hdr[FRAME_HEADER_LEN], *p;
	uint32_t len;
	json_t *j = NULL;

	if (recv(fd, hdr, sizeof(hdr), MSG_WAITALL) != (ssize_t)sizeof(hdr))
		return NULL;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > FRAME_MAX_LIMIT)
		return NULL;
	p = malloc(len ? len : 1);
	if (p && recv(fd, p, len, MSG_WAITALL) == (ssize_t)len)
		j = mpjson_decode(p, len, NULL, 0);
	free(p);
	return j;
}

void raw_expect_error(int fd, uint32_t id, const char *code, int status, const char *msg)
{
	json_t *a = raw_recv(fd);
	json_t *e = json_object_get(a, "error");
	const char *got = json_string_value(json_object_get(e, "message"));

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), id);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "code")), code);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "status")), status);
	CU_ASSERT_STRING_EQUAL(got, msg);
	if (strcmp(got ? got : "", msg))
		fprintf(stderr, "\n  got \"%s\"\n", got);
	json_decref(a);
}

struct herald *lib_connect(const char *path)
{
	struct herald_error e;
	struct herald *h = herald_connect(path, &e);

	if (!h)
		fprintf(stderr, "connect: %s\n", e.message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

json_t *lib_call(struct herald *h, const char *op, const char *args, struct herald_error *e)
{
	char *out = NULL;
	json_t *j = NULL;

	if (herald_call(h, op, args, &out, e) == 0)
		j = json_loads(out, 0, NULL);
	herald_free(out);
	return j;
}
