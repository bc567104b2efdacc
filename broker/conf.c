/*
 * herald.conf: libconfig syntax over built-in defaults; see conf.h.
 *
 * Every setting in the file is walked and matched against one table of known
 * keys, so that a misspelt key is an error rather than silently ignored (a
 * typo in "durability" must not quietly leave a broker without fsync).  The
 * first problem found is reported as "FILE:LINE: reason".  User and group
 * names are resolved here, at load time, so that a reload with an unknown
 * name is refused before anything changes.
 *
 * The loaded struct conf owns all its strings and lists; conf_free() frees
 * them.  No global state: safe to call from any thread.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "broker/conf.h"
#include "common/log.h"
#include "common/paths.h"

#define CONF_MAX_FRAME_MIN     4096u
#define CONF_MAX_FRAME_MAX     (64u << 20)
#define CONF_MAX_CLIENTS_MAX   65536u
#define CONF_COMMIT_BATCH_MAX  100000u
#define CONF_HTTP_MAX_BODY_MIN 1024u
#define CONF_HTTP_MAX_BODY_MAX (64u << 20)
#define CONF_ACCESS_KEYS_MAX   1024
#define CONF_PATH_MAX	       4096u
#define CONF_REGION_MAX	       32u
#define CONF_DRIVER_DIRS_MAX   16u
#define CONF_SOCKET_PATH_MAX   (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct conf_loader {
	struct conf *conf;
	const char *path;
	const char *incdir; /* directory @include names are relative to, or NULL */
	char *err;
	bool db_set, key_set; /* else derived from state.dir */
};

typedef int (*conf_set_fn)(struct conf_loader *ld, const config_setting_t *s);

struct conf_key {
	const char *group; /* NULL: top level */
	const char *name;
	conf_set_fn set;
};

/*
 * The file a setting came from as a user can find it: libconfig records an
 * @include'd file by the name written in the directive, relative to incdir.
 */
static void conf_free_access_keys(struct conf *c)
{
	for (size_t i = 0; c->access_keys && i < c->n_access_keys; i++) {
		free(c->access_keys[i].id);
		if (c->access_keys[i].secret)
			explicit_bzero(c->access_keys[i].secret, strlen(c->access_keys[i].secret));
		free(c->access_keys[i].secret);
	}
	free(c->access_keys);
	c->access_keys = NULL;
	c->n_access_keys = 0;
}

static void conf_file_name(const struct conf_loader *ld, const char *file, char *buf, size_t n)
{
	if (!file)
		file = ld->path;
	if (!file)
		snprintf(buf, n, "%s", "");
	else if (file[0] != '/' && ld->incdir && (!ld->path || strcmp(file, ld->path)))
		snprintf(buf, n, "%s/%s", ld->incdir, file);
	else
		snprintf(buf, n, "%s", file);
}

/* "FILE:LINE: reason" for setting s (or the file alone when s is NULL); returns -1. */
__attribute__((format(printf, 3, 4))) static int
conf_fail(struct conf_loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char reason[512], file[CONF_PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	free(ld->err);
	conf_file_name(ld, s ? s->file : NULL, file, sizeof(file));
	if (*file && s && s->line)
		n = asprintf(&ld->err, "%s:%u: %s", file, s->line, reason);
	else if (*file)
		n = asprintf(&ld->err, "%s: %s", file, reason);
	else
		n = asprintf(&ld->err, "%s", reason);
	if (n < 0)
		ld->err = NULL;
	return -1;
}

static const char *conf_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

/* "state.dir" or "region": the name a user wrote, for messages. */
static const char *conf_key_name(const config_setting_t *s, char *buf, size_t n)
{
	const config_setting_t *parent = config_setting_parent(s);

	if (parent && !config_setting_is_root(parent) && config_setting_name(parent))
		snprintf(buf, n, "%s.%s", config_setting_name(parent), config_setting_name(s));
	else
		snprintf(buf, n, "%s", config_setting_name(s));
	return buf;
}

static int conf_get_string(struct conf_loader *ld, const config_setting_t *s, const char **out)
{
	char key[128];

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_fail(ld, s, "%s must be a string, not %s",
				 conf_key_name(s, key, sizeof(key)), conf_type_name(s));
	*out = config_setting_get_string(s);
	return 0;
}

static int conf_get_uint(struct conf_loader *ld, const config_setting_t *s, unsigned long long min,
			 unsigned long long max, unsigned long long *out)
{
	char key[128];
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return conf_fail(ld, s, "%s must be an integer, not %s",
				 conf_key_name(s, key, sizeof(key)), conf_type_name(s));
	v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long)v < min || (unsigned long long)v > max)
		return conf_fail(ld, s, "%s must be between %llu and %llu, not %lld",
				 conf_key_name(s, key, sizeof(key)), min, max, v);
	*out = (unsigned long long)v;
	return 0;
}

/* Replace *field with a copy of the string setting s (non-empty, bounded). */
static int conf_set_str(struct conf_loader *ld, const config_setting_t *s, char **field, size_t max)
{
	char key[128];
	const char *v = NULL;
	char *copy;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (!*v)
		return conf_fail(ld, s, "%s must not be empty", conf_key_name(s, key, sizeof(key)));
	if (strlen(v) > max)
		return conf_fail(ld, s, "%s is too long (at most %zu bytes)",
				 conf_key_name(s, key, sizeof(key)), max);
	copy = strdup(v);
	if (!copy)
		return conf_fail(ld, s, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int conf_set_region(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;
	size_t n;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	n = strlen(v);
	/* It appears in every ARN: lowercase letters, digits and inner dashes, as AWS's. */
	if (n == 0 || n > CONF_REGION_MAX ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != n || v[0] == '-' ||
	    v[n - 1] == '-' || strstr(v, "--"))
		return conf_fail(ld, s,
				 "region \"%.64s\" is not a region name (lowercase letters, digits "
				 "and '-', like \"us-east-1\")",
				 v);
	return conf_set_str(ld, s, &ld->conf->region, CONF_REGION_MAX);
}

static int conf_set_account(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (strlen(v) != 12 || strspn(v, "0123456789") != 12)
		return conf_fail(ld, s, "account \"%.64s\" must be exactly 12 digits", v);
	return conf_set_str(ld, s, &ld->conf->account, 12);
}

static int conf_set_log_level(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;
	int level;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	level = log_level_parse(v);
	if (level < 0)
		return conf_fail(ld, s,
				 "log_level \"%.64s\" is not one of debug, info, notice, warning, "
				 "err, crit",
				 v);
	ld->conf->log_level = level;
	return 0;
}

static int conf_set_state_dir(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_str(ld, s, &ld->conf->state_dir, CONF_PATH_MAX);
}

static int conf_set_db(struct conf_loader *ld, const config_setting_t *s)
{
	ld->db_set = true;
	return conf_set_str(ld, s, &ld->conf->db_path, CONF_PATH_MAX);
}

static int conf_set_key_file(struct conf_loader *ld, const config_setting_t *s)
{
	ld->key_set = true;
	return conf_set_str(ld, s, &ld->conf->key_file, CONF_PATH_MAX);
}

static int conf_set_durability(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (strcmp(v, "full") == 0)
		ld->conf->durability = CONF_DURABILITY_FULL;
	else if (strcmp(v, "process") == 0)
		ld->conf->durability = CONF_DURABILITY_PROCESS;
	else
		return conf_fail(ld, s,
				 "state.durability must be \"full\" or \"process\", not \"%.64s\"",
				 v);
	return 0;
}

static int conf_set_commit_max_batch(struct conf_loader *ld, const config_setting_t *s)
{
	unsigned long long v;

	if (conf_get_uint(ld, s, 1, CONF_COMMIT_BATCH_MAX, &v) < 0)
		return -1;
	ld->conf->commit_max_batch = (unsigned int)v;
	return 0;
}

static int conf_set_socket_path(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_str(ld, s, &ld->conf->socket_path, CONF_SOCKET_PATH_MAX);
}

/*
 * A string of octal digits ("0660"), or an integer whose decimal digits are
 * read as octal (libconfig has no octal literals: mode = 0660 arrives as 660).
 */
static int conf_set_socket_mode(struct conf_loader *ld, const config_setting_t *s)
{
	char buf[32];
	const char *v = NULL;
	char *end;
	unsigned long mode;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(s));
		v = buf;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
	} else {
		return conf_fail(ld, s,
				 "socket.mode must be a string of octal digits like \"0660\", "
				 "not %s",
				 conf_type_name(s));
	}
	errno = 0;
	mode = strtoul(v, &end, 8);
	if (!*v || *end || errno || strspn(v, "01234567") != strlen(v) || mode > 0777)
		return conf_fail(ld, s,
				 "socket.mode \"%.32s\" is not a file mode (octal, 0000 to 0777, "
				 "like \"0660\")",
				 v);
	ld->conf->socket_mode = (mode_t)mode;
	return 0;
}

/* Resolve a user (group when is_group) name, or a numeric id, to an id. */
static int conf_resolve(const char *name, bool is_group, unsigned int *id)
{
	long bufsize = sysconf(is_group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	char *buf = NULL;
	int rc = -1;

	if (*name && strspn(name, "0123456789") == strlen(name) && strlen(name) < 10) {
		*id = (unsigned int)strtoul(name, NULL, 10);
		return 0;
	}
	if (bufsize < 1024)
		bufsize = 16384;
	for (int tries = 0; tries < 6; tries++, bufsize *= 4) {
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;
		int e;

		free(buf);
		buf = malloc((size_t)bufsize);
		if (!buf)
			break;
		if (is_group)
			e = getgrnam_r(name, &gr, buf, (size_t)bufsize, &grp);
		else
			e = getpwnam_r(name, &pw, buf, (size_t)bufsize, &pwp);
		if (e == ERANGE)
			continue;
		if (is_group && grp) {
			*id = (unsigned int)grp->gr_gid;
			rc = 0;
		} else if (!is_group && pwp) {
			*id = (unsigned int)pwp->pw_uid;
			rc = 0;
		}
		break;
	}
	free(buf);
	return rc;
}

static int conf_set_socket_group(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;
	unsigned int gid;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (*v && conf_resolve(v, true, &gid) < 0)
		return conf_fail(ld, s, "unknown group \"%.64s\" in socket.group", v);
	/* "" means the daemon's own group, like leaving it out. */
	if (!*v) {
		free(ld->conf->socket_group);
		ld->conf->socket_group = NULL;
		return 0;
	}
	return conf_set_str(ld, s, &ld->conf->socket_group, 256);
}

static int conf_set_max_frame(struct conf_loader *ld, const config_setting_t *s)
{
	unsigned long long v;

	if (conf_get_uint(ld, s, CONF_MAX_FRAME_MIN, CONF_MAX_FRAME_MAX, &v) < 0)
		return -1;
	ld->conf->max_frame = (size_t)v;
	return 0;
}

static int conf_set_max_clients(struct conf_loader *ld, const config_setting_t *s)
{
	unsigned long long v;

	if (conf_get_uint(ld, s, 1, CONF_MAX_CLIENTS_MAX, &v) < 0)
		return -1;
	ld->conf->max_clients = (unsigned int)v;
	return 0;
}

/* An array or list of user (group) names or numeric ids. */
static int conf_set_idlist(struct conf_loader *ld, const config_setting_t *s,
			   struct conf_idlist *list, bool is_group)
{
	char key[128];
	int n = config_setting_length(s);
	unsigned int *ids = NULL;

	conf_key_name(s, key, sizeof(key));
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return conf_fail(ld, s, "%s must be an array of %s names like [\"%s\"], not %s",
				 key, is_group ? "group" : "user", is_group ? "herald" : "root",
				 conf_type_name(s));
	if (n > 0 && !(ids = calloc((size_t)n, sizeof(*ids))))
		return conf_fail(ld, s, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const config_setting_t *at = e->line ? e : s;

		if (config_setting_type(e) == CONFIG_TYPE_INT ||
		    config_setting_type(e) == CONFIG_TYPE_INT64) {
			long long v = config_setting_get_int64(e);

			if (v < 0 || v > 0xfffffffeLL) {
				free(ids);
				return conf_fail(ld, at, "%s: %lld is not a %s id", key, v,
						 is_group ? "group" : "user");
			}
			ids[i] = (unsigned int)v;
		} else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			const char *name = config_setting_get_string(e);

			if (conf_resolve(name, is_group, &ids[i]) < 0) {
				free(ids);
				return conf_fail(ld, at, "unknown %s \"%.64s\" in %s",
						 is_group ? "group" : "user", name, key);
			}
		} else {
			free(ids);
			return conf_fail(ld, at, "%s must hold %s names, not %s", key,
					 is_group ? "group" : "user", conf_type_name(e));
		}
	}
	free(list->ids);
	list->ids = ids;
	list->n = (size_t)n;
	return 0;
}

static int conf_set_admin_users(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_idlist(ld, s, &ld->conf->admin_users, false);
}

static int conf_set_admin_groups(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_idlist(ld, s, &ld->conf->admin_groups, true);
}

static int conf_set_publish_users(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_idlist(ld, s, &ld->conf->publish_users, false);
}

static int conf_set_publish_groups(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_idlist(ld, s, &ld->conf->publish_groups, true);
}

static int conf_get_bool(struct conf_loader *ld, const config_setting_t *s, bool *out)
{
	char key[128];

	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_fail(ld, s, "%s must be true or false, not %s",
				 conf_key_name(s, key, sizeof(key)), conf_type_name(s));
	*out = config_setting_get_bool(s);
	return 0;
}

static int conf_set_http_enabled(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_get_bool(ld, s, &ld->conf->http_enabled);
}

static int conf_set_http_address(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_str(ld, s, &ld->conf->http_address, 255);
}

static int conf_set_http_port(struct conf_loader *ld, const config_setting_t *s)
{
	unsigned long long v;

	if (conf_get_uint(ld, s, 0, 65535, &v) < 0)
		return -1;
	ld->conf->http_port = (unsigned int)v;
	return 0;
}

static int conf_set_http_allow_unsigned(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_get_bool(ld, s, &ld->conf->http_allow_unsigned);
}

static int conf_set_http_max_body(struct conf_loader *ld, const config_setting_t *s)
{
	unsigned long long v;

	if (conf_get_uint(ld, s, CONF_HTTP_MAX_BODY_MIN, CONF_HTTP_MAX_BODY_MAX, &v) < 0)
		return -1;
	ld->conf->http_max_body = (size_t)v;
	return 0;
}

static int conf_set_http_tls(struct conf_loader *ld, const config_setting_t *s)
{
	char **field = !strcmp(config_setting_name(s), "tls_cert") ? &ld->conf->http_tls_cert
								   : &ld->conf->http_tls_key;
	const char *v = NULL;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (!*v) { /* "" is the documented "no TLS" */
		free(*field);
		*field = NULL;
		return 0;
	}
	return conf_set_str(ld, s, field, CONF_PATH_MAX);
}

/* One { id = "..."; secret = "..."; role = "admin" | "publish"; } of http.access_keys. */
static int conf_access_key(struct conf_loader *ld, const config_setting_t *e,
			   struct conf_access_key *k)
{
	const config_setting_t *c;
	const char *v = NULL;
	int m;

	if (!config_setting_is_group(e))
		return conf_fail(ld, e,
				 "http.access_keys entries must be groups like { id = \"...\"; "
				 "secret = \"...\"; role = \"admin\"; }, not %s",
				 conf_type_name(e));
	k->role = 2; /* OP_ROLE_ADMIN */
	m = config_setting_length(e);
	for (int j = 0; j < m; j++) {
		c = config_setting_get_elem(e, (unsigned int)j);
		if (conf_get_string(ld, c, &v) < 0)
			return -1;
		if (!strcmp(config_setting_name(c), "id")) {
			if (!*v || strlen(v) > 128 ||
			    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(v))
				return conf_fail(ld, c,
						 "http.access_keys id must be 1 to 128 letters "
						 "and digits");
			free(k->id);
			if (!(k->id = strdup(v)))
				return conf_fail(ld, c, "out of memory");
		} else if (!strcmp(config_setting_name(c), "secret")) {
			/* the value itself never goes into a message */
			if (strlen(v) < 16 || strlen(v) > 128)
				return conf_fail(ld, c,
						 "http.access_keys secret must be 16 to 128 "
						 "characters long");
			free(k->secret);
			if (!(k->secret = strdup(v)))
				return conf_fail(ld, c, "out of memory");
		} else if (!strcmp(config_setting_name(c), "role")) {
			if (!strcmp(v, "admin"))
				k->role = 2;
			else if (!strcmp(v, "publish"))
				k->role = 1;
			else
				return conf_fail(ld, c,
						 "http.access_keys role must be \"admin\" or "
						 "\"publish\", not \"%.32s\"",
						 v);
		} else {
			return conf_fail(ld, c, "unknown key '%s' in http.access_keys",
					 config_setting_name(c));
		}
	}
	if (!k->id || !k->secret)
		return conf_fail(ld, e, "http.access_keys entries need an id and a secret");
	return 0;
}

static int conf_set_http_access_keys(struct conf_loader *ld, const config_setting_t *s)
{
	struct conf *c = ld->conf;
	int n;

	if (!config_setting_is_list(s))
		return conf_fail(ld, s,
				 "http.access_keys must be a list like ( { id = \"...\"; secret = "
				 "\"...\"; role = \"admin\"; } ), not %s",
				 conf_type_name(s));
	n = config_setting_length(s);
	if (n > CONF_ACCESS_KEYS_MAX)
		return conf_fail(ld, s, "http.access_keys has more than %d keys",
				 CONF_ACCESS_KEYS_MAX);
	conf_free_access_keys(c);
	c->access_keys = calloc((size_t)n + 1, sizeof(*c->access_keys));
	if (!c->access_keys)
		return conf_fail(ld, s, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		c->n_access_keys++;
		if (conf_access_key(ld, e, &c->access_keys[i]) < 0)
			return -1;
		for (int j = 0; j < i; j++)
			if (!strcmp(c->access_keys[j].id, c->access_keys[i].id))
				return conf_fail(ld, e, "http.access_keys: id %s appears twice",
						 c->access_keys[i].id);
	}
	return 0;
}

static void conf_free_dirs(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

/* drivers.dirs: absolute directory paths; [] loads no driver at all. */
static int conf_set_driver_dirs(struct conf_loader *ld, const config_setting_t *s)
{
	int n = config_setting_length(s);
	char **dirs = NULL;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return conf_fail(ld, s,
				 "drivers.dirs must be an array of directories like "
				 "[\"/usr/lib/herald/drivers-abi1\"], not %s",
				 conf_type_name(s));
	if (n > (int)CONF_DRIVER_DIRS_MAX)
		return conf_fail(ld, s, "drivers.dirs has %d directories; at most %u", n,
				 CONF_DRIVER_DIRS_MAX);
	if (n > 0 && !(dirs = calloc((size_t)n, sizeof(*dirs))))
		return conf_fail(ld, s, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const config_setting_t *at = e->line ? e : s;
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_free_dirs(dirs, (size_t)n);
			return conf_fail(ld, at, "drivers.dirs must hold directory names, not %s",
					 conf_type_name(e));
		}
		v = config_setting_get_string(e);
		if (v[0] != '/' || strlen(v) > CONF_PATH_MAX) {
			conf_free_dirs(dirs, (size_t)n);
			return conf_fail(ld, at,
					 "drivers.dirs: \"%.64s\" is not an absolute path of at "
					 "most %u bytes",
					 v, CONF_PATH_MAX);
		}
		if (!(dirs[i] = strdup(v))) {
			conf_free_dirs(dirs, (size_t)n);
			return conf_fail(ld, s, "out of memory");
		}
	}
	conf_free_dirs(ld->conf->driver_dirs, ld->conf->n_driver_dirs);
	ld->conf->driver_dirs = dirs;
	ld->conf->n_driver_dirs = (size_t)n;
	return 0;
}

static int conf_set_driver_ca_file(struct conf_loader *ld, const config_setting_t *s)
{
	const char *v = NULL;

	if (conf_get_string(ld, s, &v) < 0)
		return -1;
	if (!*v) {
		free(ld->conf->driver_ca_file);
		ld->conf->driver_ca_file = NULL;
		return 0;
	}
	return conf_set_str(ld, s, &ld->conf->driver_ca_file, CONF_PATH_MAX);
}

/*
 * drivers.NAME = { key = value; ... }: settings for driver NAME, scalars only,
 * kept as strings for the driver (herald_app_config.options).
 */
static int conf_set_driver_options(struct conf_loader *ld, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	int n = config_setting_length(s);
	json_t *opts = json_object();
	char num[64];

	if (strlen(name) > 32 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name)) {
		json_decref(opts);
		return conf_fail(ld, s, "drivers.%s: a driver name is [a-z0-9_-], 1 to 32 bytes",
				 name);
	}
	for (int i = 0; opts && i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = num;

		switch (config_setting_type(e)) {
		case CONFIG_TYPE_STRING:
			v = config_setting_get_string(e);
			break;
		case CONFIG_TYPE_INT:
			snprintf(num, sizeof(num), "%d", config_setting_get_int(e));
			break;
		case CONFIG_TYPE_INT64:
			snprintf(num, sizeof(num), "%lld", config_setting_get_int64(e));
			break;
		case CONFIG_TYPE_FLOAT:
			snprintf(num, sizeof(num), "%g", config_setting_get_float(e));
			break;
		case CONFIG_TYPE_BOOL:
			v = config_setting_get_bool(e) ? "true" : "false";
			break;
		default:
			json_decref(opts);
			return conf_fail(
				ld, e, "drivers.%s.%s must be a string, number or boolean, not %s",
				name, config_setting_name(e), conf_type_name(e));
		}
		if (json_object_set_new(opts, config_setting_name(e), json_string(v)) < 0) {
			json_decref(opts);
			opts = NULL;
		}
	}
	if (!opts || json_object_set_new(ld->conf->driver_options, name, opts) < 0)
		return conf_fail(ld, s, "out of memory");
	return 0;
}

/* delivery.*: the numeric settings, each with its bounds. */
static const struct conf_delivery_uint {
	const char *name;
	size_t offset;
	unsigned int min, max;
} conf_delivery_uints[] = {
#define CONF_DLV(name, min, max)                                      \
	{                                                             \
#name, offsetof(struct conf_delivery, name), min, max \
	}
	CONF_DLV(in_flight_per_app, 1, 1000000), CONF_DLV(immediate_retries, 0, 100),
	CONF_DLV(min_delay_retries, 0, 100),	 CONF_DLV(backoff_retries, 0, 100),
	CONF_DLV(max_delay_retries, 0, 1000),	 CONF_DLV(min_delay_ms, 1, 86400000),
	CONF_DLV(max_delay_ms, 1, 86400000),	 CONF_DLV(credential_retry_ms, 1, 86400000),
	CONF_DLV(fanout_window, 1, 1000000),	 CONF_DLV(default_ttl_s, 0, 28 * 24 * 3600),
	CONF_DLV(drain_ms, 0, 600000),		 CONF_DLV(max_queued_per_app, 1, 100000000),
	CONF_DLV(rate_per_app, 0, 10000000),	 CONF_DLV(max_fanouts, 1, 100000),
#undef CONF_DLV
};

static int conf_set_delivery_uint(struct conf_loader *ld, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	unsigned long long v;

	for (size_t i = 0; i < sizeof(conf_delivery_uints) / sizeof(conf_delivery_uints[0]); i++) {
		const struct conf_delivery_uint *k = &conf_delivery_uints[i];

		if (strcmp(name, k->name))
			continue;
		if (conf_get_uint(ld, s, k->min, k->max, &v) < 0)
			return -1;
		*(unsigned int *)((char *)&ld->conf->delivery + k->offset) = (unsigned int)v;
		return 0;
	}
	return conf_fail(ld, s, "unknown key '%s' in group 'delivery'", name);
}

static int conf_set_status_log(struct conf_loader *ld, const config_setting_t *s)
{
	return conf_set_str(ld, s, &ld->conf->delivery.status_log, CONF_PATH_MAX);
}

static void conf_free_apps(struct conf_delivery *c)
{
	for (size_t i = 0; i < c->n_apps; i++) {
		free(c->apps[i].name);
		free(c->apps[i].platform);
	}
	free(c->apps);
	c->apps = NULL;
	c->n_apps = 0;
}

/* One delivery.apps entry: { name = "..."; platform = "..."; rate = N; }. */
static int conf_app_entry(struct conf_loader *ld, const config_setting_t *e, struct conf_app *app)
{
	int m = config_setting_length(e);
	unsigned long long v;

	if (!config_setting_is_group(e))
		return conf_fail(ld, e,
				 "delivery.apps entries are groups like { name = \"myapp\"; rate = "
				 "100; }, not %s",
				 conf_type_name(e));
	for (int j = 0; j < m; j++) {
		const config_setting_t *c = config_setting_get_elem(e, (unsigned int)j);
		const char *key = config_setting_name(c), *v_str = NULL;
		char **field = NULL;

		if (!strcmp(key, "rate")) {
			if (conf_get_uint(ld, c, 0, 10000000, &v) < 0)
				return -1;
			app->rate = (unsigned int)v;
			continue;
		}
		if (!strcmp(key, "name"))
			field = &app->name;
		else if (!strcmp(key, "platform"))
			field = &app->platform;
		else
			return conf_fail(ld, c, "unknown key '%s' in delivery.apps", key);
		if (config_setting_type(c) != CONFIG_TYPE_STRING ||
		    !*(v_str = config_setting_get_string(c)) || strlen(v_str) > 256)
			return conf_fail(
				ld, c, "delivery.apps %s must be a string of 1 to 256 bytes", key);
		free(*field);
		if (!(*field = strdup(v_str)))
			return conf_fail(ld, c, "out of memory");
	}
	if (!app->name)
		return conf_fail(ld, e, "delivery.apps entries need a name");
	return 0;
}

/* delivery.apps = ( { name = "..."; platform = "APNS"; rate = N; }, ... ): per application settings. */
static int conf_set_delivery_apps(struct conf_loader *ld, const config_setting_t *s)
{
	struct conf_delivery *c = &ld->conf->delivery;
	int n = config_setting_length(s);

	if (!config_setting_is_list(s))
		return conf_fail(ld, s,
				 "delivery.apps must be a list like ( { name = \"myapp\"; rate = "
				 "100; } ), not %s",
				 conf_type_name(s));
	conf_free_apps(c);
	if (n > 0 && !(c->apps = calloc((size_t)n, sizeof(*c->apps))))
		return conf_fail(ld, s, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		c->n_apps++;
		if (conf_app_entry(ld, e, &c->apps[i]) < 0)
			return -1;
	}
	return 0;
}

unsigned int conf_app_rate(const struct conf_delivery *c, const char *platform, const char *name)
{
	const struct conf_app *any = NULL;

	for (size_t i = 0; i < c->n_apps; i++) {
		const struct conf_app *a = &c->apps[i];

		if (strcmp(a->name, name))
			continue;
		if (a->platform && platform && !strcmp(a->platform, platform))
			return a->rate;
		if (!a->platform && !any)
			any = a;
	}
	return any ? any->rate : c->rate_per_app;
}

static const char *const conf_groups[] = {"state", "socket",  "access",
					  "http",  "drivers", "delivery"};

static const struct conf_key conf_keys[] = {
	{NULL, "region", conf_set_region},
	{NULL, "account", conf_set_account},
	{NULL, "log_level", conf_set_log_level},
	{"state", "dir", conf_set_state_dir},
	{"state", "db", conf_set_db},
	{"state", "key_file", conf_set_key_file},
	{"state", "durability", conf_set_durability},
	{"state", "commit_max_batch", conf_set_commit_max_batch},
	{"socket", "path", conf_set_socket_path},
	{"socket", "mode", conf_set_socket_mode},
	{"socket", "group", conf_set_socket_group},
	{"socket", "max_frame", conf_set_max_frame},
	{"socket", "max_clients", conf_set_max_clients},
	{"access", "admin_users", conf_set_admin_users},
	{"access", "admin_groups", conf_set_admin_groups},
	{"access", "publish_users", conf_set_publish_users},
	{"access", "publish_groups", conf_set_publish_groups},
	{"http", "enabled", conf_set_http_enabled},
	{"http", "address", conf_set_http_address},
	{"http", "port", conf_set_http_port},
	{"http", "allow_unsigned", conf_set_http_allow_unsigned},
	{"http", "max_body", conf_set_http_max_body},
	{"http", "access_keys", conf_set_http_access_keys},
	{"http", "tls_cert", conf_set_http_tls},
	{"http", "tls_key", conf_set_http_tls},
	{"drivers", "dirs", conf_set_driver_dirs},
	{"drivers", "ca_file", conf_set_driver_ca_file},
	{"delivery", "status_log", conf_set_status_log},
	{"delivery", "in_flight_per_app", conf_set_delivery_uint},
	{"delivery", "immediate_retries", conf_set_delivery_uint},
	{"delivery", "min_delay_retries", conf_set_delivery_uint},
	{"delivery", "backoff_retries", conf_set_delivery_uint},
	{"delivery", "max_delay_retries", conf_set_delivery_uint},
	{"delivery", "min_delay_ms", conf_set_delivery_uint},
	{"delivery", "max_delay_ms", conf_set_delivery_uint},
	{"delivery", "credential_retry_ms", conf_set_delivery_uint},
	{"delivery", "fanout_window", conf_set_delivery_uint},
	{"delivery", "default_ttl_s", conf_set_delivery_uint},
	{"delivery", "drain_ms", conf_set_delivery_uint},
	{"delivery", "max_queued_per_app", conf_set_delivery_uint},
	{"delivery", "rate_per_app", conf_set_delivery_uint},
	{"delivery", "max_fanouts", conf_set_delivery_uint},
	{"delivery", "apps", conf_set_delivery_apps},
};

static const struct conf_key *conf_key_find(const char *group, const char *name)
{
	for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		const struct conf_key *k = &conf_keys[i];

		if (((!group && !k->group) || (group && k->group && !strcmp(group, k->group))) &&
		    !strcmp(name, k->name))
			return k;
	}
	return NULL;
}

static bool conf_is_group_name(const char *name)
{
	for (size_t i = 0; i < sizeof(conf_groups) / sizeof(conf_groups[0]); i++)
		if (!strcmp(name, conf_groups[i]))
			return true;
	return false;
}

static int conf_walk(struct conf_loader *ld, const config_setting_t *root)
{
	int n = config_setting_length(root);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned int)i);
		const char *name = config_setting_name(s);
		const struct conf_key *k;

		if (conf_is_group_name(name)) {
			int m = config_setting_length(s);

			if (!config_setting_is_group(s))
				return conf_fail(ld, s,
						 "%s must be a group like %s: { ... };, not %s",
						 name, name, conf_type_name(s));
			for (int j = 0; j < m; j++) {
				const config_setting_t *c =
					config_setting_get_elem(s, (unsigned int)j);

				if (!strcmp(name, "drivers") && config_setting_is_group(c)) {
					if (conf_set_driver_options(ld, c) < 0)
						return -1;
					continue;
				}
				k = conf_key_find(name, config_setting_name(c));
				if (!k)
					return conf_fail(ld, c, "unknown key '%s' in group '%s'",
							 config_setting_name(c), name);
				if (k->set(ld, c) < 0)
					return -1;
			}
			continue;
		}
		k = conf_key_find(NULL, name);
		if (!k)
			return conf_fail(ld, s, "unknown key '%s'", name);
		if (k->set(ld, s) < 0)
			return -1;
	}
	return 0;
}

static char *conf_join(const char *dir, const char *file)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return NULL;
	return p;
}

static int conf_defaults(struct conf_loader *ld)
{
	struct conf *c = ld->conf;

	c->region = strdup("us-east-1");
	c->account = strdup("000000000000");
	c->state_dir = paths_default_state_dir();
	c->durability = CONF_DURABILITY_FULL;
	c->commit_max_batch = 1000;
	c->socket_path = paths_default_socket();
	c->socket_mode = 0660;
	c->max_frame = 1u << 20;
	c->max_clients = 1024;
	c->log_level = LOG_INFO;
	c->delivery = (struct conf_delivery){
		.in_flight_per_app = 1000,
		.immediate_retries = 0,
		.min_delay_retries = 2,
		.backoff_retries = 10,
		.max_delay_retries = 38,
		.min_delay_ms = 10000,
		.max_delay_ms = 600000,
		.credential_retry_ms = 60000,
		.fanout_window = 2000,
		.default_ttl_s = 28 * 24 * 3600,
		.drain_ms = 5000,
		.max_queued_per_app = 10000,
		.max_fanouts = 100,
	};
	c->http_address = strdup("127.0.0.1");
	c->http_port = 9911;
	c->http_max_body = 1u << 20;
	c->driver_dirs = calloc(1, sizeof(*c->driver_dirs));
	if (!c->driver_dirs || !(c->driver_dirs[0] = strdup(DRIVERDIR)))
		return conf_fail(ld, NULL, "out of memory");
	c->n_driver_dirs = 1;
	if (!(c->driver_options = json_object()))
		return conf_fail(ld, NULL, "out of memory");
	if (!c->http_address || !c->region || !c->account || !c->state_dir || !c->socket_path)
		return conf_fail(ld, NULL, "out of memory");
	return 0;
}

/* Derived defaults and checks that involve more than one key. */
static int conf_finish(struct conf_loader *ld)
{
	struct conf *c = ld->conf;

	if (!ld->db_set) {
		free(c->db_path);
		c->db_path = conf_join(c->state_dir, "herald.db");
	}
	if (!ld->key_set) {
		free(c->key_file);
		c->key_file = conf_join(c->state_dir, "seal.key");
	}
	if (!c->db_path || !c->key_file)
		return conf_fail(ld, NULL, "out of memory");
	if (c->delivery.min_delay_ms > c->delivery.max_delay_ms)
		return conf_fail(ld, NULL,
				 "delivery.min_delay_ms (%u) must not exceed delivery.max_delay_ms "
				 "(%u)",
				 c->delivery.min_delay_ms, c->delivery.max_delay_ms);
	if (!c->http_tls_cert != !c->http_tls_key)
		return conf_fail(
			ld, NULL,
			"http.tls_cert and http.tls_key must be set together (or neither)");
	/* A default socket path (from $XDG_RUNTIME_DIR) can be too long too. */
	if (strlen(c->socket_path) > CONF_SOCKET_PATH_MAX)
		return conf_fail(
			ld, NULL,
			"socket path %s is too long for a Unix socket (at most %zu bytes); "
			"set socket.path",
			c->socket_path, CONF_SOCKET_PATH_MAX);
	return 0;
}

static int conf_read(struct conf_loader *ld, const char *path)
{
	config_t cf;
	char *dir = NULL, *slash;
	FILE *f;
	int rc = -1;

	/* libconfig says only "file I/O error"; say why. */
	f = fopen(path, "r");
	if (!f)
		return conf_fail(ld, NULL, "%s", strerror(errno));
	fclose(f);

	config_init(&cf);
	/* @include "x.conf" is relative to the including file, not to our cwd. */
	dir = strdup(path);
	if (!dir) {
		conf_fail(ld, NULL, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash) {
		slash[slash == dir ? 1 : 0] = '\0';
		config_set_include_dir(&cf, dir);
		ld->incdir = dir;
	}
	if (!config_read_file(&cf, path)) {
		char file[CONF_PATH_MAX + 256];

		conf_file_name(ld, config_error_file(&cf), file, sizeof(file));
		free(ld->err);
		if (asprintf(&ld->err, "%s:%d: %s", file, config_error_line(&cf),
			     config_error_text(&cf)) < 0)
			ld->err = NULL;
		goto out;
	}
	rc = conf_walk(ld, config_root_setting(&cf));
out:
	config_destroy(&cf);
	ld->incdir = NULL;
	free(dir);
	return rc;
}

struct conf *conf_load(const char *path, char **err)
{
	struct conf_loader ld = {.path = path};

	*err = NULL;
	ld.conf = calloc(1, sizeof(*ld.conf));
	if (!ld.conf) {
		*err = strdup("out of memory");
		return NULL;
	}
	if (path && !(ld.conf->path = strdup(path))) {
		conf_fail(&ld, NULL, "out of memory");
		goto fail;
	}
	if (conf_defaults(&ld) < 0)
		goto fail;
	if (path && conf_read(&ld, path) < 0)
		goto fail;
	if (conf_finish(&ld) < 0)
		goto fail;
	return ld.conf;
fail:
	conf_free(ld.conf);
	*err = ld.err ? ld.err : strdup("out of memory");
	return NULL;
}

void conf_free(struct conf *conf)
{
	if (!conf)
		return;
	free(conf->path);
	free(conf->region);
	free(conf->account);
	free(conf->state_dir);
	free(conf->db_path);
	free(conf->key_file);
	free(conf->socket_path);
	free(conf->socket_group);
	free(conf->admin_users.ids);
	free(conf->admin_groups.ids);
	free(conf->publish_users.ids);
	free(conf->publish_groups.ids);
	free(conf->http_address);
	free(conf->http_tls_cert);
	free(conf->http_tls_key);
	conf_free_access_keys(conf);
	conf_free_dirs(conf->driver_dirs, conf->n_driver_dirs);
	free(conf->driver_ca_file);
	json_decref(conf->driver_options);
	free(conf->delivery.status_log);
	conf_free_apps(&conf->delivery);
	free(conf);
}
