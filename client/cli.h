/*
 * Internals of the herald command-line client, shared by its files:
 *   herald.c      main: global options, dispatch, top-level help
 *   cli_cmds.c    the command table and per-command option parsing
 *   cli_input.c   option values: @file, KEY=VALUE, message attributes
 *   cli_run.c     the connection, calls, pagination and error reporting
 *   cli_output.c  JSON, table and text output
 * Single-threaded; everything lives for one invocation.
 */
#ifndef HERALD_CLIENT_CLI_H
#define HERALD_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses. */
#define CLI_EXIT_OK    0
#define CLI_EXIT_API   1 /* the broker answered with an error, or it could not be reached */
#define CLI_EXIT_USAGE 2

/* Largest value @file (or @-) may supply; a frame cannot carry more anyway. */
#define CLI_FILE_MAX (1024 * 1024)

enum cli_output {
	CLI_OUTPUT_JSON = 0,
	CLI_OUTPUT_TABLE,
	CLI_OUTPUT_TEXT,
};

/* Settings of one invocation: global options, which may also follow the command. */
struct cli {
	const char *socket; /* --socket, or NULL for $HERALD_SOCKET / the default */
	enum cli_output output;
	struct herald *conn; /* opened on first call */
	bool stdin_used;     /* @- may be read once */
};

/* herald.c */
/* Set the output format from its name; false if the name is unknown. */
bool cli_output_parse(struct cli *cli, const char *name);

/* cli_cmds.c */
/*
 * Run "herald GROUP [SUB] ARGS..." where argv[0] is the command word (the
 * first non-option argument of herald).  Returns an exit status.
 */
int cli_cmds_run(struct cli *cli, int argc, char **argv);
/* Print the list of commands for the top-level help. */
void cli_cmds_list(FILE *out);

/* cli_stats.c: `herald stats` (argv[0] is "stats").  Returns an exit status. */
int cli_stats_run(struct cli *cli, int argc, char **argv);

/* cli_input.c */
/*
 * Resolve an option value: "@path" is the file's contents, "@-" standard
 * input, "@@x" the literal "@x", anything else itself.  Returns a malloc'd
 * string the caller frees, or NULL after printing the reason (the file name,
 * never its contents) to stderr.
 */
char *cli_input_value(struct cli *cli, const char *opt, const char *value);
/*
 * Split "KEY=VALUE" for option opt, resolving @file in VALUE.  *key and *value
 * are malloc'd (caller frees) on success (0); -1 after printing why.
 */
int cli_input_keyvalue(struct cli *cli, const char *opt, const char *arg, char **key, char **value);
/*
 * Add "NAME=TYPE:VALUE" to the MessageAttributes object attrs as
 * {"DataType": TYPE, "StringValue"|"BinaryValue": VALUE}.  0, or -1 after
 * printing why.
 */
int cli_input_msgattr(struct cli *cli, const char *opt, const char *arg, json_t *attrs);
/* Parse JSON text (any value) for option opt; new reference, or NULL after printing why. */
json_t *cli_input_json(const char *opt, const char *text);

/* cli_run.c */
/*
 * Call op with args (borrowed).  Returns the result (new reference) or NULL
 * with *status set to the exit status after printing the error.
 */
json_t *cli_run_call(struct cli *cli, const char *op, json_t *args, int *status);
/*
 * Call a list operation repeatedly, following NextToken, and merge the
 * arrays under list_key.  max_items (0: all) and starting_token (NULL: from
 * the start) work as the AWS CLI's --max-items and --starting-token: when the
 * list is cut short the result carries a NextToken to resume from.
 */
json_t *cli_run_paginate(struct cli *cli, const char *op, json_t *args, const char *list_key,
			 long max_items, const char *starting_token, int *status);
/* Close the connection if one was opened. */
void cli_run_close(struct cli *cli);

/* cli_output.c */
/* Print result in the chosen format; 0, or -1 if stdout failed. */
int cli_output_print(const struct cli *cli, json_t *result);

/* Print "herald: MESSAGE" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
