/* The unit-test fixture; see fixture.h. */
#include "config.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/fixture.h"

int fx_tmpdir(char *out, size_t n)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, n, "%s/herald-test-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(out) ? 0 : -1;
}

static int fx_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rm_rf(const char *dir)
{
	nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int fx_open_store(struct fixture *fx)
{
	struct store_conf sc = {
		.db_path = fx->conf.db_path,
		.durability = STORE_DURABILITY_PROCESS,
	};
	char *err = NULL;

	fx->store = store_open(&sc, NULL, &err);
	if (!fx->store) {
		fprintf(stderr, "fixture: store_open: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	fx->api = api_new(fx->store, &fx->conf, fx->seal);
	return fx->api ? 0 : -1;
}

int fx_setup(struct fixture *fx)
{
	char *err = NULL;

	memset(fx, 0, sizeof(*fx));
	if (fx_tmpdir(fx->dir, sizeof(fx->dir)) < 0)
		return -1;
	fx->conf.region = "us-east-1";
	fx->conf.account = "000000000000";
	fx->conf.state_dir = fx->dir;
	if (asprintf(&fx->conf.db_path, "%s/herald.db", fx->dir) < 0 ||
	    asprintf(&fx->conf.key_file, "%s/seal.key", fx->dir) < 0)
		return -1;
	fx->conf.durability = CONF_DURABILITY_PROCESS;
	fx->conf.max_frame = 1 << 20;
	fx->conf.log_level = 3;
	fx->seal = seal_open(fx->conf.key_file, &err);
	if (!fx->seal) {
		fprintf(stderr, "fixture: seal_open: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	return fx_open_store(fx);
}

void fx_teardown(struct fixture *fx)
{
	api_free(fx->api);
	if (fx->store)
		store_close(fx->store);
	seal_free(fx->seal);
	if (fx->dir[0])
		fx_rm_rf(fx->dir);
	free(fx->conf.db_path);
	free(fx->conf.key_file);
	memset(fx, 0, sizeof(*fx));
}

int fx_reopen(struct fixture *fx)
{
	api_free(fx->api);
	store_close(fx->store);
	fx->api = NULL;
	fx->store = NULL;
	return fx_open_store(fx);
}

struct fx_reply {
	json_t *result;
	struct op_error *err;
	int called;
};

static void fx_on_reply(void *arg, json_t *result, const struct op_error *err)
{
	struct fx_reply *r = arg;

	r->called++;
	if (result)
		r->result = json_incref(result);
	else
		*r->err = *err;
}

static json_t *fx_vcall(struct fixture *fx, enum op_role role, const char *op, struct op_error *err,
			const char *fmt, va_list ap)
{
	struct fx_reply r = {.err = err};
	json_error_t jerr;
	json_t *args = fmt ? json_vpack_ex(&jerr, 0, fmt, ap) : json_object();

	memset(err, 0, sizeof(*err));
	if (!args) {
		fprintf(stderr, "fixture: bad json_pack format for %s: %s\n", op, jerr.text);
		snprintf(err->code, sizeof(err->code), "FixtureError");
		return NULL;
	}
	api_call(fx->api, role, op, args, fx_on_reply, &r);
	json_decref(args);
	if (r.called != 1) {
		fprintf(stderr, "fixture: %s replied %d times\n", op, r.called);
		snprintf(err->code, sizeof(err->code), "FixtureError");
		json_decref(r.result);
		return NULL;
	}
	return r.result;
}

json_t *fx_call(struct fixture *fx, const char *op, struct op_error *err, const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = fx_vcall(fx, OP_ROLE_ADMIN, op, err, fmt, ap);
	va_end(ap);
	return r;
}

json_t *fx_call_as(struct fixture *fx, enum op_role role, const char *op, struct op_error *err,
		   const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = fx_vcall(fx, role, op, err, fmt, ap);
	va_end(ap);
	return r;
}
