/*
 * `herald stats`: the delivery engine's counters (GetStats, a herald
 * operation on the Unix socket only).  JSON and text output are the
 * result as it came; the table output is one row per platform application
 * and a TOTAL row, with the publish-to-outcome latency percentiles.
 * Single-threaded; everything lives for one invocation.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/cli.h"

static void stats_usage(FILE *out)
{
	fputs("usage: herald stats [--output json|table|text] [--socket PATH]\n\n"
	      "Show the delivery engine's counters per platform application: deliveries queued\n"
	      "and in flight, delivered, failed, retried, expired (TTL), endpoints disabled,\n"
	      "whether the application is paused (credential error), and the delivery latency\n"
	      "from publish to outcome (50th, 90th and 99th percentiles, ms).  Counters start\n"
	      "at zero when heraldd starts.\n"
	      "herald operation: GetStats.\n",
	      out);
}

static long long stats_int(json_t *obj, const char *name)
{
	return (long long)json_integer_value(json_object_get(obj, name));
}

static void stats_row(const char *name, const char *platform, json_t *c, const char *paused)
{
	json_t *lat = json_object_get(c, "LatencyMs");

	printf("%-60s %-12s %8lld %9lld %10lld %7lld %8lld %8lld %9lld %-6s %6lld %6lld %6lld\n",
	       name, platform, stats_int(c, "Queued"), stats_int(c, "InFlight"),
	       stats_int(c, "Delivered"), stats_int(c, "Failed"), stats_int(c, "Retried"),
	       stats_int(c, "Expired"), stats_int(c, "EndpointsDisabled"), paused,
	       stats_int(lat, "p50"), stats_int(lat, "p90"), stats_int(lat, "p99"));
}

static void stats_table(json_t *r)
{
	json_t *a;
	size_t i;

	printf("%-60s %-12s %8s %9s %10s %7s %8s %8s %9s %-6s %6s %6s %6s\n", "APPLICATION",
	       "PLATFORM", "QUEUED", "IN_FLIGHT", "DELIVERED", "FAILED", "RETRIED", "EXPIRED",
	       "DISABLED", "PAUSED", "P50_MS", "P90_MS", "P99_MS");
	json_array_foreach (json_object_get(r, "Applications"), i, a)
		stats_row(json_string_value(json_object_get(a, "PlatformApplicationArn")),
			  json_string_value(json_object_get(a, "Platform")), a,
			  json_is_true(json_object_get(a, "Paused")) ? "yes" : "no");
	stats_row("TOTAL", "", json_object_get(r, "Totals"), "");
	printf("fan-outs in progress: %lld, credential errors: %lld\n", stats_int(r, "FanOuts"),
	       stats_int(r, "CredentialErrors"));
}

int cli_stats_run(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *args = json_object(), *r;
	int c, status = CLI_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!cli_output_parse(cli, optarg)) {
				cli_error("--output must be json, table or text, not '%s'", optarg);
				json_decref(args);
				return CLI_EXIT_USAGE;
			}
			break;
		case 's':
			cli->socket = optarg;
			break;
		case 'h':
			stats_usage(stdout);
			json_decref(args);
			return CLI_EXIT_OK;
		default:
			cli_error("'herald stats' takes no option '%s'", argv[optind - 1]);
			stats_usage(stderr);
			json_decref(args);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("'herald stats' takes no argument '%s'", argv[optind]);
		json_decref(args);
		return CLI_EXIT_USAGE;
	}
	r = args ? cli_run_call(cli, "GetStats", args, &status) : NULL;
	if (r) {
		if (cli->output == CLI_OUTPUT_TABLE)
			stats_table(r);
		else if (cli_output_print(cli, r) < 0)
			status = CLI_EXIT_API;
	}
	json_decref(r);
	json_decref(args);
	return status;
}
