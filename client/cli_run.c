/*
 * Calls from the herald CLI to heraldd through libherald: one connection per
 * invocation, opened on the first call, errors reported as
 * "herald: CODE: MESSAGE", and list operations followed through NextToken.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <herald/client.h>

#include "client/cli.h"
#include "common/paths.h"
#include "common/util.h"

/* Pages one list may take before the CLI suspects the broker of looping. */
#define RUN_MAX_PAGES 1000000

static int run_connect(struct cli *cli)
{
	struct herald_error err = {0};
	char *path;

	if (cli->conn)
		return 0;
	cli->conn = herald_connect(cli->socket, &err);
	if (cli->conn)
		return 0;
	/* Say which socket was tried if the library did not: a daemon elsewhere is a common cause. */
	path = cli->socket ? strdup(cli->socket) : paths_client_socket();
	if (path && !strstr(err.message, path))
		cli_error("%s (socket %s)", err.message, path);
	else
		cli_error("%s", err.message);
	free(path);
	return -1;
}

void cli_run_close(struct cli *cli)
{
	herald_close(cli->conn);
	cli->conn = NULL;
}

json_t *cli_run_call(struct cli *cli, const char *op, json_t *args, int *status)
{
	struct herald_error err = {0};
	char *text = NULL, *result_text = NULL;
	json_error_t jerr;
	json_t *result = NULL;
	int rc;

	*status = CLI_EXIT_API;
	if (run_connect(cli) < 0)
		return NULL;
	text = json_dumps(args, JSON_COMPACT);
	if (!text) {
		cli_error("out of memory");
		return NULL;
	}
	rc = herald_call(cli->conn, op, text, &result_text, &err);
	if (rc == HERALD_EAPI) {
		cli_error("%s: %s", err.code, err.message);
	} else if (rc != 0) {
		cli_error("%s", err.message);
	} else {
		result = json_loads(result_text, 0, &jerr);
		if (!result || !json_is_object(result)) {
			cli_error("ProtocolError: the broker's result is not a JSON object");
			json_decref(result);
			result = NULL;
		} else {
			*status = CLI_EXIT_OK;
		}
	}
	free(text);
	herald_free(result_text);
	return result;
}

/*
 * A CLI pagination token.  When --max-items cuts a page short, resuming needs
 * the broker's token for that page and how many of its items were already
 * shown; like the AWS CLI, the pair travels as base64 of a JSON object.  A
 * token cut at a page boundary is the broker's own NextToken, unchanged.
 */
static char *run_token_encode(const char *page_token, size_t skip)
{
	json_t *obj = json_pack("{s:I}", "Skip", (json_int_t)skip);
	char *json = NULL, *token = NULL;

	if (obj && page_token)
		json_object_set_new(obj, "NextToken", json_string(page_token));
	if (obj)
		json = json_dumps(obj, JSON_COMPACT);
	if (json)
		token = util_base64_encode(json, strlen(json));
	json_decref(obj);
	free(json);
	return token;
}

/* Split a starting token into the broker's token (malloc'd or NULL) and a skip count. */
static void run_token_decode(const char *token, char **page_token, size_t *skip)
{
	unsigned char *raw;
	size_t len;
	json_t *obj = NULL, *t;

	*page_token = NULL;
	*skip = 0;
	raw = util_base64_decode(token, strlen(token), &len);
	if (raw)
		obj = json_loadb((const char *)raw, len, 0, NULL);
	if (json_is_object(obj) && json_is_integer(json_object_get(obj, "Skip")) &&
	    json_integer_value(json_object_get(obj, "Skip")) >= 0) {
		*skip = (size_t)json_integer_value(json_object_get(obj, "Skip"));
		t = json_object_get(obj, "NextToken");
		if (json_is_string(t))
			*page_token = strdup(json_string_value(t));
	} else {
		*page_token = strdup(token);
	}
	json_decref(obj);
	free(raw);
}

/*
 * Append the items of one page's list from index skip on to items, stopping
 * at max_items (0: no limit).  Returns the index it stopped at.
 */
static size_t run_take(json_t *items, json_t *list, size_t skip, long max_items)
{
	size_t i;

	for (i = skip; i < json_array_size(list); i++) {
		if (max_items > 0 && (long)json_array_size(items) >= max_items)
			break;
		json_array_append(items, json_array_get(list, i));
	}
	return i;
}

json_t *cli_run_paginate(struct cli *cli, const char *op, json_t *args, const char *list_key,
			 long max_items, const char *starting_token, int *status)
{
	json_t *merged = NULL, *items = json_array(), *page = NULL, *list, *next;
	char *token = NULL, *resume = NULL;
	bool full = false, nomem = !items;
	size_t skip = 0, stop;
	long pages = 0;

	*status = CLI_EXIT_API;
	if (starting_token && !nomem)
		run_token_decode(starting_token, &token, &skip);
	while (!nomem) {
		json_decref(page);
		if (token)
			json_object_set_new(args, "NextToken", json_string(token));
		page = cli_run_call(cli, op, args, status);
		if (!page)
			goto out;
		*status = CLI_EXIT_API;
		list = json_object_get(page, list_key);
		next = json_object_get(page, "NextToken");
		if (!json_is_array(list) ||
		    (next && !json_is_string(next) && !json_is_null(next))) {
			cli_error("ProtocolError: %s returned no %s list", op, list_key);
			goto out;
		}
		if (!merged) {
			merged = json_deep_copy(page);
			nomem = !merged;
			json_object_del(merged, "NextToken");
		}
		stop = run_take(items, list, skip, max_items);
		skip = 0;
		full = max_items > 0 && (long)json_array_size(items) >= max_items;
		if (stop < json_array_size(list)) {
			/* Cut inside this page: resume from its token, past what was shown. */
			resume = run_token_encode(token, stop);
			nomem = !resume;
			break;
		}
		if (!json_is_string(next) || !*json_string_value(next))
			break;
		if ((token && strcmp(token, json_string_value(next)) == 0) ||
		    ++pages >= RUN_MAX_PAGES) {
			cli_error("ProtocolError: %s keeps returning the same NextToken", op);
			goto out;
		}
		free(token);
		token = strdup(json_string_value(next));
		nomem = !token;
		if (full) {
			/* Cut at the page boundary: the broker's token resumes. */
			resume = token ? strdup(token) : NULL;
			nomem = !resume;
			break;
		}
	}
	if (nomem) {
		cli_error("out of memory");
		goto out;
	}
	json_object_set(merged, list_key, items);
	if (resume)
		json_object_set_new(merged, "NextToken", json_string(resume));
	*status = CLI_EXIT_OK;
out:
	json_object_del(args, "NextToken");
	if (*status != CLI_EXIT_OK) {
		json_decref(merged);
		merged = NULL;
	}
	json_decref(page);
	json_decref(items);
	free(token);
	free(resume);
	return merged;
}
