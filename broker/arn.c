/*
 * SNS ARN construction and checking; see arn.h.  The messages are the ones
 * AWS returns (reference/aws-recorded-errors.md).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/arn.h"
#include "common/util.h"

char *arn_app(const struct conf *conf, const char *platform, const char *name)
{
	return util_strdupf("arn:aws:sns:%s:%s:app/%s/%s", conf->region, conf->account, platform,
			    name);
}

char *arn_endpoint(const struct conf *conf, const char *platform, const char *app, const char *uuid)
{
	return util_strdupf("arn:aws:sns:%s:%s:endpoint/%s/%s/%s", conf->region, conf->account,
			    platform, app, uuid);
}

char *arn_topic(const struct conf *conf, const char *name)
{
	return util_strdupf("arn:aws:sns:%s:%s:%s", conf->region, conf->account, name);
}

char *arn_subscription(const char *topic_arn, const char *uuid)
{
	return util_strdupf("%s:%s", topic_arn, uuid);
}

static int arn_bad(struct op_error *err, const char *param, const char *reason)
{
	if (reason)
		op_invalid(err, "%s Reason: %s", param, reason);
	else
		op_invalid(err, "%s", param);
	return -1;
}

/* Split s at sep into at most max fields; returns the number of fields. */
static size_t arn_split(char *s, char sep, char **fields, size_t max)
{
	size_t n = 0;

	fields[n++] = s;
	for (char *p = s; *p; p++) {
		if (*p != sep)
			continue;
		if (n == max)
			return max + 1;
		*p = '\0';
		fields[n++] = p + 1;
	}
	return n;
}

int arn_parse(const struct conf *conf, const char *s, enum arn_type type, const char *param,
	      struct arn *out, struct op_error *err)
{
	struct arn local;
	struct arn *a = out ? out : &local;
	char *f[8], *rel[5];
	size_t n, nrel;
	char reason[96];

	memset(a, 0, sizeof(*a));
	a->type = type;
	if (strlen(s) >= sizeof(a->buf))
		return arn_bad(err, param, NULL);
	strcpy(a->buf, s);

	/* Count elements the way SNS does: colon-separated, all of them. */
	n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ':';
	if (n < 6) {
		snprintf(reason, sizeof(reason), "An ARN must have at least 6 elements, not %zu",
			 n);
		return arn_bad(err, param, reason);
	}
	n = arn_split(a->buf, ':', f, 7);
	if (n > 7 || strcmp(f[0], "arn") != 0 || strcmp(f[1], "aws") != 0 ||
	    strcmp(f[2], "sns") != 0 || strcmp(f[3], conf->region) != 0 ||
	    strcmp(f[4], conf->account) != 0 || !*f[5])
		return arn_bad(err, param, NULL);

	switch (type) {
	case ARN_TOPIC:
		if (n != 6 || strchr(f[5], '/'))
			return arn_bad(err, param, NULL);
		a->topic = f[5];
		return 0;
	case ARN_SUBSCRIPTION:
		if (n != 7 || !*f[6]) {
			op_invalid(err, "SubscriptionId");
			return -1;
		}
		a->topic = f[5];
		a->id = f[6];
		return 0;
	case ARN_APP:
	case ARN_ENDPOINT:
		if (n != 6)
			return arn_bad(err, param, NULL);
		nrel = arn_split(f[5], '/', rel, 4);
		if (nrel != (type == ARN_APP ? 3u : 4u))
			return arn_bad(err, param,
				       "Wrong number of slashes in relative portion of the ARN.");
		if (strcmp(rel[0], type == ARN_APP ? "app" : "endpoint") != 0 || !*rel[1] ||
		    !*rel[2] || (type == ARN_ENDPOINT && !*rel[3]))
			return arn_bad(err, param, NULL);
		a->platform = rel[1];
		a->app = rel[2];
		a->id = type == ARN_ENDPOINT ? rel[3] : NULL;
		return 0;
	}
	return arn_bad(err, param, NULL);
}
