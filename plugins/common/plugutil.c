/* Helpers shared by the bundled drivers; see plugutil.h. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plugins/common/plugutil.h"

const char *plug_attr(const struct herald_app_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_attrs; i++)
		if (cfg->attrs[i].name && !strcmp(cfg->attrs[i].name, name))
			return cfg->attrs[i].value;
	return NULL;
}

const char *plug_option(const struct herald_app_config *cfg, const char *name)
{
	if (!HERALD_HAS(cfg, n_options))
		return NULL;
	for (size_t i = 0; i < cfg->n_options; i++)
		if (cfg->options[i].name && !strcmp(cfg->options[i].name, name))
			return cfg->options[i].value;
	return NULL;
}

const char *plug_header(const struct herald_http_response *res, const char *name)
{
	for (size_t i = 0; i < res->n_headers; i++)
		if (res->headers[i].name && !strcasecmp(res->headers[i].name, name))
			return res->headers[i].value;
	return NULL;
}

int64_t plug_retry_after_ms(const struct herald_http_response *res, int64_t now)
{
	const char *v = plug_header(res, "retry-after");
	struct tm tm = {0};
	const char *end;
	char *e;

	if (!v)
		return -1;
	while (isspace((unsigned char)*v))
		v++;
	if (isdigit((unsigned char)*v)) {
		long long s = strtoll(v, &e, 10);

		if (*e && !isspace((unsigned char)*e))
			return -1;
		return s > 86400LL * 365 ? 86400LL * 365 * 1000 : s * 1000;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	int64_t at = (int64_t)timegm(&tm);

	return at > now ? (at - now) * 1000 : 0;
}
