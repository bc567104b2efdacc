/*
 * Option values of the herald CLI: @file and @- (so that keys, service
 * account files and message bodies need not be pasted on the command line),
 * KEY=VALUE pairs and NAME=TYPE:VALUE message attributes.
 *
 * Error messages name the option and the file, never the value: a value may
 * be a provider credential.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "common/util.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("herald: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Read all of f, at most CLI_FILE_MAX bytes; malloc'd NUL-terminated text or NULL. */
static char *input_read(FILE *f, const char *opt, const char *name)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	char *grown;
	size_t n;

	if (!buf)
		goto nomem;
	for (;;) {
		if (len == cap - 1) {
			if (cap > CLI_FILE_MAX) {
				cli_error("%s: %s is larger than %d bytes", opt, name,
					  CLI_FILE_MAX);
				goto fail;
			}
			cap *= 2;
			grown = realloc(buf, cap);
			if (!grown)
				goto nomem;
			buf = grown;
		}
		n = fread(buf + len, 1, cap - 1 - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		cli_error("%s: cannot read %s: %s", opt, name, strerror(errno));
		goto fail;
	}
	if (len > CLI_FILE_MAX) {
		cli_error("%s: %s is larger than %d bytes", opt, name, CLI_FILE_MAX);
		goto fail;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		cli_error("%s: %s contains a NUL byte; binary values must be base64-encoded", opt,
			  name);
		goto fail;
	}
	if (util_utf8_valid(buf, len) < 0) {
		cli_error("%s: %s is not UTF-8 text; binary values must be base64-encoded", opt,
			  name);
		goto fail;
	}
	return buf;
nomem:
	cli_error("out of memory");
fail:
	free(buf);
	return NULL;
}

char *cli_input_value(struct cli *cli, const char *opt, const char *value)
{
	char *text, name[300];
	FILE *f;

	if (value[0] != '@' || value[1] == '@')
		return strdup(value[0] == '@' ? value + 1 : value);
	if (value[1] == '\0') {
		cli_error("%s: '@' needs a file name (@- reads standard input)", opt);
		return NULL;
	}
	if (strcmp(value, "@-") == 0) {
		if (cli->stdin_used) {
			cli_error("%s: standard input can be read only once", opt);
			return NULL;
		}
		cli->stdin_used = true;
		return input_read(stdin, opt, "standard input");
	}
	f = fopen(value + 1, "r");
	if (!f) {
		cli_error("%s: cannot open '%s': %s", opt, value + 1, strerror(errno));
		return NULL;
	}
	snprintf(name, sizeof(name), "'%s'", value + 1);
	text = input_read(f, opt, name);
	fclose(f);
	return text;
}

int cli_input_keyvalue(struct cli *cli, const char *opt, const char *arg, char **key, char **value)
{
	const char *eq = strchr(arg, '=');
	char *k, *v;

	if (!eq || eq == arg) {
		cli_error("%s expects KEY=VALUE", opt);
		return -1;
	}
	k = strndup(arg, (size_t)(eq - arg));
	if (!k) {
		cli_error("out of memory");
		return -1;
	}
	v = cli_input_value(cli, opt, eq + 1);
	if (!v) {
		free(k);
		return -1;
	}
	*key = k;
	*value = v;
	return 0;
}

int cli_input_msgattr(struct cli *cli, const char *opt, const char *arg, json_t *attrs)
{
	const char *eq = strchr(arg, '=');
	const char *colon = eq ? strchr(eq + 1, ':') : NULL;
	char *name = NULL, *type = NULL, *value = NULL;
	json_t *attr;
	int rc = -1;

	if (!eq || eq == arg || !colon || colon == eq + 1) {
		cli_error(
			"%s expects NAME=TYPE:VALUE (TYPE String, Number, Binary or String.Array)",
			opt);
		return -1;
	}
	name = strndup(arg, (size_t)(eq - arg));
	type = strndup(eq + 1, (size_t)(colon - eq - 1));
	if (!name || !type) {
		cli_error("out of memory");
		goto out;
	}
	if (json_object_get(attrs, name)) {
		cli_error("%s: message attribute '%s' given more than once", opt, name);
		goto out;
	}
	value = cli_input_value(cli, opt, colon + 1);
	if (!value)
		goto out;
	/* BinaryValue travels as base64 text, as in SNS's JSON shapes. */
	attr = json_pack("{s:s, s:s}", "DataType", type,
			 strncmp(type, "Binary", 6) == 0 ? "BinaryValue" : "StringValue", value);
	if (!attr || json_object_set_new(attrs, name, attr) < 0) {
		cli_error("%s: message attribute '%s' is not valid UTF-8", opt, name);
		goto out;
	}
	rc = 0;
out:
	free(name);
	free(type);
	free(value);
	return rc;
}

json_t *cli_input_json(const char *opt, const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		cli_error("%s: invalid JSON: %s (line %d, column %d)", opt, jerr.text, jerr.line,
			  jerr.column);
	return v;
}
