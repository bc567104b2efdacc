/*
 * Test driver "scripted": claims every SNS platform, and the device token
 * scripts the outcome, so that delivery tests can drive every path:
 *
 *   ok-*        delivered
 *   dead-*      TOKEN_INVALID, invalid since now (the endpoint gets disabled)
 *   stale-*     TOKEN_INVALID, invalid since 1970 (a token updated since is kept)
 *   canon-*     TOKEN_REPLACED by "new-" and the token
 *   retryN-*    RETRY for the first N attempts (one digit), then delivered
 *   throttle-*  RETRY with Retry-After (option throttle_ms, default 50) once, then delivered
 *   fail-*      RETRY, always
 *   cred-*      CREDENTIAL_ERROR for the first cred_failures sends of an instance
 *               (option, default 1), then delivered
 *   reject-*    PAYLOAD_REJECTED
 *   slow-*      delivered after slow_ms (option, default 200)
 *   anything else: delivered
 *
 * Every send is appended as one line "token<TAB>message id<TAB>attempt<TAB>
 * ttl<TAB>payload" to the file named by option "record" (one write(2) on an
 * O_APPEND descriptor, so lines survive a kill -9 of the broker and never
 * interleave).  Outcomes are reported from a timer, never inside send().
 *
 * No global mutable state: everything lives in the instance.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <herald/driver.h>

struct scripted_pending {
	struct scripted_pending *next, *prev;
	struct scripted *s;
	uint64_t id;
	struct herald_outcome o;
	char canonical[256];
	struct herald_timer *timer;
};

struct scripted {
	const struct herald_host *host;
	struct herald_app *app;
	int record_fd;
	unsigned int throttle_ms, slow_ms, cred_failures, cred_seen;
	struct scripted_pending *pending;
};

static const char *const scripted_platforms[] = {
	"APNS", "APNS_SANDBOX", "GCM", "ADM", "BAIDU", "MPNS", "WNS", NULL,
};

static const char *scripted_option(const struct herald_app_config *cfg, const char *name)
{
	if (!HERALD_HAS(cfg, n_options))
		return NULL;
	for (size_t i = 0; i < cfg->n_options; i++)
		if (!strcmp(cfg->options[i].name, name))
			return cfg->options[i].value;
	return NULL;
}

static unsigned int scripted_uint(const struct herald_app_config *cfg, const char *name,
				  unsigned int dflt)
{
	const char *v = scripted_option(cfg, name);

	return v ? (unsigned int)strtoul(v, NULL, 10) : dflt;
}

static int scripted_check_config(const struct herald_host *host, struct herald_app *app,
				 const struct herald_app_config *cfg, char *err, size_t err_size)
{
	(void)host;
	(void)app;
	if (cfg->credential && !strcmp(cfg->credential, "bad")) {
		snprintf(err, err_size, "PlatformCredential is not a key");
		return HERALD_EINVAL;
	}
	return 0;
}

static int scripted_create(const struct herald_host *host, struct herald_app *app,
			   const struct herald_app_config *cfg, void **instance, char *err,
			   size_t err_size)
{
	struct scripted *s = calloc(1, sizeof(*s));
	const char *record = scripted_option(cfg, "record");

	if (!s)
		return HERALD_ENOMEM;
	s->host = host;
	s->app = app;
	s->record_fd = -1;
	s->throttle_ms = scripted_uint(cfg, "throttle_ms", 50);
	s->slow_ms = scripted_uint(cfg, "slow_ms", 200);
	s->cred_failures = scripted_uint(cfg, "cred_failures", 1);
	if (record) {
		s->record_fd = open(record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (s->record_fd < 0) {
			snprintf(err, err_size, "cannot open the record file %s", record);
			free(s);
			return HERALD_EIO;
		}
	}
	*instance = s;
	return 0;
}

static int scripted_validate_token(const char *platform, const char *token, size_t len, char *err,
				   size_t err_size)
{
	(void)platform;
	(void)token;
	if (len == 0 || len > 200) {
		snprintf(err, err_size, "token must be 1 to 200 bytes");
		return HERALD_EINVAL;
	}
	return 0;
}

static void scripted_fire(struct herald_app *app, void *arg)
{
	struct scripted_pending *p = arg;
	struct scripted *s = p->s;

	(void)app;
	if (p->prev)
		p->prev->next = p->next;
	else
		s->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	s->host->send_done(s->app, p->id, &p->o);
	free(p);
}

static void scripted_record(struct scripted *s, const struct herald_notification *n)
{
	size_t len = strlen(n->token) + strlen(n->message_id) + n->payload_len + 64;
	char *line = malloc(len);
	int k;

	if (!line || s->record_fd < 0) {
		free(line);
		return;
	}
	k = snprintf(line, len, "%s\t%s\t%u\t%lld\t", n->token, n->message_id, n->attempt,
		     (long long)n->ttl_s);
	if (k > 0 && (size_t)k + n->payload_len + 1 < len) {
		memcpy(line + k, n->payload, n->payload_len);
		for (size_t i = 0; i < n->payload_len; i++)
			if (line[k + i] == '\n' || line[k + i] == '\t')
				line[k + i] = ' ';
		line[k + n->payload_len] = '\n';
		if (write(s->record_fd, line, (size_t)k + n->payload_len + 1) < 0)
			s->host->log(s->app, HERALD_LOG_ERR, "cannot write the record file");
	}
	free(line);
}

static int64_t scripted_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool scripted_is(const char *token, const char *prefix)
{
	return !strncmp(token, prefix, strlen(prefix));
}

static int scripted_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct scripted *s = instance;
	struct scripted_pending *p = calloc(1, sizeof(*p));
	uint64_t delay = 0;
	const char *t = n->token;

	if (!p)
		return HERALD_ENOMEM;
	scripted_record(s, n);
	p->s = s;
	p->id = id;
	p->o = (struct herald_outcome){
		.size = sizeof(p->o),
		.kind = HERALD_OUTCOME_DELIVERED,
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.status = 200,
	};
	if (scripted_is(t, "dead-") || scripted_is(t, "stale-")) {
		p->o.kind = HERALD_OUTCOME_TOKEN_INVALID;
		p->o.status = 410;
		p->o.invalid_since_ms = scripted_is(t, "stale-") ? 1000 : scripted_now_ms();
		p->o.response = "{\"reason\":\"Unregistered\"}";
	} else if (scripted_is(t, "canon-")) {
		p->o.kind = HERALD_OUTCOME_TOKEN_REPLACED;
		snprintf(p->canonical, sizeof(p->canonical), "new-%s", t);
		p->o.canonical_token = p->canonical;
	} else if (scripted_is(t, "retry") && t[5] >= '0' && t[5] <= '9' && t[6] == '-') {
		if (n->attempt <= (unsigned int)(t[5] - '0')) {
			p->o.kind = HERALD_OUTCOME_RETRY;
			p->o.status = 503;
		}
	} else if (scripted_is(t, "throttle-")) {
		if (n->attempt == 1) {
			p->o.kind = HERALD_OUTCOME_RETRY;
			p->o.status = 429;
			p->o.retry_after_ms = s->throttle_ms;
		}
	} else if (scripted_is(t, "fail-")) {
		p->o.kind = HERALD_OUTCOME_RETRY;
		p->o.status = 500;
	} else if (scripted_is(t, "cred-")) {
		if (s->cred_seen++ < s->cred_failures) {
			p->o.kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
			p->o.status = 403;
			p->o.response = "{\"reason\":\"InvalidProviderToken\"}";
		}
	} else if (scripted_is(t, "reject-")) {
		p->o.kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
		p->o.status = 400;
		p->o.response = "{\"reason\":\"PayloadTooLarge\"}";
	} else if (scripted_is(t, "slow-")) {
		delay = s->slow_ms;
	}
	if (p->o.response)
		p->o.response_len = strlen(p->o.response);
	p->timer = s->host->timer_add(s->app, delay, scripted_fire, p);
	if (!p->timer) {
		free(p);
		return HERALD_ENOMEM;
	}
	p->next = s->pending;
	if (s->pending)
		s->pending->prev = p;
	s->pending = p;
	return 0;
}

static void scripted_free(void *instance)
{
	struct scripted *s = instance;

	while (s->pending) {
		struct scripted_pending *p = s->pending;

		/* The host cancels the instance's timers after free_instance(). */
		s->pending = p->next;
		free(p);
	}
	if (s->record_fd >= 0)
		close(s->record_fd);
	free(s);
}

static const struct herald_driver scripted_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "scripted",
	.version = "1",
	.platforms = scripted_platforms,
	.check_config = scripted_check_config,
	.create_instance = scripted_create,
	.validate_token = scripted_validate_token,
	.send = scripted_send,
	.free_instance = scripted_free,
};

HERALD_DRIVER_EXPORT const struct herald_driver *herald_driver_query(unsigned int host_major,
								     unsigned int host_minor)
{
	(void)host_minor;
	return host_major == HERALD_DRIVER_ABI_MAJOR ? &scripted_driver : NULL;
}
