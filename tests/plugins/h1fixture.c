/* The shared part of the HTTP/1.1 driver tests; see h1fixture.h. */
#include <stdarg.h>
#include <string.h>

#include "tests/plugins/h1fixture.h"

void h1fx_host_for(struct h1fx *fx, const struct herald_driver *d)
{
	memset(fx, 0, sizeof(*fx));
	fx->fh = fakehost_new();
	fx->d = d;
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->fh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->d);
}

int h1fx_create(struct h1fx *fx, const char *platform, const char *principal,
		const char *credential, ...)
{
	struct herald_attr opts[8];
	size_t n = 0;
	va_list ap;
	const char *name;
	struct herald_app_config cfg = {
		.size = sizeof(cfg),
		.platform = platform,
		.name = "app",
		.arn = "arn:aws:sns:us-east-1:000000000000:app/test/app",
		.principal = principal,
		.principal_len = principal ? strlen(principal) : 0,
		.credential = credential,
		.credential_len = credential ? strlen(credential) : 0,
		.options = opts,
	};

	va_start(ap, credential);
	while ((name = va_arg(ap, const char *)) && n < 8) {
		opts[n].name = name;
		opts[n++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	cfg.n_options = n;
	return fx->d->create_instance(fakehost_host(fx->fh), fakehost_app(fx->fh), &cfg, &fx->inst,
				      fx->err, sizeof(fx->err));
}

void h1fx_teardown(struct h1fx *fx)
{
	if (fx->inst)
		fx->d->free_instance(fx->inst);
	CU_ASSERT_EQUAL(fakehost_pools_live(fx->fh), 0);
	CU_ASSERT_EQUAL(fakehost_oauth_live(fx->fh), 0);
	CU_ASSERT_EQUAL(fakehost_misuses(fx->fh), 0);
	CU_ASSERT_EQUAL(fakehost_duplicates(fx->fh), 0);
	fakehost_free(fx->fh);
	memset(fx, 0, sizeof(*fx));
}

struct herald_notification h1fx_notification(const char *platform, const char *token,
					     const char *payload)
{
	return (struct herald_notification){
		.size = sizeof(struct herald_notification),
		.platform = platform,
		.token = token,
		.message_id = "4a1e2f3c-0d5b-4c6a-9e7f-112233445566",
		.payload = (const unsigned char *)payload,
		.payload_len = strlen(payload),
		.ttl_s = -1,
		.expiration_ms = -1,
		.priority = -1,
		.baidu_deploy_status = -1,
		.baidu_message_type = -1,
		.wns_suppress_popup = -1,
		.attempt = 1,
	};
}

const struct fakehost_outcome *h1fx_send_run(struct h1fx *fx, const struct herald_notification *n,
					     uint64_t id)
{
	CU_ASSERT_EQUAL(fx->d->send(fx->inst, n, id), 0);
	fakehost_run(fx->fh);
	return fakehost_outcome(fx->fh, id);
}

const struct fakehost_request *h1fx_last(struct h1fx *fx)
{
	size_t n = fakehost_nrequests(fx->fh);

	return n ? fakehost_request(fx->fh, n - 1) : NULL;
}
