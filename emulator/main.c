/*
 * herald-emulator: a local stand-in for the push providers (APNs, FCM HTTP
 * v1 and legacy with the OAuth endpoint, ADM, WNS, Baidu, MPNS) with an
 * inspection and control API.  This file
 * is the command line: init, run, jwt and the control-API sub-commands.
 * `run` is single-threaded: one libevent loop serves every port.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "common/log.h"
#include "emulator/adm.h"
#include "emulator/apns.h"
#include "emulator/baidu.h"
#include "emulator/settings.h"
#include "emulator/control.h"
#include "emulator/faults.h"
#include "emulator/fcm.h"
#include "emulator/jwt.h"
#include "emulator/mpns.h"
#include "emulator/state.h"
#include "emulator/wns.h"

#define RUN_FILE "run.json"

enum {
	OPT_APNS_PORT = 256,
	OPT_FCM_PORT,
	OPT_CONTROL_PORT,
	OPT_BUNDLE_ID,
	OPT_PROJECT,
	OPT_FORCE,
	OPT_RULES,
	OPT_MAX_RECORDS,
	OPT_PROVIDER,
	OPT_TOKEN,
	OPT_LIMIT,
	OPT_IAT,
	OPT_AUD,
	OPT_LOG_LEVEL,
	OPT_ADM_PORT,
	OPT_WNS_PORT,
	OPT_BAIDU_PORT,
	OPT_MPNS_PORT,
};

static const struct option long_opts[] = {
	{"dir", required_argument, NULL, 'd'},
	{"apns-port", required_argument, NULL, OPT_APNS_PORT},
	{"fcm-port", required_argument, NULL, OPT_FCM_PORT},
	{"control-port", required_argument, NULL, OPT_CONTROL_PORT},
	{"adm-port", required_argument, NULL, OPT_ADM_PORT},
	{"wns-port", required_argument, NULL, OPT_WNS_PORT},
	{"baidu-port", required_argument, NULL, OPT_BAIDU_PORT},
	{"mpns-port", required_argument, NULL, OPT_MPNS_PORT},
	{"bundle-id", required_argument, NULL, OPT_BUNDLE_ID},
	{"project", required_argument, NULL, OPT_PROJECT},
	{"force", no_argument, NULL, OPT_FORCE},
	{"rules", required_argument, NULL, OPT_RULES},
	{"max-records", required_argument, NULL, OPT_MAX_RECORDS},
	{"provider", required_argument, NULL, OPT_PROVIDER},
	{"token", required_argument, NULL, OPT_TOKEN},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"iat", required_argument, NULL, OPT_IAT},
	{"aud", required_argument, NULL, OPT_AUD},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct args {
	const char *dir;
	int apns_port, fcm_port, control_port; /* -1 = not given */
	int adm_port, wns_port, baidu_port, mpns_port;
	const char *bundle_id, *project, *rules, *provider, *token, *aud;
	int force;
	long long max_records, limit, iat;
	int positional; /* index of the first argument after the options */
};

static void usage(FILE *out)
{
	fputs("usage: herald-emulator COMMAND [OPTIONS]\n"
	      "  init DIR [--bundle-id ID] [--project ID] [--PROVIDER-port N]\n"
	      "           [--control-port N] [--force]     create credentials and DIR/emulator.json\n"
	      "  run -d DIR [--PROVIDER-port N] [--control-port N] (0 = any free port)\n"
	      "           PROVIDER: apns fcm adm wns baidu mpns\n"
	      "           [--rules FILE] [--max-records N] [--log-level LEVEL]\n"
	      "  requests -d DIR [--provider P] [--token T] [--limit N]   P: apns fcm oauth\n"
	      "           fcm-legacy adm adm-oauth wns wns-oauth baidu mpns\n"
	      "  count -d DIR        reset -d DIR        rules -d DIR [FILE|-]\n"
	      "  faults -d DIR [FILE|-]      show or set the global faults (JSON)\n"
	      "  jwt apns|fcm -d DIR [--iat SECONDS] [--aud URL]   print a signed token\n"
	      "The control-API commands take --control-port N instead of -d DIR if wanted.\n"
	      "See herald-emulator(1).\n",
	      out);
}

static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	long long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->apns_port = a->fcm_port = a->control_port = -1;
	a->adm_port = a->wns_port = a->baidu_port = a->mpns_port = -1;
	a->iat = -1;
	while ((c = getopt_long(argc, argv, "d:h", long_opts, NULL)) != -1) {
		int *port = NULL;

		switch (c) {
		case 'd':
			a->dir = optarg;
			break;
		case OPT_APNS_PORT:
			port = &a->apns_port;
			break;
		case OPT_FCM_PORT:
			port = &a->fcm_port;
			break;
		case OPT_CONTROL_PORT:
			port = &a->control_port;
			break;
		case OPT_ADM_PORT:
			port = &a->adm_port;
			break;
		case OPT_WNS_PORT:
			port = &a->wns_port;
			break;
		case OPT_BAIDU_PORT:
			port = &a->baidu_port;
			break;
		case OPT_MPNS_PORT:
			port = &a->mpns_port;
			break;
		case OPT_BUNDLE_ID:
			a->bundle_id = optarg;
			break;
		case OPT_PROJECT:
			a->project = optarg;
			break;
		case OPT_FORCE:
			a->force = 1;
			break;
		case OPT_RULES:
			a->rules = optarg;
			break;
		case OPT_MAX_RECORDS:
			if (parse_num(optarg, 1, 10000000, &a->max_records) != 0) {
				fprintf(stderr, "herald-emulator: --max-records: 1..10000000\n");
				return -1;
			}
			break;
		case OPT_PROVIDER:
			a->provider = optarg;
			break;
		case OPT_TOKEN:
			a->token = optarg;
			break;
		case OPT_LIMIT:
			if (parse_num(optarg, 0, 100000000, &a->limit) != 0) {
				fprintf(stderr,
					"herald-emulator: --limit: a non-negative integer\n");
				return -1;
			}
			break;
		case OPT_IAT:
			if (parse_num(optarg, 0, 1LL << 40, &a->iat) != 0) {
				fprintf(stderr, "herald-emulator: --iat: UNIX seconds\n");
				return -1;
			}
			break;
		case OPT_AUD:
			a->aud = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg) < 0) {
				fprintf(stderr, "herald-emulator: unknown log level %s\n", optarg);
				return -1;
			}
			log_set_level(log_level_parse(optarg));
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (port) {
			if (parse_num(optarg, 0, 65535, &v) != 0) {
				fprintf(stderr, "herald-emulator: %s: a port number 0..65535\n",
					argv[optind - 1]);
				return -1;
			}
			*port = (int)v;
		}
	}
	a->positional = optind;
	return 0;
}

static int cmd_init(int argc, char **argv, const struct args *a)
{
	struct emu_init_opts o = {
		.bundle_id = a->bundle_id,
		.project_id = a->project,
		.apns_port = a->apns_port > 0 ? a->apns_port : 0,
		.fcm_port = a->fcm_port > 0 ? a->fcm_port : 0,
		.control_port = a->control_port > 0 ? a->control_port : 0,
		.adm_port = a->adm_port > 0 ? a->adm_port : 0,
		.wns_port = a->wns_port > 0 ? a->wns_port : 0,
		.baidu_port = a->baidu_port > 0 ? a->baidu_port : 0,
		.mpns_port = a->mpns_port > 0 ? a->mpns_port : 0,
		.force = a->force,
	};
	const char *dir = a->positional < argc ? argv[a->positional] : a->dir;
	char err[512];

	if (!dir) {
		fprintf(stderr,
			"herald-emulator init: which directory? (herald-emulator init DIR)\n");
		return 2;
	}
	if (settings_init_dir(dir, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "herald-emulator init: %s\n", err);
		return 1;
	}
	return 0;
}

/* ---- run ----------------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

/*
 * The rules file: an array of rules, or {"rules": [...], "faults": {...}}.
 * Loaded after the servers exist, since they say which providers take faults.
 */
static int load_rules_file(struct emu_state *st, const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *rules, *faults;
	char err[256];
	int rc = 0;

	if (!root) {
		fprintf(stderr, "herald-emulator: %s: %s (line %d)\n", path, jerr.text, jerr.line);
		return -1;
	}
	rules = json_is_object(root) ? json_object_get(root, "rules") : root;
	faults = json_is_object(root) ? json_object_get(root, "faults") : NULL;
	if (rules || !faults) /* a file with faults alone leaves the rules empty */
		rc = state_set_rules(st, rules, err, sizeof(err));
	if (rc == 0 && faults)
		rc = faults_set(state_faults(st), faults, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "herald-emulator: %s: %s\n", path, err);
	json_decref(root);
	return rc;
}

struct ports {
	int apns, fcm, control, adm, wns, baidu, mpns;
};

/* DIR/run.json tells the other sub-commands where the running emulator listens. */
static int write_run_file(const char *dir, const struct ports *p)
{
	char path[EMU_PATH_MAX], tmp[EMU_PATH_MAX + 8];
	json_t *obj = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "pid", (int)getpid(),
				"apns", p->apns, "fcm", p->fcm, "control", p->control, "adm",
				p->adm, "wns", p->wns, "baidu", p->baidu, "mpns", p->mpns);
	int rc = -1;

	if (obj && snprintf(path, sizeof(path), "%s/%s", dir, RUN_FILE) < (int)sizeof(path) &&
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) < (int)sizeof(tmp) &&
	    json_dump_file(obj, tmp, JSON_COMPACT) == 0 && rename(tmp, path) == 0)
		rc = 0;
	json_decref(obj);
	return rc;
}

static void remove_run_file(const char *dir)
{
	char path[EMU_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, RUN_FILE) < (int)sizeof(path))
		unlink(path);
}

static int cmd_run(const struct args *a)
{
	struct emu_config cfg;
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct emu_state *st = NULL;
	struct apns_server *apns = NULL;
	struct fcm_server *fcm = NULL;
	struct adm_server *adm = NULL;
	struct wns_server *wns = NULL;
	struct baidu_server *baidu = NULL;
	struct mpns_server *mpns = NULL;
	struct control *ctl = NULL;
	struct ports ports;
	char err[512];
	int rc = 1;

	if (!a->dir) {
		fprintf(stderr, "herald-emulator run: -d DIR is required\n");
		return 2;
	}
	if (settings_load(&cfg, a->dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "herald-emulator: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	st = state_new(a->max_records > 0 ? (size_t)a->max_records : 0);
	if (!base || !st) {
		fprintf(stderr, "herald-emulator: out of memory\n");
		goto out;
	}
	apns = apns_server_new(base, &cfg, st, a->apns_port >= 0 ? a->apns_port : cfg.apns_port,
			       err, sizeof(err));
	fcm = apns ? fcm_server_new(base, &cfg, st, a->fcm_port >= 0 ? a->fcm_port : cfg.fcm_port,
				    err, sizeof(err))
		   : NULL;
	adm = fcm ? adm_server_new(base, &cfg, st, a->adm_port >= 0 ? a->adm_port : cfg.adm_port,
				   err, sizeof(err))
		  : NULL;
	wns = adm ? wns_server_new(base, &cfg, st, a->wns_port >= 0 ? a->wns_port : cfg.wns_port,
				   err, sizeof(err))
		  : NULL;
	baidu = wns ? baidu_server_new(base, &cfg, st,
				       a->baidu_port >= 0 ? a->baidu_port : cfg.baidu_port, err,
				       sizeof(err))
		    : NULL;
	mpns = baidu ? mpns_server_new(base, &cfg, st,
				       a->mpns_port >= 0 ? a->mpns_port : cfg.mpns_port, err,
				       sizeof(err))
		     : NULL;
	ctl = mpns ? control_new(base, a->control_port >= 0 ? a->control_port : cfg.control_port,
				 st, fcm, err, sizeof(err))
		   : NULL;
	if (!ctl) {
		fprintf(stderr, "herald-emulator: %s\n", err);
		goto out;
	}
	control_set_token_servers(ctl, adm, wns);
	if (a->rules && load_rules_file(st, a->rules) != 0)
		goto out;
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) != 0 ||
	    evsignal_add(sigterm, NULL) != 0) {
		fprintf(stderr, "herald-emulator: cannot install signal handlers\n");
		goto out;
	}
	ports = (struct ports){apns_server_port(apns), fcm_server_port(fcm),
			       control_port(ctl),      adm_server_port(adm),
			       wns_server_port(wns),   baidu_server_port(baidu),
			       mpns_server_port(mpns)};
	if (write_run_file(a->dir, &ports) != 0)
		log_warning("cannot write %s/%s; give the other commands --control-port", a->dir,
			    RUN_FILE);
	/* One machine-readable line; scripts wait for it. */
	printf("ports apns=%d fcm=%d control=%d adm=%d wns=%d baidu=%d mpns=%d\n", ports.apns,
	       ports.fcm, ports.control, ports.adm, ports.wns, ports.baidu, ports.mpns);
	fflush(stdout);
	log_info("herald-emulator: serving from %s", a->dir);
	event_base_dispatch(base);
	remove_run_file(a->dir);
	rc = 0;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	control_free(ctl);
	mpns_server_free(mpns);
	baidu_server_free(baidu);
	wns_server_free(wns);
	adm_server_free(adm);
	fcm_server_free(fcm);
	apns_server_free(apns);
	state_free(st);
	if (base)
		event_base_free(base);
	settings_free(&cfg);
	return rc;
}

/* ---- jwt -------------------------------------------------------------------------- */

static int cmd_jwt(int argc, char **argv, const struct args *a)
{
	const char *which = a->positional < argc ? argv[a->positional] : NULL;
	long long now = a->iat >= 0 ? a->iat : (long long)time(NULL);
	json_t *hdr = NULL, *claims = NULL;
	struct emu_config cfg;
	char err[512], *tok = NULL;
	EVP_PKEY *key;
	int rc = 1;

	if (!which || (strcmp(which, "apns") != 0 && strcmp(which, "fcm") != 0) || !a->dir) {
		fprintf(stderr, "herald-emulator jwt: usage: jwt apns|fcm -d DIR\n");
		return 2;
	}
	if (settings_load(&cfg, a->dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "herald-emulator: %s\n", err);
		return 1;
	}
	if (strcmp(which, "apns") == 0) {
		key = cfg.apns_keys[0].key;
		hdr = json_pack("{s:s}", "kid", cfg.apns_keys[0].key_id);
		claims = json_pack("{s:s, s:I}", "iss", cfg.apns_keys[0].team_id, "iat",
				   (json_int_t)now);
	} else {
		key = cfg.fcm_key;
		hdr = json_pack("{s:s, s:s}", "typ", "JWT", "kid", cfg.fcm_key_id);
		claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", cfg.fcm_client_email,
				   "scope", "https://www.googleapis.com/auth/firebase.messaging",
				   "aud", a->aud ? a->aud : cfg.fcm_token_uri, "iat",
				   (json_int_t)now, "exp", (json_int_t)now + 3600);
	}
	if (key && hdr && claims && (tok = jwt_sign(key, hdr, claims))) {
		printf("%s\n", tok);
		rc = 0;
	} else {
		fprintf(stderr, "herald-emulator jwt: %s\n",
			key ? "signing failed" : "no key configured");
	}
	free(tok);
	json_decref(hdr);
	json_decref(claims);
	settings_free(&cfg);
	return rc;
}

/* ---- control-API clients -------------------------------------------------------------- */

static int find_control_port(const struct args *a)
{
	char path[EMU_PATH_MAX];
	json_t *run;
	int port;

	if (a->control_port > 0)
		return a->control_port;
	if (!a->dir) {
		fprintf(stderr, "herald-emulator: give -d DIR or --control-port N\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", a->dir, RUN_FILE);
	run = json_load_file(path, 0, NULL);
	if (!run || !json_is_integer(json_object_get(run, "control"))) {
		json_decref(run);
		fprintf(stderr,
			"herald-emulator: %s: not found; is `herald-emulator run -d %s` running?\n",
			path, a->dir);
		return -1;
	}
	port = (int)json_integer_value(json_object_get(run, "control"));
	json_decref(run);
	return port;
}

static char *read_stream(FILE *f)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap > CONTROL_MAX_BODY) {
				free(buf);
				return NULL;
			}
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int cmd_control(int argc, char **argv, const struct args *a, const char *cmd)
{
	char path[1024], err[256], *resp = NULL, *body = NULL, *tok = NULL;
	const char *method = "GET";
	int port = find_control_port(a), status;

	if (port < 0)
		return 1;
	if (strcmp(cmd, "requests") == 0) {
		int n = snprintf(path, sizeof(path), "/v1/requests?limit=%lld", a->limit);

		if (a->provider)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "&provider=%s",
				      a->provider);
		if (a->token && (tok = evhttp_encode_uri(a->token)))
			n += snprintf(path + n, sizeof(path) - (size_t)n, "&token=%s", tok);
		free(tok);
		if (n >= (int)sizeof(path)) {
			fprintf(stderr, "herald-emulator: arguments too long\n");
			return 2;
		}
	} else if (strcmp(cmd, "count") == 0) {
		snprintf(path, sizeof(path), "/v1/count");
	} else if (strcmp(cmd, "reset") == 0) {
		snprintf(path, sizeof(path), "/v1/reset");
		method = "POST";
	} else {
		const char *file = a->positional < argc ? argv[a->positional] : NULL;

		snprintf(path, sizeof(path), "/v1/%s", cmd); /* rules or faults */
		if (file) {
			FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");

			body = f ? read_stream(f) : NULL;
			if (f && f != stdin)
				fclose(f);
			if (!body) {
				fprintf(stderr, "herald-emulator: %s: cannot read\n", file);
				return 1;
			}
			method = "PUT";
		}
	}
	status = control_call(port, method, path, body, &resp, err, sizeof(err));
	free(body);
	if (status == 0) {
		fprintf(stderr, "herald-emulator: %s\n", err);
		free(resp);
		return 1;
	}
	fputs(resp ? resp : "", status == 200 ? stdout : stderr);
	free(resp);
	return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct args a;
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("herald-emulator %s\n", PACKAGE_VERSION);
		return 0;
	}
	cmd = argv[1];
	/*
	 * Options follow the command: parse argv[1..] with the command as
	 * argv[0]; getopt moves the other arguments to argv[a.positional..].
	 */
	argc--;
	argv++;
	if (parse_args(argc, argv, &a) != 0)
		return 2;
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv, &a);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&a);
	if (strcmp(cmd, "jwt") == 0)
		return cmd_jwt(argc, argv, &a);
	if (strcmp(cmd, "requests") == 0 || strcmp(cmd, "count") == 0 ||
	    strcmp(cmd, "reset") == 0 || strcmp(cmd, "rules") == 0 || strcmp(cmd, "faults") == 0)
		return cmd_control(argc, argv, &a, cmd);
	fprintf(stderr, "herald-emulator: unknown command %s\n", cmd);
	usage(stderr);
	return 2;
}
