/*
 * The herald CLI's commands: one table row per command says which SNS
 * operation it calls and which option fills which SNS member, so that parsing,
 * required-option checks and --help all come from the same description.
 * Options are parsed with getopt_long per command; the global options
 * (--output, --socket, --help) are accepted after the command too.
 */
#include "config.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"

enum opt_kind {
	OPT_STR,	    /* member = VALUE */
	OPT_MAP,	    /* KEY=VALUE into the member object (Attributes) */
	OPT_MAP_KEY,	    /* VALUE into the member object under the key in .key */
	OPT_TAG,	    /* KEY=VALUE appended to the member list as {"Key", "Value"} */
	OPT_LIST,	    /* VALUE appended to the member list */
	OPT_JSON,	    /* VALUE parsed as JSON (an object or an array, per .key) */
	OPT_MSGATTR,	    /* NAME=TYPE:VALUE into the member's MessageAttributes object */
	OPT_FLAG,	    /* no argument: member = true */
	OPT_MAX_ITEMS,	    /* pagination */
	OPT_STARTING_TOKEN, /* pagination */
	OPT_OUTPUT,	    /* global */
	OPT_SOCKET,	    /* global */
	OPT_HELP,	    /* global */
};

#define OPT_REQUIRED 1u /* the member must be present once all options are read */
#define OPT_REPEAT   2u /* may be given more than once */

struct cmd_opt {
	const char *name;
	enum opt_kind kind;
	const char *member;
	unsigned int flags;
	const char *metavar;
	const char *help;
	const char *key; /* OPT_MAP_KEY: the map key; OPT_JSON: "object" or "array" */
};

struct cmd;

/* Checks beyond required options; may pick another operation.  0, or -1 after printing why. */
typedef int (*cmd_prepare_fn)(const struct cmd *cmd, json_t *args, const char **op);

struct cmd {
	const char *group; /* "topic"; NULL for a command of its own ("publish") */
	const char *name;
	const char *op;	      /* SNS operation; NULL for `call` */
	const char *summary;  /* one line for lists */
	const char *describe; /* the paragraph of its --help */
	const struct cmd_opt *opts;
	const char *list_key; /* paginated list in the result, or NULL */
	cmd_prepare_fn prepare;
	const char *defaults[2]; /* member and value set when absent */
};

/* ---- options ---- */

#define O_ATTR(member_help)                                                               \
	{                                                                                 \
		"attr", OPT_MAP, "Attributes", OPT_REPEAT, "KEY=VALUE", member_help, NULL \
	}
#define O_END                                      \
	{                                          \
		NULL, 0, NULL, 0, NULL, NULL, NULL \
	}

static const struct cmd_opt opts_app_create[] = {
	{"name", OPT_STR, "Name", OPT_REQUIRED, "NAME",
	 "the application's name: letters, digits, '_', '-', '.'; 1 to 256 characters", NULL},
	{"platform", OPT_STR, "Platform", OPT_REQUIRED, "PLATFORM",
	 "APNS, APNS_SANDBOX, GCM (Firebase Cloud Messaging), ADM, BAIDU, MPNS or WNS", NULL},
	{"attr", OPT_MAP, "Attributes", OPT_REQUIRED | OPT_REPEAT, "KEY=VALUE",
	 "an attribute, e.g. PlatformCredential=@AuthKey.p8, PlatformPrincipal=KEYID, "
	 "ApplePlatformTeamID=ID, ApplePlatformBundleID=ID, EventEndpointCreated=TOPIC_ARN",
	 NULL},
	O_END,
};
static const struct cmd_opt opts_app_arn[] = {
	{"arn", OPT_STR, "PlatformApplicationArn", OPT_REQUIRED, "ARN",
	 "the platform application's ARN", NULL},
	O_END,
};
static const struct cmd_opt opts_app_set[] = {
	{"arn", OPT_STR, "PlatformApplicationArn", OPT_REQUIRED, "ARN",
	 "the platform application's ARN", NULL},
	{"attr", OPT_MAP, "Attributes", OPT_REQUIRED | OPT_REPEAT, "KEY=VALUE",
	 "an attribute to set (PlatformCredential=@FILE, PlatformPrincipal=ID, Enabled=true, ...)",
	 NULL},
	O_END,
};
static const struct cmd_opt opts_none[] = {O_END};

static const struct cmd_opt opts_endpoint_create[] = {
	{"app-arn", OPT_STR, "PlatformApplicationArn", OPT_REQUIRED, "ARN",
	 "the platform application the device belongs to", NULL},
	{"token", OPT_STR, "Token", OPT_REQUIRED, "TOKEN", "the device token from the provider",
	 NULL},
	{"custom-user-data", OPT_STR, "CustomUserData", 0, "DATA",
	 "data of yours kept with the endpoint (up to 2048 bytes)", NULL},
	O_ATTR("an attribute: CustomUserData=DATA, Enabled=true|false"),
	O_END,
};
static const struct cmd_opt opts_endpoint_arn[] = {
	{"arn", OPT_STR, "EndpointArn", OPT_REQUIRED, "ARN", "the endpoint's ARN", NULL},
	O_END,
};
static const struct cmd_opt opts_endpoint_set[] = {
	{"arn", OPT_STR, "EndpointArn", OPT_REQUIRED, "ARN", "the endpoint's ARN", NULL},
	{"attr", OPT_MAP, "Attributes", OPT_REQUIRED | OPT_REPEAT, "KEY=VALUE",
	 "an attribute to set: Token=TOKEN, Enabled=true|false, CustomUserData=DATA", NULL},
	{"token", OPT_MAP_KEY, "Attributes", 0, "TOKEN", "same as --attr Token=TOKEN", "Token"},
	{"enabled", OPT_MAP_KEY, "Attributes", 0, "true|false", "same as --attr Enabled=...",
	 "Enabled"},
	{"custom-user-data", OPT_MAP_KEY, "Attributes", 0, "DATA",
	 "same as --attr CustomUserData=DATA", "CustomUserData"},
	O_END,
};
static const struct cmd_opt opts_endpoint_list[] = {
	{"app-arn", OPT_STR, "PlatformApplicationArn", OPT_REQUIRED, "ARN",
	 "the platform application whose endpoints to list", NULL},
	O_END,
};

static const struct cmd_opt opts_topic_create[] = {
	{"name", OPT_STR, "Name", OPT_REQUIRED, "NAME",
	 "the topic's name: letters, digits, '_', '-'; 1 to 256 characters", NULL},
	O_ATTR("an attribute: DisplayName=NAME, Policy=@policy.json, DeliveryPolicy=@FILE, ..."),
	{"tag", OPT_TAG, "Tags", OPT_REPEAT, "KEY=VALUE", "a tag for the topic", NULL},
	O_END,
};
static const struct cmd_opt opts_topic_arn[] = {
	{"arn", OPT_STR, "TopicArn", OPT_REQUIRED, "ARN", "the topic's ARN", NULL},
	O_END,
};
static const struct cmd_opt opts_topic_set[] = {
	{"arn", OPT_STR, "TopicArn", OPT_REQUIRED, "ARN", "the topic's ARN", NULL},
	{"name", OPT_STR, "AttributeName", OPT_REQUIRED, "ATTR",
	 "the attribute to set: DisplayName, Policy, DeliveryPolicy, ...", NULL},
	{"value", OPT_STR, "AttributeValue", 0, "VALUE", "its new value", NULL},
	O_END,
};

static const struct cmd_opt opts_subscribe[] = {
	{"topic-arn", OPT_STR, "TopicArn", OPT_REQUIRED, "ARN", "the topic to subscribe to", NULL},
	{"endpoint", OPT_STR, "Endpoint", OPT_REQUIRED, "ENDPOINT_ARN",
	 "what receives the messages: a platform endpoint's ARN for --protocol application", NULL},
	{"protocol", OPT_STR, "Protocol", 0, "PROTOCOL", "the protocol (default: application)",
	 NULL},
	O_ATTR("a subscription attribute: FilterPolicy=@FILE, RawMessageDelivery=true, ..."),
	{"return-subscription-arn", OPT_FLAG, "ReturnSubscriptionArn", 0, NULL,
	 "return the subscription's ARN even while it is pending confirmation", NULL},
	O_END,
};
static const struct cmd_opt opts_sub_arn[] = {
	{"arn", OPT_STR, "SubscriptionArn", OPT_REQUIRED, "ARN", "the subscription's ARN", NULL},
	O_END,
};
static const struct cmd_opt opts_sub_set[] = {
	{"arn", OPT_STR, "SubscriptionArn", OPT_REQUIRED, "ARN", "the subscription's ARN", NULL},
	{"name", OPT_STR, "AttributeName", OPT_REQUIRED, "ATTR",
	 "the attribute to set: FilterPolicy, FilterPolicyScope, RawMessageDelivery, "
	 "DeliveryPolicy, RedrivePolicy",
	 NULL},
	{"value", OPT_STR, "AttributeValue", 0, "VALUE", "its new value", NULL},
	O_END,
};
static const struct cmd_opt opts_sub_list[] = {
	{"topic-arn", OPT_STR, "TopicArn", 0, "ARN",
	 "list only this topic's subscriptions (ListSubscriptionsByTopic)", NULL},
	O_END,
};

static const struct cmd_opt opts_publish[] = {
	{"target-arn", OPT_STR, "TargetArn", 0, "ARN", "publish directly to this platform endpoint",
	 NULL},
	{"topic-arn", OPT_STR, "TopicArn", 0, "ARN", "publish to every subscriber of this topic",
	 NULL},
	{"message", OPT_STR, "Message", OPT_REQUIRED, "TEXT",
	 "the message (up to 262144 bytes); with --message-structure json, a JSON object with "
	 "a \"default\" string and optional per-platform strings (APNS, GCM, ...)",
	 NULL},
	{"subject", OPT_STR, "Subject", 0, "SUBJECT", "the subject, for protocols that show one",
	 NULL},
	{"message-structure", OPT_STR, "MessageStructure", 0, "json",
	 "json: --message holds one message per platform", NULL},
	{"message-attribute", OPT_MSGATTR, "MessageAttributes", OPT_REPEAT, "NAME=TYPE:VALUE",
	 "a message attribute, e.g. AWS.SNS.MOBILE.APNS.PUSH_TYPE=String:background; TYPE is "
	 "String, Number, Binary (VALUE in base64) or String.Array",
	 NULL},
	{"message-attributes", OPT_JSON, "MessageAttributes", 0, "JSON",
	 "message attributes as the AWS CLI takes them: {\"NAME\": {\"DataType\": \"String\", "
	 "\"StringValue\": \"VALUE\"}, ...}",
	 "object"},
	{"message-group-id", OPT_STR, "MessageGroupId", 0, "ID", "the FIFO message group", NULL},
	{"message-deduplication-id", OPT_STR, "MessageDeduplicationId", 0, "ID",
	 "the FIFO deduplication id", NULL},
	O_END,
};
static const struct cmd_opt opts_publish_batch[] = {
	{"topic-arn", OPT_STR, "TopicArn", OPT_REQUIRED, "ARN", "the topic to publish to", NULL},
	{"entries", OPT_JSON, "PublishBatchRequestEntries", OPT_REQUIRED, "JSON",
	 "up to 10 entries: [{\"Id\": \"1\", \"Message\": \"...\", \"Subject\": ..., "
	 "\"MessageAttributes\": {...}}, ...]",
	 "array"},
	O_END,
};

static const struct cmd_opt opts_tag_add[] = {
	{"arn", OPT_STR, "ResourceArn", OPT_REQUIRED, "ARN", "the topic's ARN", NULL},
	{"tag", OPT_TAG, "Tags", OPT_REQUIRED | OPT_REPEAT, "KEY=VALUE", "a tag to add or change",
	 NULL},
	O_END,
};
static const struct cmd_opt opts_tag_remove[] = {
	{"arn", OPT_STR, "ResourceArn", OPT_REQUIRED, "ARN", "the topic's ARN", NULL},
	{"key", OPT_LIST, "TagKeys", OPT_REQUIRED | OPT_REPEAT, "KEY", "a tag key to remove", NULL},
	O_END,
};
static const struct cmd_opt opts_tag_list[] = {
	{"arn", OPT_STR, "ResourceArn", OPT_REQUIRED, "ARN", "the topic's ARN", NULL},
	O_END,
};

static const struct cmd_opt opts_pagination[] = {
	{"max-items", OPT_MAX_ITEMS, NULL, 0, "N",
	 "show at most N items; if more remain, the output's NextToken resumes the list", NULL},
	{"starting-token", OPT_STARTING_TOKEN, NULL, 0, "TOKEN",
	 "resume from the NextToken a --max-items listing printed", NULL},
	O_END,
};
static const struct cmd_opt opts_global[] = {
	{"output", OPT_OUTPUT, NULL, 0, "json|table|text", "output format (default json)", NULL},
	{"socket", OPT_SOCKET, NULL, 0, "PATH", "heraldd's socket", NULL},
	{"help", OPT_HELP, NULL, 0, NULL, "show this help", NULL},
	O_END,
};

/* ---- prepare hooks ---- */

static int prepare_publish(const struct cmd *cmd, json_t *args, const char **op)
{
	bool target = json_object_get(args, "TargetArn") != NULL;
	bool topic = json_object_get(args, "TopicArn") != NULL;

	if (!target && !topic) {
		cli_error("missing required option --target-arn or --topic-arn");
		return -1;
	}
	if (target && topic) {
		cli_error("--target-arn and --topic-arn cannot be used together");
		return -1;
	}
	return 0;
}

static int prepare_sub_list(const struct cmd *cmd, json_t *args, const char **op)
{
	if (json_object_get(args, "TopicArn"))
		*op = "ListSubscriptionsByTopic";
	return 0;
}

/* ---- the table ---- */

static const struct cmd cmds[] = {
	{"app",
	 "create",
	 "CreatePlatformApplication",
	 "create a platform application",
	 "Create a platform application holding a provider's credentials and print its "
	 "PlatformApplicationArn. The credential is sealed by heraldd and never shown again.",
	 opts_app_create,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"app",
	 "get",
	 "GetPlatformApplicationAttributes",
	 "show an application's attributes",
	 "Print a platform application's attributes (never its credentials).",
	 opts_app_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"app",
	 "set",
	 "SetPlatformApplicationAttributes",
	 "change an application's attributes",
	 "Change attributes of a platform application, e.g. rotate its credentials.",
	 opts_app_set,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"app",
	 "delete",
	 "DeletePlatformApplication",
	 "delete an application and its endpoints",
	 "Delete a platform application and its endpoints.",
	 opts_app_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"app",
	 "list",
	 "ListPlatformApplications",
	 "list platform applications",
	 "List every platform application with its attributes.",
	 opts_none,
	 "PlatformApplications",
	 NULL,
	 {NULL, NULL}},

	{"endpoint",
	 "create",
	 "CreatePlatformEndpoint",
	 "register a device token",
	 "Register a device token with a platform application and print the EndpointArn. "
	 "Idempotent: the same token with the same attributes gives the same ARN.",
	 opts_endpoint_create,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"endpoint",
	 "get",
	 "GetEndpointAttributes",
	 "show an endpoint's attributes",
	 "Print an endpoint's attributes: Token, Enabled, CustomUserData.",
	 opts_endpoint_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"endpoint",
	 "set",
	 "SetEndpointAttributes",
	 "change an endpoint's attributes",
	 "Change an endpoint's attributes, e.g. a new token, or Enabled=true to re-enable it "
	 "after the provider rejected its token.",
	 opts_endpoint_set,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"endpoint",
	 "delete",
	 "DeleteEndpoint",
	 "delete an endpoint",
	 "Delete an endpoint. Deleting one that does not exist succeeds.",
	 opts_endpoint_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"endpoint",
	 "list",
	 "ListEndpointsByPlatformApplication",
	 "list an application's endpoints",
	 "List the endpoints of a platform application with their attributes.",
	 opts_endpoint_list,
	 "Endpoints",
	 NULL,
	 {NULL, NULL}},

	{"topic",
	 "create",
	 "CreateTopic",
	 "create a topic",
	 "Create a topic and print its TopicArn. Creating an existing topic with the same "
	 "attributes and tags returns its ARN.",
	 opts_topic_create,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"topic",
	 "get",
	 "GetTopicAttributes",
	 "show a topic's attributes",
	 "Print a topic's attributes.",
	 opts_topic_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"topic",
	 "set",
	 "SetTopicAttributes",
	 "change one attribute of a topic",
	 "Set one attribute of a topic.",
	 opts_topic_set,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"topic",
	 "delete",
	 "DeleteTopic",
	 "delete a topic and its subscriptions",
	 "Delete a topic and its subscriptions.",
	 opts_topic_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"topic",
	 "list",
	 "ListTopics",
	 "list topics",
	 "List every topic.",
	 opts_none,
	 "Topics",
	 NULL,
	 {NULL, NULL}},

	{"subscription",
	 "create",
	 "Subscribe",
	 "subscribe an endpoint to a topic (= subscribe)",
	 "Subscribe an endpoint to a topic and print the SubscriptionArn.",
	 opts_subscribe,
	 NULL,
	 NULL,
	 {"Protocol", "application"}},
	{"subscription",
	 "get",
	 "GetSubscriptionAttributes",
	 "show a subscription's attributes",
	 "Print a subscription's attributes.",
	 opts_sub_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"subscription",
	 "set",
	 "SetSubscriptionAttributes",
	 "change one attribute of a subscription",
	 "Set one attribute of a subscription.",
	 opts_sub_set,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"subscription",
	 "delete",
	 "Unsubscribe",
	 "delete a subscription (= unsubscribe)",
	 "Delete a subscription.",
	 opts_sub_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"subscription",
	 "list",
	 "ListSubscriptions",
	 "list subscriptions",
	 "List every subscription, or with --topic-arn those of one topic.",
	 opts_sub_list,
	 "Subscriptions",
	 prepare_sub_list,
	 {NULL, NULL}},

	{NULL,
	 "subscribe",
	 "Subscribe",
	 "subscribe an endpoint to a topic",
	 "Subscribe an endpoint to a topic and print the SubscriptionArn.",
	 opts_subscribe,
	 NULL,
	 NULL,
	 {"Protocol", "application"}},
	{NULL,
	 "unsubscribe",
	 "Unsubscribe",
	 "delete a subscription",
	 "Delete a subscription.",
	 opts_sub_arn,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{NULL,
	 "publish",
	 "Publish",
	 "publish to an endpoint or a topic",
	 "Publish a message to one endpoint (--target-arn) or to every subscriber of a topic "
	 "(--topic-arn) and print its MessageId. The message is stored durably before the answer.",
	 opts_publish,
	 NULL,
	 prepare_publish,
	 {NULL, NULL}},
	{NULL,
	 "publish-batch",
	 "PublishBatch",
	 "publish up to 10 messages to a topic",
	 "Publish up to 10 messages to a topic in one request; prints Successful and Failed "
	 "entries. Exits 1 if any entry failed.",
	 opts_publish_batch,
	 NULL,
	 NULL,
	 {NULL, NULL}},

	{"tag",
	 "add",
	 "TagResource",
	 "add or change tags of a topic",
	 "Add or change tags.",
	 opts_tag_add,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"tag",
	 "remove",
	 "UntagResource",
	 "remove tags from a topic",
	 "Remove tags by key.",
	 opts_tag_remove,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{"tag",
	 "list",
	 "ListTagsForResource",
	 "list a topic's tags",
	 "List a resource's tags.",
	 opts_tag_list,
	 NULL,
	 NULL,
	 {NULL, NULL}},

	{"plugins",
	 "list",
	 "ListPlugins",
	 "list the loaded provider drivers",
	 "List the provider drivers heraldd has loaded: name, version, driver ABI, platforms, "
	 "the file each came from and the SHA-256 of its content.",
	 opts_none,
	 "Plugins",
	 NULL,
	 {NULL, NULL}},
	{"plugins",
	 "reload",
	 "ReloadPlugins",
	 "load the drivers again (as SIGHUP does)",
	 "Load the drivers again from drivers.dirs as a new generation, switched to only if "
	 "every driver is accepted, and list them; on failure the running drivers stay.",
	 opts_none,
	 NULL,
	 NULL,
	 {NULL, NULL}},

	{NULL,
	 "call",
	 NULL,
	 "call any operation by its SNS name",
	 "Call any operation by its SNS name (CreateTopic, ListTopics, ...) with its arguments "
	 "as a JSON object using SNS's member names, and print the result as it came (one "
	 "page of a list: pass NextToken yourself).",
	 opts_none,
	 NULL,
	 NULL,
	 {NULL, NULL}},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {NULL, NULL}},
};

static const char *const groups[][2] = {
	{"app", "platform applications (provider credentials)"},
	{"endpoint", "platform endpoints (device tokens)"},
	{"topic", "topics"},
	{"subscription", "subscriptions of endpoints to topics"},
	{"tag", "tags of topics"},
	{"plugins", "provider drivers loaded by heraldd"},
	{NULL, NULL},
};

/* ---- help ---- */

/* "herald topic create" or "herald publish" into buf. */
static const char *cmd_path(const struct cmd *cmd, char *buf, size_t size)
{
	snprintf(buf, size, "herald %s%s%s", cmd->group ? cmd->group : "", cmd->group ? " " : "",
		 cmd->name);
	return buf;
}

#define HELP_WIDTH  79
#define HELP_INDENT 33

/*
 * Print text wrapped at HELP_WIDTH, continuing lines at column indent; col is
 * where the cursor already is.
 */
static void help_wrap(FILE *out, const char *text, size_t col, size_t indent)
{
	const char *p = text;
	size_t len;

	while (*p) {
		len = strcspn(p, " ");
		if (col > indent && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent || (col == indent && p != text)) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, len, out);
		col += len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void help_opts(FILE *out, const struct cmd_opt *opts)
{
	char left[64], text[512];
	int n;

	for (; opts->name; opts++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts->name, opts->metavar ? " " : "",
			 opts->metavar ? opts->metavar : "");
		n = fprintf(out, "  %-*s", HELP_INDENT - 3, left);
		if (n > HELP_INDENT - 1) {
			fprintf(out, "\n%*s", HELP_INDENT - 1, "");
			n = HELP_INDENT - 1;
		}
		snprintf(text, sizeof(text), "%s%s%s", opts->help,
			 (opts->flags & OPT_REQUIRED) ? " (required)" : "",
			 (opts->flags & OPT_REPEAT) ? " (repeatable)" : "");
		fputc(' ', out);
		help_wrap(out, text, HELP_INDENT, HELP_INDENT);
	}
}

static void help_cmd(FILE *out, const struct cmd *cmd)
{
	const struct cmd_opt *o;
	char path[64], item[96];
	size_t col;

	col = (size_t)fprintf(out, "usage: %s", cmd_path(cmd, path, sizeof(path)));
	if (!cmd->op)
		col += (size_t)fprintf(out, " OPERATION [ARGS_JSON]");
	/* Synopsis items wrap as words, each item kept whole. */
	for (o = cmd->opts; o->name; o++) {
		bool req = o->flags & OPT_REQUIRED;

		snprintf(item, sizeof(item), "%s--%s%s%s%s%s", req ? "" : "[", o->name,
			 o->metavar ? " " : "", o->metavar ? o->metavar : "", req ? "" : "]",
			 (o->flags & OPT_REPEAT) ? "..." : "");
		if (col + 1 + strlen(item) > HELP_WIDTH) {
			fputs("\n       ", out);
			col = 7;
		}
		col += (size_t)fprintf(out, " %s", item);
	}
	if (cmd->list_key)
		fputs("\n        [--max-items N] [--starting-token TOKEN]", out);
	fputs("\n\n", out);
	help_wrap(out, cmd->describe, 0, 0);
	if (cmd->op)
		fprintf(out, "SNS operation: %s.\n", cmd->op);
	else
		fputs("\n  OPERATION  the SNS operation's name\n"
		      "  ARGS_JSON  its arguments, a JSON object (default {})\n",
		      out);
	if (cmd->opts[0].name || cmd->list_key) {
		fputs("\noptions:\n", out);
		help_opts(out, cmd->opts);
		if (cmd->list_key)
			help_opts(out, opts_pagination);
	}
	fputs("\nglobal options:\n", out);
	help_opts(out, opts_global);
	fputs("\nAny VALUE may be @FILE (the file's contents, as they are) or @- (standard\n"
	      "input); @@ starts a value with a literal @.\n",
	      out);
}

static void help_group(FILE *out, const char *group)
{
	const struct cmd *cmd;

	fprintf(out, "usage: herald %s SUBCOMMAND [options]\n\nsubcommands:\n", group);
	for (cmd = cmds; cmd->name; cmd++) {
		if (cmd->group && strcmp(cmd->group, group) == 0)
			fprintf(out, "  %-10s %s\n", cmd->name, cmd->summary);
	}
	fprintf(out, "\nSee 'herald %s SUBCOMMAND --help' for its options.\n", group);
}

void cli_cmds_list(FILE *out)
{
	const struct cmd *cmd;
	char left[64];
	size_t g;

	for (g = 0; groups[g][0]; g++) {
		snprintf(left, sizeof(left), "%s", groups[g][0]);
		fprintf(out, "  %-16s %s:", left, groups[g][1]);
		for (cmd = cmds; cmd->name; cmd++) {
			if (cmd->group && strcmp(cmd->group, groups[g][0]) == 0)
				fprintf(out, " %s", cmd->name);
		}
		fputc('\n', out);
	}
	for (cmd = cmds; cmd->name; cmd++) {
		if (!cmd->group)
			fprintf(out, "  %-16s %s\n", cmd->name, cmd->summary);
	}
}

/* ---- parsing ---- */

/* One option as getopt_long sees it, pointing back at its description. */
struct parse_opt {
	const struct cmd_opt *opt;
	int seen;
};

/* Print the reason (if fmt) and where to look; returns the usage exit status. */
static int usage_fail(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_fail(const struct cmd *cmd, const char *fmt, ...)
{
	char path[64];
	va_list ap;

	if (fmt) {
		fputs("herald: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "try '%s --help'\n", cmd_path(cmd, path, sizeof(path)));
	return CLI_EXIT_USAGE;
}

/* Put a string member; false (after saying so) if it is not UTF-8. */
static bool parse_set_str(json_t *obj, const char *key, const char *value, const char *opt)
{
	if (json_object_set_new(obj, key, json_string(value)) == 0)
		return true;
	cli_error("--%s: the value is not valid UTF-8", opt);
	return false;
}

/* The member's object or array, created on first use. */
static json_t *parse_container(json_t *args, const char *member, bool array)
{
	json_t *c = json_object_get(args, member);

	if (!c) {
		c = array ? json_array() : json_object();
		json_object_set_new(args, member, c);
	}
	return c;
}

/* Merge the JSON object add into dst, refusing names dst already has. */
static int parse_merge(json_t *dst, json_t *add, const char *opt)
{
	const char *key;
	json_t *v;

	json_object_foreach (add, key, v) {
		if (json_object_get(dst, key)) {
			cli_error("--%s: '%s' given more than once", opt, key);
			return -1;
		}
		json_object_set(dst, key, v);
	}
	return 0;
}

/* Apply one option's value to args.  0, or -1 after printing why. */
static int parse_apply(struct cli *cli, const struct cmd_opt *o, const char *arg, json_t *args)
{
	char name[64], *key = NULL, *value = NULL;
	json_t *c, *v = NULL;
	int rc = -1;

	snprintf(name, sizeof(name), "--%s", o->name);
	switch (o->kind) {
	case OPT_STR:
		value = cli_input_value(cli, name, arg);
		if (value && parse_set_str(args, o->member, value, o->name))
			rc = 0;
		break;
	case OPT_MAP:
	case OPT_TAG:
		if (cli_input_keyvalue(cli, name, arg, &key, &value) < 0)
			break;
		c = parse_container(args, o->member, o->kind == OPT_TAG);
		if (o->kind == OPT_MAP && json_object_get(c, key)) {
			cli_error("%s: '%s' given more than once", name, key);
			break;
		}
		if (o->kind == OPT_MAP) {
			if (parse_set_str(c, key, value, o->name))
				rc = 0;
			break;
		}
		v = json_pack("{s:s, s:s}", "Key", key, "Value", value);
		if (!v) {
			cli_error("%s: the value is not valid UTF-8", name);
			break;
		}
		rc = json_array_append_new(c, v);
		v = NULL; /* the array owns it now, even on failure */
		break;
	case OPT_MAP_KEY:
		value = cli_input_value(cli, name, arg);
		if (!value)
			break;
		c = parse_container(args, o->member, false);
		if (json_object_get(c, o->key))
			cli_error("%s: '%s' given more than once", name, o->key);
		else if (parse_set_str(c, o->key, value, o->name))
			rc = 0;
		break;
	case OPT_LIST:
		value = cli_input_value(cli, name, arg);
		if (!value)
			break;
		v = json_string(value);
		if (!v) {
			cli_error("%s: the value is not valid UTF-8", name);
			break;
		}
		rc = json_array_append_new(parse_container(args, o->member, true), v);
		v = NULL;
		break;
	case OPT_JSON:
		value = cli_input_value(cli, name, arg);
		if (!value)
			break;
		v = cli_input_json(name, value);
		if (!v)
			break;
		if (strcmp(o->key, "object") == 0 && !json_is_object(v)) {
			cli_error("%s: expected a JSON object", name);
			break;
		}
		if (strcmp(o->key, "array") == 0 && !json_is_array(v)) {
			cli_error("%s: expected a JSON array", name);
			break;
		}
		c = json_object_get(args, o->member);
		if (c && json_is_object(c))
			rc = parse_merge(c, v, o->name);
		else
			rc = json_object_set(args, o->member, v);
		break;
	case OPT_MSGATTR:
		rc = cli_input_msgattr(cli, name, arg, parse_container(args, o->member, false));
		break;
	case OPT_FLAG:
		rc = json_object_set_new(args, o->member, json_true());
		break;
	default:
		break;
	}
	json_decref(v);
	free(key);
	free(value);
	return rc;
}

/* The options of cmd in one array: its own, pagination, global. */
static size_t parse_collect(const struct cmd *cmd, struct parse_opt *all, size_t max)
{
	const struct cmd_opt *sets[3] = {cmd->opts, cmd->list_key ? opts_pagination : opts_none,
					 opts_global};
	size_t n = 0, s;
	const struct cmd_opt *o;

	for (s = 0; s < 3; s++) {
		for (o = sets[s]; o->name; o++) {
			assert(n < max); /* PARSE_MAX_OPTS is too small for the table */
			all[n].opt = o;
			all[n].seen = 0;
			n++;
		}
	}
	return n;
}

#define PARSE_MAX_OPTS 24

struct parse_result {
	json_t *args;
	long max_items;
	const char *starting_token;
	bool help;
	int npos;
	char **pos; /* positional arguments (borrowed from argv) */
};

/* Parse argv (argv[0] = the command word) into res.  Exit status, or -1 to go on. */
static int parse_cmd(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
		     struct parse_result *res)
{
	struct parse_opt all[PARSE_MAX_OPTS];
	struct option longopts[PARSE_MAX_OPTS + 1];
	const struct cmd_opt *o;
	size_t n, i;
	char *end;
	int c;

	n = parse_collect(cmd, all, PARSE_MAX_OPTS);
	for (i = 0; i < n; i++) {
		o = all[i].opt;
		longopts[i] = (struct option){o->name,
					      o->kind == OPT_FLAG || o->kind == OPT_HELP
						      ? no_argument
						      : required_argument,
					      NULL, 256 + (int)i};
	}
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	optind = 0; /* glibc: start afresh on a new argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			res->help = true;
			continue;
		}
		if (c == '?') {
			char bad[64];
			const char *arg = argv[optind - 1];

			if (optopt && optopt < 256)
				snprintf(bad, sizeof(bad), "-%c", optopt);
			else
				snprintf(bad, sizeof(bad), "%.*s", (int)strcspn(arg, "="), arg);
			return usage_fail(cmd, "unrecognized option '%s'", bad);
		}
		if (c == ':') {
			char bad[64];

			snprintf(bad, sizeof(bad), "--%s",
				 optopt >= 256 ? all[optopt - 256].opt->name : "?");
			return usage_fail(cmd, "option '%s' requires a value", bad);
		}
		i = (size_t)(c - 256);
		o = all[i].opt;
		if (all[i].seen++ && !(o->flags & OPT_REPEAT)) {
			char bad[64];

			snprintf(bad, sizeof(bad), "--%s", o->name);
			return usage_fail(cmd, "option '%s' given more than once", bad);
		}
		switch (o->kind) {
		case OPT_HELP:
			res->help = true;
			break;
		case OPT_OUTPUT:
			if (!cli_output_parse(cli, optarg))
				return usage_fail(cmd,
						  "--output must be json, table or text, not '%s'",
						  optarg);
			break;
		case OPT_SOCKET:
			cli->socket = optarg;
			break;
		case OPT_MAX_ITEMS:
			res->max_items = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || res->max_items < 1 ||
			    res->max_items > 100000000)
				return usage_fail(
					cmd, "--max-items must be a positive integer, not '%s'",
					optarg);
			break;
		case OPT_STARTING_TOKEN:
			res->starting_token = optarg;
			break;
		default:
			if (parse_apply(cli, o, optarg, res->args) < 0)
				return usage_fail(cmd, NULL);
			break;
		}
	}
	res->pos = argv + optind;
	res->npos = argc - optind;
	return -1;
}

/* Required options, defaults and positional arguments.  Exit status, or -1 to go on. */
static int parse_check(const struct cmd *cmd, struct parse_result *res)
{
	const struct cmd_opt *o;
	char bad[64];

	if (cmd->op && res->npos > 0)
		return usage_fail(cmd, "unexpected argument '%s'", res->pos[0]);
	for (o = cmd->opts; o->name; o++) {
		if ((o->flags & OPT_REQUIRED) && !json_object_get(res->args, o->member)) {
			snprintf(bad, sizeof(bad), "--%s", o->name);
			return usage_fail(cmd, "missing required option %s", bad);
		}
	}
	if (cmd->defaults[0] && !json_object_get(res->args, cmd->defaults[0]))
		json_object_set_new(res->args, cmd->defaults[0], json_string(cmd->defaults[1]));
	return -1;
}

/* ---- running ---- */

/* herald call OPERATION [ARGS_JSON] */
static int run_call(struct cli *cli, const struct cmd *cmd, struct parse_result *res,
		    json_t **result)
{
	char *text = NULL;
	json_t *args = NULL;
	int status;

	if (res->npos < 1)
		return usage_fail(cmd, "missing %s", "OPERATION");
	if (res->npos > 2)
		return usage_fail(cmd, "unexpected argument '%s'", res->pos[2]);
	if (res->npos == 2) {
		text = cli_input_value(cli, "ARGS_JSON", res->pos[1]);
		if (!text)
			return usage_fail(cmd, NULL);
		args = cli_input_json("ARGS_JSON", text);
		free(text);
		if (!args)
			return usage_fail(cmd, NULL);
		if (!json_is_object(args)) {
			json_decref(args);
			return usage_fail(cmd, "ARGS_JSON must be a JSON object");
		}
	} else {
		args = json_object();
	}
	*result = cli_run_call(cli, res->pos[0], args, &status);
	json_decref(args);
	return *result ? CLI_EXIT_OK : status;
}

static int run_cmd(struct cli *cli, const struct cmd *cmd, int argc, char **argv)
{
	struct parse_result res = {.args = json_object()};
	const char *op = cmd->op;
	json_t *result = NULL;
	int status;

	if (!res.args) {
		cli_error("out of memory");
		return CLI_EXIT_API;
	}
	status = parse_cmd(cli, cmd, argc, argv, &res);
	if (status >= 0)
		goto out;
	if (res.help) {
		help_cmd(stdout, cmd);
		status = CLI_EXIT_OK;
		goto out;
	}
	if (!cmd->op) {
		status = run_call(cli, cmd, &res, &result);
	} else {
		status = parse_check(cmd, &res);
		if (status >= 0)
			goto out;
		if (cmd->prepare && cmd->prepare(cmd, res.args, &op) < 0) {
			status = usage_fail(cmd, NULL);
			goto out;
		}
		if (cmd->list_key)
			result = cli_run_paginate(cli, op, res.args, cmd->list_key, res.max_items,
						  res.starting_token, &status);
		else
			result = cli_run_call(cli, op, res.args, &status);
	}
	if (result && cli_output_print(cli, result) < 0)
		status = CLI_EXIT_API;
	/* A batch that partly failed printed its Failed list; the exit status says so too. */
	if (result && json_array_size(json_object_get(result, "Failed")) > 0)
		status = CLI_EXIT_API;
out:
	json_decref(result);
	json_decref(res.args);
	return status;
}

int cli_cmds_run(struct cli *cli, int argc, char **argv)
{
	const struct cmd *cmd;
	const char *word = argv[0];
	size_t g;

	for (g = 0; groups[g][0]; g++) {
		if (strcmp(groups[g][0], word) != 0)
			continue;
		if (argc < 2 || argv[1][0] == '-') {
			if (argc >= 2 &&
			    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
				help_group(stdout, word);
				return CLI_EXIT_OK;
			}
			cli_error("'herald %s' needs a subcommand", word);
			fprintf(stderr, "try 'herald %s --help'\n", word);
			return CLI_EXIT_USAGE;
		}
		for (cmd = cmds; cmd->name; cmd++) {
			if (cmd->group && strcmp(cmd->group, word) == 0 &&
			    strcmp(cmd->name, argv[1]) == 0)
				return run_cmd(cli, cmd, argc - 1, argv + 1);
		}
		cli_error("unknown subcommand '%s %s'", word, argv[1]);
		fprintf(stderr, "try 'herald %s --help'\n", word);
		return CLI_EXIT_USAGE;
	}
	for (cmd = cmds; cmd->name; cmd++) {
		if (!cmd->group && strcmp(cmd->name, word) == 0)
			return run_cmd(cli, cmd, argc, argv);
	}
	cli_error("unknown command '%s'", word);
	fputs("try 'herald --help'\n", stderr);
	return CLI_EXIT_USAGE;
}
