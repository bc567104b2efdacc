/*
 * herald: the command-line client of the herald push broker, in the manner
 * of `aws sns` but over heraldd's Unix socket.
 *
 *   herald [--socket PATH] [--output json|table|text] COMMAND [SUBCOMMAND] [options]
 *
 * Exit status: 0 success, 1 the broker answered with an error or could not be
 * reached, 2 usage error.  See herald(1); the commands are in cli_cmds.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"

static void main_usage(FILE *out)
{
	fputs("usage: herald [--socket PATH] [--output json|table|text] COMMAND [SUBCOMMAND] "
	      "[options]\n"
	      "       herald --help | --version\n\n"
	      "The command-line client of heraldd, a self-hosted mobile push broker with the\n"
	      "operations of Amazon SNS.\n\n"
	      "commands:\n",
	      out);
	cli_cmds_list(out);
	fputs("  stats            delivery counters per platform application\n", out);
	fputs("\nglobal options (also accepted after the command):\n"
	      "  --socket PATH                  heraldd's socket (default $HERALD_SOCKET, else the\n"
	      "                                 daemon's default path)\n"
	      "  --output json|table|text       output format (default json)\n"
	      "  --help                         show this help\n"
	      "  --version                      show the version\n\n"
	      "Any option VALUE may be @FILE (the file's contents) or @- (standard input).\n"
	      "See 'herald COMMAND --help' and herald(1).\n",
	      out);
}

bool cli_output_parse(struct cli *cli, const char *name)
{
	if (strcmp(name, "json") == 0)
		cli->output = CLI_OUTPUT_JSON;
	else if (strcmp(name, "table") == 0)
		cli->output = CLI_OUTPUT_TABLE;
	else if (strcmp(name, "text") == 0)
		cli->output = CLI_OUTPUT_TEXT;
	else
		return false;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct cli cli = {0};
	int c, status;

	opterr = 0;
	/* '+': stop at the command word; what follows belongs to the command's parser. */
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli.socket = optarg;
			break;
		case 'o':
			if (!cli_output_parse(&cli, optarg)) {
				cli_error("--output must be json, table or text, not '%s'", optarg);
				goto usage;
			}
			break;
		case 'h':
			main_usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("herald %s\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		case ':':
			cli_error("option '%s' requires a value", argv[optind - 1]);
			goto usage;
		default:
			cli_error("unrecognized option '%.*s'", (int)strcspn(argv[optind - 1], "="),
				  argv[optind - 1]);
			goto usage;
		}
	}
	if (optind >= argc) {
		cli_error("missing command");
		goto usage;
	}
	if (strcmp(argv[optind], "stats") == 0)
		status = cli_stats_run(&cli, argc - optind, argv + optind);
	else
		status = cli_cmds_run(&cli, argc - optind, argv + optind);
	cli_run_close(&cli);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output");
		status = CLI_EXIT_API;
	}
	return status;
usage:
	fputs("try 'herald --help'\n", stderr);
	return CLI_EXIT_USAGE;
}
