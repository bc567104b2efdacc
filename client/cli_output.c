/*
 * Output of the herald CLI.
 *   json   the result exactly as the broker returned it (lists merged across
 *          pages), 2-space indent; nothing for an empty result, as the AWS CLI.
 *   text   the AWS CLI's text format, so that scripts written for `aws sns
 *          --output text` keep working: an object's scalars on one
 *          tab-separated line (sorted by key), nested lists of objects one
 *          line each prefixed by the list's name in capitals, and a
 *          NextToken last as "NEXTTOKEN<tab>token".
 *   table  for people: lists of objects as aligned columns (nested maps such
 *          as an endpoint's Attributes flattened into columns), maps and
 *          scalars as KEY VALUE rows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/cli.h"

/* ---- scalars ---- */

/* A scalar as text (malloc'd); Python's spelling of true/false/null in text mode. */
static char *output_scalar(json_t *v, bool python)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE:
		return strdup(python ? "True" : "true");
	case JSON_FALSE:
		return strdup(python ? "False" : "false");
	case JSON_NULL:
		return strdup(python ? "None" : "");
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

static bool output_is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static int output_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj sorted (malloc'd array of borrowed strings); *n receives the count. */
static const char **output_sorted_keys(json_t *obj, size_t *n)
{
	const char **keys = calloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *key;
	json_t *v;
	size_t i = 0;

	if (!keys)
		return NULL;
	json_object_foreach (obj, key, v)
		keys[i++] = key;
	qsort(keys, i, sizeof(*keys), output_keycmp);
	*n = i;
	return keys;
}

static void output_upper(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, out);
}

/* ---- text: awscli/text.py ---- */

static void text_value(FILE *out, json_t *v, const char *id, json_t *scalar_keys);

static void text_scalar(FILE *out, json_t *v)
{
	char *s = output_scalar(v, true);

	if (s)
		fputs(s, out);
	free(s);
}

/* Before a field of a line: the line's id at its start, else a tab. */
static void text_sep(FILE *out, bool *first, const char *id)
{
	if (!*first)
		fputc('\t', out);
	else if (id) {
		output_upper(out, id);
		fputc('\t', out);
	}
	*first = false;
}

/*
 * An object: its scalars on one line after id, then each non-scalar under
 * its own key.  Elements of one list share scalar_keys, the sorted union of
 * their scalar keys, so that their columns line up (blank where missing).
 */
static void text_dict(FILE *out, json_t *obj, const char *id, json_t *scalar_keys)
{
	const char **keys;
	size_t n, i;
	bool first = true;
	json_t *v, *k;

	keys = output_sorted_keys(obj, &n);
	if (!keys)
		return;
	if (scalar_keys) {
		json_array_foreach (scalar_keys, i, k) {
			text_sep(out, &first, id);
			v = json_object_get(obj, json_string_value(k));
			if (v && output_is_scalar(v))
				text_scalar(out, v);
		}
	} else {
		for (i = 0; i < n; i++) {
			v = json_object_get(obj, keys[i]);
			if (output_is_scalar(v)) {
				text_sep(out, &first, id);
				text_scalar(out, v);
			}
		}
	}
	if (!first)
		fputc('\n', out);
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, keys[i]);
		if (!output_is_scalar(v))
			text_value(out, v, keys[i], NULL);
	}
	free(keys);
}

/* The sorted union of the scalar keys of the objects in arr, as a JSON array. */
static json_t *text_scalar_keys(json_t *arr)
{
	json_t *seen = json_object(), *list = json_array(), *el, *v;
	const char **sorted = NULL, *key;
	size_t i, n = 0;

	if (!seen || !list)
		goto out;
	json_array_foreach (arr, i, el) {
		json_object_foreach (el, key, v) {
			if (output_is_scalar(v))
				json_object_set_new(seen, key, json_true());
		}
	}
	sorted = output_sorted_keys(seen, &n);
	for (i = 0; sorted && i < n; i++)
		json_array_append_new(list, json_string(sorted[i]));
out:
	free(sorted);
	json_decref(seen);
	return list;
}

static void text_list(FILE *out, json_t *arr, const char *id)
{
	json_t *keys, *el;
	size_t i;
	bool objects = false, first = true;

	json_array_foreach (arr, i, el)
		objects |= json_is_object(el);
	if (objects) {
		keys = text_scalar_keys(arr);
		json_array_foreach (arr, i, el)
			text_value(out, el, id, json_is_object(el) ? keys : NULL);
		json_decref(keys);
		return;
	}
	/* Scalars first, each on its own line under id (all on one line without one). */
	json_array_foreach (arr, i, el) {
		if (!output_is_scalar(el))
			continue;
		if (id) {
			first = true;
			text_sep(out, &first, id);
			text_scalar(out, el);
			fputc('\n', out);
		} else {
			text_sep(out, &first, NULL);
			text_scalar(out, el);
		}
	}
	if (!id && !first)
		fputc('\n', out);
	json_array_foreach (arr, i, el) {
		if (!output_is_scalar(el))
			text_value(out, el, id, NULL);
	}
}

static void text_value(FILE *out, json_t *v, const char *id, json_t *scalar_keys)
{
	if (json_is_object(v)) {
		text_dict(out, v, id, scalar_keys);
	} else if (json_is_array(v)) {
		text_list(out, v, id);
	} else {
		text_scalar(out, v);
		fputc('\n', out);
	}
}

/* ---- table ---- */

#define TABLE_RULE_MAX 40

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t table_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void table_pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* Control characters would break the alignment; show them as spaces. */
static void table_cell(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
}

/* Print rows x cols cells (malloc'd strings, NULL for blank) under a header line. */
static void table_print(FILE *out, const char *const *header, char **cells, size_t rows,
			size_t cols)
{
	size_t *width = calloc(cols ? cols : 1, sizeof(*width));
	size_t r, c, w;

	if (!width)
		return;
	for (c = 0; c < cols; c++) {
		width[c] = table_width(header[c]);
		for (r = 0; r < rows; r++) {
			w = cells[r * cols + c] ? table_width(cells[r * cols + c]) : 0;
			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = 0; r <= rows + 1; r++) {
		for (c = 0; c < cols; c++) {
			const char *s = r == 0	 ? header[c]
					: r == 1 ? ""
						 : cells[(r - 2) * cols + c];

			if (!s)
				s = "";
			if (r == 1) {
				/* A long policy in the last column need not draw a long rule. */
				size_t rule = width[c];

				if (c + 1 == cols && rule > TABLE_RULE_MAX)
					rule = table_width(header[c]) > TABLE_RULE_MAX
						       ? table_width(header[c])
						       : TABLE_RULE_MAX;
				for (w = 0; w < rule; w++)
					fputc('-', out);
			} else {
				table_cell(out, s);
				if (c + 1 < cols)
					table_pad(out, width[c] - table_width(s));
			}
			if (c + 1 < cols)
				fputs("  ", out);
		}
		fputc('\n', out);
	}
	free(width);
}

/* A map (or an object of scalars) as KEY VALUE rows sorted by key. */
static void table_map(FILE *out, json_t *obj)
{
	static const char *const header[] = {"Key", "Value"};
	const char **keys;
	char **cells;
	size_t n, i;

	keys = output_sorted_keys(obj, &n);
	cells = calloc(2 * n + 1, sizeof(*cells));
	if (keys && cells) {
		for (i = 0; i < n; i++) {
			cells[2 * i] = strdup(keys[i]);
			cells[2 * i + 1] = output_scalar(json_object_get(obj, keys[i]), false);
		}
		table_print(out, header, cells, n, 2);
	}
	for (i = 0; cells && i < 2 * n; i++)
		free(cells[i]);
	free(cells);
	free(keys);
}

/*
 * A list of objects as columns: first the scalar members, in the order they
 * first appear, then the members of nested objects (an endpoint's Enabled,
 * Token, CustomUserData) under their own names.
 */
static void table_list(FILE *out, json_t *arr)
{
	json_t *cols = json_object(), *el, *v, *inner;
	const char *key, *ikey, **header = NULL;
	char **cells = NULL;
	size_t i, ncols, c;
	int pass;

	if (!cols)
		return;
	if (json_array_size(arr) == 0) {
		fputs("(none)\n", out);
		json_decref(cols);
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach (arr, i, el) {
			if (!json_is_object(el))
				continue;
			json_object_foreach (el, key, v) {
				if (pass == 0 && output_is_scalar(v))
					json_object_set_new(cols, key, json_null());
				if (pass == 0 && json_is_array(v))
					json_object_set_new(cols, key, json_null());
				if (pass == 1 && json_is_object(v)) {
					json_object_foreach (v, ikey, inner) {
						if (!json_object_get(cols, ikey))
							json_object_set_new(cols, ikey,
									    json_string(key));
					}
				}
			}
		}
	}
	ncols = json_object_size(cols);
	header = calloc(ncols + 1, sizeof(*header));
	cells = calloc(ncols * json_array_size(arr) + 1, sizeof(*cells));
	if (!header || !cells)
		goto out;
	c = 0;
	json_object_foreach (cols, key, v)
		header[c++] = key;
	json_array_foreach (arr, i, el) {
		for (c = 0; c < ncols; c++) {
			json_t *parent = json_object_get(cols, header[c]);

			if (!json_is_object(el)) {
				if (c == 0)
					cells[i * ncols] = output_scalar(el, false);
				continue;
			}
			v = json_is_string(parent)
				    ? json_object_get(
					      json_object_get(el, json_string_value(parent)),
					      header[c])
				    : json_object_get(el, header[c]);
			cells[i * ncols + c] = v ? output_scalar(v, false) : NULL;
		}
	}
	if (ncols == 0) {
		/* A list of scalars: one column. */
		static const char *const value[] = {"Value"};

		free(cells);
		cells = calloc(json_array_size(arr) + 1, sizeof(*cells));
		if (!cells)
			goto out;
		json_array_foreach (arr, i, el)
			cells[i] = output_scalar(el, false);
		table_print(out, value, cells, json_array_size(arr), 1);
		ncols = 1;
	} else {
		table_print(out, header, cells, json_array_size(arr), ncols);
	}
out:
	for (i = 0; cells && i < ncols * json_array_size(arr); i++)
		free(cells[i]);
	free(cells);
	free(header);
	json_decref(cols);
}

static void table_result(FILE *out, json_t *result)
{
	json_t *scalars = json_object(), *v;
	const char *key;
	size_t sections = 0;
	bool first = true;

	if (!scalars)
		return;
	json_object_foreach (result, key, v) {
		if (output_is_scalar(v))
			json_object_set(scalars, key, v);
		else
			sections++;
	}
	if (json_object_size(scalars) > 0) {
		table_map(out, scalars);
		first = false;
	}
	json_object_foreach (result, key, v) {
		if (output_is_scalar(v))
			continue;
		/* Name a section only when there is more than one thing to tell apart. */
		if (sections > 1 || !first) {
			if (!first)
				fputc('\n', out);
			fprintf(out, "%s:\n", key);
		}
		first = false;
		if (json_is_array(v))
			table_list(out, v);
		else
			table_map(out, v);
	}
	json_decref(scalars);
}

int cli_output_print(const struct cli *cli, json_t *result)
{
	json_t *rest = NULL, *token = json_object_get(result, "NextToken");
	char *text;

	if (json_is_object(result) && json_object_size(result) == 0)
		return 0;
	if (cli->output != CLI_OUTPUT_JSON && json_is_string(token)) {
		/* Like the AWS CLI, the token to resume from comes after the list. */
		rest = json_copy(result);
		json_object_del(rest, "NextToken");
	}
	switch (cli->output) {
	case CLI_OUTPUT_JSON:
		text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
		if (text) {
			fputs(text, stdout);
			fputc('\n', stdout);
		}
		free(text);
		break;
	case CLI_OUTPUT_TEXT:
		text_value(stdout, rest ? rest : result, NULL, NULL);
		if (rest)
			printf("NEXTTOKEN\t%s\n", json_string_value(token));
		break;
	case CLI_OUTPUT_TABLE:
		table_result(stdout, rest ? rest : result);
		if (rest)
			printf("\nNextToken: %s\n", json_string_value(token));
		break;
	}
	json_decref(rest);
	return ferror(stdout) ? -1 : 0;
}
