/*
 * driver_request: one notification through a bundled driver on the fake
 * host, with the credentials of a herald-emulator directory, for
 * test_emulator_replay.sh, which sends the request with curl to the real
 * emulator and hands the answer back:
 *
 *   driver_request DIR MODE URL TOKEN PAYLOAD [PUSH_TYPE]
 *       prints the request the driver made as curl arguments, one per line
 *       (-X METHOD, -H "name: value"..., --data-binary BODY, URL);
 *   driver_request DIR MODE URL TOKEN PAYLOAD PUSH_TYPE STATUS BODY_FILE [RETRY_AFTER]
 *       feeds that answer to the same driver and prints its outcome:
 *       KIND invalid_since_ms retry_after_ms [canonical_token].
 *
 * MODE: apns-token, apns-cert (the emulator's APNs credentials), fcm (the
 * service account; the access token comes from $ACCESS_TOKEN) or
 * fcm-legacy (the server key).  Exit status 0, or 1 with a message.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/plugins/fakehost.h"

static const char *const kinds[] = {
	"?",	 "DELIVERED",	     "TOKEN_INVALID",	"TOKEN_REPLACED",
	"RETRY", "CREDENTIAL_ERROR", "PAYLOAD_REJECTED"};

/* The file's contents, malloc'ed; a missing file reads as empty if may_be_missing. */
static char *read_file(const char *path, bool may_be_missing)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f && may_be_missing)
		return calloc(1, 1);
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "driver_request: cannot read %s\n", path);
		exit(1);
	}
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	return buf;
}

static char *slurp(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_file(path, false);
}

int main(int argc, char **argv)
{
	const char *dir, *mode;
	struct fakehost *fh = fakehost_new();
	const struct herald_driver *d = herald_driver_query(1, 1);
	struct herald_attr attrs[2], opts[1];
	struct herald_app_config c = {.size = sizeof(c), .name = "replay", .attrs = attrs};
	struct herald_notification n = {.size = sizeof(n),
					.message_id = "5b9e0d1c-7a43-4f6e-9c2b-1d2e3f405162",
					.ttl_s = 3600,
					.expiration_ms = 1900000000000LL,
					.priority = -1,
					.attempt = 1};
	const struct fakehost_request *r;
	const struct fakehost_outcome *o;
	json_t *emu;
	char err[256], *owned[2] = {NULL, NULL};
	void *inst;

	if (argc != 6 && argc != 7 && argc != 9 && argc != 10) {
		fprintf(stderr, "usage: driver_request DIR MODE URL TOKEN PAYLOAD [PUSH_TYPE "
				"[STATUS BODY_FILE [RETRY_AFTER]]]\n");
		return 1;
	}
	dir = argv[1];
	mode = argv[2];
	owned[0] = slurp(dir, "emulator.json");
	emu = json_loads(owned[0], 0, NULL);
	free(owned[0]);
	owned[0] = NULL;
	if (!emu)
		return 1;
	c.platform = d->platforms[0];
	opts[0] = (struct herald_attr){"url", argv[3]};
	c.options = opts;
	c.n_options = 1;
	if (!strcmp(mode, "apns-token")) {
		json_t *k =
			json_array_get(json_object_get(json_object_get(emu, "apns"), "keys"), 0);

		attrs[0] = (struct herald_attr){"ApplePlatformTeamID",
						json_string_value(json_object_get(k, "team_id"))};
		attrs[1] =
			(struct herald_attr){"ApplePlatformBundleID",
					     json_string_value(json_object_get(
						     json_object_get(emu, "apns"), "bundle_id"))};
		c.n_attrs = 2;
		c.principal = json_string_value(json_object_get(k, "key_id"));
		owned[0] = slurp(dir, json_string_value(json_object_get(k, "file")));
		c.credential = owned[0];
	} else if (!strcmp(mode, "apns-cert")) {
		owned[1] = slurp(dir, "apns-cert.pem");
		owned[0] = slurp(dir, "apns-cert-key.pem");
		c.principal = owned[1];
		c.credential = owned[0];
	} else if (!strcmp(mode, "fcm")) {
		owned[0] = slurp(dir, "fcm-service-account.json");
		c.credential = owned[0];
		fakehost_oauth(fh, true, 0, NULL, getenv("ACCESS_TOKEN"), NULL);
	} else if (!strcmp(mode, "fcm-legacy")) {
		c.credential = json_string_value(
			json_object_get(json_object_get(emu, "fcm"), "server_key"));
	} else {
		fprintf(stderr, "driver_request: unknown mode %s\n", mode);
		return 1;
	}
	if (!c.credential || (c.n_attrs && (!attrs[0].value || !attrs[1].value))) {
		fprintf(stderr, "driver_request: emulator.json lacks the %s credentials\n", mode);
		return 1;
	}
	c.principal_len = c.principal ? strlen(c.principal) : 0;
	c.credential_len = strlen(c.credential);
	if (d->create_instance(fakehost_host(fh), fakehost_app(fh), &c, &inst, err, sizeof(err))) {
		fprintf(stderr, "driver_request: %s\n", err);
		return 1;
	}
	n.platform = c.platform;
	n.token = argv[4];
	n.payload = (const unsigned char *)argv[5];
	n.payload_len = strlen(argv[5]);
	n.push_type = argc > 6 && *argv[6] ? argv[6] : NULL;
	if (d->send(inst, &n, 1) != 0) {
		fprintf(stderr, "driver_request: send refused\n");
		return 1;
	}
	if (argc >= 9) {
		char *body = read_file(argv[8], true); /* curl writes no file for an empty body */

		if (argc == 10)
			fakehost_respond(fh, atoi(argv[7]), body, "retry-after", argv[9], NULL);
		else
			fakehost_respond(fh, atoi(argv[7]), body, NULL);
		free(body);
		fakehost_run(fh);
	}
	o = fakehost_outcome(fh, 1);
	if (o) {
		printf("%s %lld %lld%s%s\n", kinds[o->kind >= 1 && o->kind <= 6 ? o->kind : 0],
		       (long long)o->invalid_since_ms, (long long)o->retry_after_ms,
		       o->canonical_token ? " " : "", o->canonical_token ? o->canonical_token : "");
	} else if ((r = fakehost_request(fh, 0)) && argc < 9) {
		printf("-X\n%s\n", r->method);
		for (size_t i = 0; i < r->n_headers; i++)
			printf("-H\n%s: %s\n", r->hnames[i], r->hvalues[i]);
		printf("--data-binary\n%s\n%s\n", r->body, r->url);
	} else {
		fprintf(stderr, "driver_request: no request and no outcome\n");
		return 1;
	}
	d->free_instance(inst);
	fakehost_free(fh);
	json_decref(emu);
	free(owned[0]);
	free(owned[1]);
	return 0;
}
