/*
 * `herald-emulator init DIR`: every credential the emulated providers accept,
 * made with OpenSSL (no shelling out), and DIR/emulator.json naming them
 * (and holding the shared secrets: FCM server key, ADM, WNS, Baidu).
 * Files holding private keys are created 0600 with O_EXCL semantics unless
 * --force; certificates are 0644.  Single-threaded, run once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/util.h"
#include "emulator/apns.h"
#include "emulator/mpns.h"
#include "emulator/settings.h"

#define CA_DAYS	  3650
#define CERT_DAYS 825

struct init_ctx {
	const char *dir;
	int force;
	char *err;
	size_t errlen;
};

static void random_id(char out[EMU_ID_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char b[EMU_ID_LEN];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	for (size_t i = 0; i < EMU_ID_LEN; i++)
		out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
	out[EMU_ID_LEN] = '\0';
}

static void random_hex(char *out, size_t nbytes)
{
	unsigned char b[32];

	if (nbytes > sizeof(b) || RAND_bytes(b, (int)nbytes) != 1)
		memset(b, 0, sizeof(b));
	for (size_t i = 0; i < nbytes && i < sizeof(b); i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* Open DIR/name for writing with the given mode; NULL with ctx->err set. */
static FILE *create_file(struct init_ctx *ctx, const char *name, mode_t mode)
{
	char path[EMU_PATH_MAX];
	int fd, flags = O_WRONLY | O_CREAT | O_CLOEXEC | (ctx->force ? O_TRUNC : O_EXCL);
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", ctx->dir, name) >= (int)sizeof(path)) {
		snprintf(ctx->err, ctx->errlen, "directory name too long");
		return NULL;
	}
	fd = open(path, flags, mode);
	if (fd < 0) {
		snprintf(ctx->err, ctx->errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (use --force to overwrite)" : "");
		return NULL;
	}
	/* An existing file keeps its mode under O_TRUNC; keys must not stay readable. */
	if (fchmod(fd, mode) != 0 || !(f = fdopen(fd, "w"))) {
		snprintf(ctx->err, ctx->errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return f;
}

static int finish_file(struct init_ctx *ctx, FILE *f, int ok, const char *name)
{
	if (fclose(f) != 0)
		ok = 0;
	if (!ok)
		snprintf(ctx->err, ctx->errlen, "%s/%s: write failed", ctx->dir, name);
	return ok ? 0 : -1;
}

static int write_key(struct init_ctx *ctx, const char *name, EVP_PKEY *key)
{
	FILE *f = create_file(ctx, name, 0600);

	if (!f)
		return -1;
	/* OpenSSL 3 writes "BEGIN PRIVATE KEY", i.e. PKCS#8, as a .p8 must be. */
	return finish_file(ctx, f, PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1,
			   name);
}

static int write_cert(struct init_ctx *ctx, const char *name, X509 *cert)
{
	FILE *f = create_file(ctx, name, 0644);

	if (!f)
		return -1;
	return finish_file(ctx, f, PEM_write_X509(f, cert) == 1, name);
}

static int add_ext(X509 *cert, X509 *issuer, const char *name, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf(NULL, &v3, name, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/*
 * A certificate for key, signed by issuer/issuer_key (self-signed when issuer
 * is NULL).  subject is "field=value" pairs separated by '\n'; exts is
 * name/value pairs, NULL-terminated.  Returns the certificate or NULL.
 */
static X509 *make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *subject,
		       const char *const *exts, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *serial = BN_new();
	char buf[1024], *line, *save = NULL;

	if (!cert || !name || !serial ||
	    snprintf(buf, sizeof(buf), "%s", subject) >= (int)sizeof(buf))
		goto fail;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			goto fail;
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(name, line, MBSTRING_UTF8,
						(const unsigned char *)eq + 1, -1, -1, 0))
			goto fail;
	}
	if (!X509_set_version(cert, X509_VERSION_3) || !BN_rand(serial, 120, BN_RAND_TOP_ANY, 0) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_set_pubkey(cert, key))
		goto fail;
	for (size_t i = 0; exts[i]; i += 2)
		if (add_ext(cert, issuer, exts[i], exts[i + 1]) != 0)
			goto fail;
	if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()))
		goto fail;
	X509_NAME_free(name);
	BN_free(serial);
	return cert;
fail:
	X509_free(cert);
	X509_NAME_free(name);
	BN_free(serial);
	return NULL;
}

static int write_service_account(struct init_ctx *ctx, EVP_PKEY *key, const char *project,
				 const char *key_id, const char *email, const char *token_uri)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL, client_id[24];
	json_t *sa = NULL;
	long len;
	FILE *f;
	int rc = -1;

	random_hex(client_id, 10);
	if (!mem || PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	len = BIO_get_mem_data(mem, &pem);
	sa = json_pack("{s:s, s:s, s:s, s:s#, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
		       "service_account", "project_id", project, "private_key_id", key_id,
		       "private_key", pem, (int)len, "client_email", email, "client_id", client_id,
		       "auth_uri", "https://accounts.google.com/o/oauth2/auth", "token_uri",
		       token_uri, "auth_provider_x509_cert_url",
		       "https://www.googleapis.com/oauth2/v1/certs", "client_x509_cert_url", "",
		       "universe_domain", "googleapis.com");
	if (!sa)
		goto out;
	f = create_file(ctx, "fcm-service-account.json", 0600);
	if (!f)
		goto out;
	rc = finish_file(ctx, f, json_dumpf(sa, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF,
			 "fcm-service-account.json");
out:
	if (rc != 0 && !ctx->err[0])
		snprintf(ctx->err, ctx->errlen, "cannot build the service account JSON");
	json_decref(sa);
	BIO_free(mem);
	return rc;
}

/* The shared secrets of the HTTP/1.1 providers, shaped like the real ones. */
struct init_secrets {
	char server_key[100];
	char adm_id[100], adm_secret[100];
	char wns_sid[100], wns_secret[100];
	char entra_tenant[UTIL_UUID_LEN + 1], entra_client[UTIL_UUID_LEN + 1], entra_secret[72];
	char baidu_key[32], baidu_secret[40];
};

static void make_secrets(struct init_secrets *s)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char b[24];
	char hex[65];

	random_hex(hex, 20);
	snprintf(s->server_key, sizeof(s->server_key), "AAAAemu:APA91b%s", hex);
	random_hex(hex, 16);
	snprintf(s->adm_id, sizeof(s->adm_id), "amzn1.application-oa2-client.%s", hex);
	random_hex(hex, 32);
	snprintf(s->adm_secret, sizeof(s->adm_secret), "%s", hex);
	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	snprintf(s->wns_sid, sizeof(s->wns_sid), "ms-app://s-1-15-2-%u-%u-%u-%u-%u-%u-%u",
		 (unsigned)b[0] << 16 | b[1] << 8 | b[2], (unsigned)b[3] << 8 | b[4],
		 (unsigned)b[5] << 8 | b[6], (unsigned)b[7] << 8 | b[8],
		 (unsigned)b[9] << 8 | b[10], (unsigned)b[11] << 8 | b[12],
		 (unsigned)b[13] << 8 | b[14]);
	random_hex(hex, 16);
	snprintf(s->wns_secret, sizeof(s->wns_secret), "%s", hex);
	util_uuid4(s->entra_tenant);
	util_uuid4(s->entra_client);
	random_hex(hex, 20);
	snprintf(s->entra_secret, sizeof(s->entra_secret), "%s", hex);
	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	for (size_t i = 0; i < 24; i++)
		s->baidu_key[i] = alnum[b[i] % (sizeof(alnum) - 1)];
	s->baidu_key[24] = '\0';
	random_hex(hex, 16);
	for (size_t i = 0; i < 32; i++)
		s->baidu_secret[i] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
	s->baidu_secret[32] = '\0';
}

static int write_config(struct init_ctx *ctx, const struct emu_init_opts *o, const char *kid,
			const char *team, const char *bundle, const struct init_secrets *sec)
{
	json_t *cfg;
	FILE *f;
	int rc = -1;

	cfg = json_pack("{s:{s:s, s:s, s:s, s:s},"
			" s:{s:i, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]},"
			" s:{s:i, s:s}, s:{s:i}}",
			"tls", "ca", "ca.pem", "ca_key", "ca-key.pem", "cert", "server.pem", "key",
			"server-key.pem", "apns", "port", o->apns_port, "environment", "production",
			"bundle_id", bundle, "client_cert", "apns-cert.pem", "client_key",
			"apns-cert-key.pem", "keys", "key_id", kid, "team_id", team, "file",
			"apns-key.p8", "fcm", "port", o->fcm_port, "service_account",
			"fcm-service-account.json", "control", "port", o->control_port);
	if (cfg) {
		json_object_set_new(json_object_get(cfg, "fcm"), "server_key",
				    json_string(sec->server_key));
		json_object_set_new(cfg, "adm",
				    json_pack("{s:i, s:s, s:s}", "port", o->adm_port, "client_id",
					      sec->adm_id, "client_secret", sec->adm_secret));
		json_object_set_new(cfg, "wns",
				    json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "port", o->wns_port,
					      "package_sid", sec->wns_sid, "secret",
					      sec->wns_secret, "entra_tenant_id", sec->entra_tenant,
					      "entra_client_id", sec->entra_client,
					      "entra_client_secret", sec->entra_secret));
		json_object_set_new(cfg, "baidu",
				    json_pack("{s:i, s:s, s:s}", "port", o->baidu_port, "api_key",
					      sec->baidu_key, "secret_key", sec->baidu_secret));
		json_object_set_new(cfg, "mpns", json_pack("{s:i}", "port", o->mpns_port));
	}
	if (!cfg) {
		snprintf(ctx->err, ctx->errlen, "cannot build %s", EMU_CONFIG_FILE);
		return -1;
	}
	f = create_file(ctx, EMU_CONFIG_FILE, 0600); /* it holds the shared secrets */
	if (f)
		rc = finish_file(ctx, f,
				 json_dumpf(cfg, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF,
				 EMU_CONFIG_FILE);
	json_decref(cfg);
	return rc;
}

static void print_usage_hint(const char *dir, const struct emu_init_opts *o, const char *kid,
			     const char *team, const char *bundle, const struct init_secrets *sec)
{
	printf("herald-emulator: credentials written to %s\n\n"
	       "Start it:   herald-emulator run -d %s\n"
	       "Endpoints:  APNs https://127.0.0.1:%d  FCM https://127.0.0.1:%d  control http://127.0.0.1:%d\n"
	       "Trust:      %s/ca.pem (the CA that signed the server certificate)\n\n"
	       "APNs, token authentication:\n"
	       "  herald app create --platform APNS --name emu-apns \\\n"
	       "    --attr PlatformPrincipal=%s --attr PlatformCredential=@%s/apns-key.p8 \\\n"
	       "    --attr ApplePlatformTeamID=%s --attr ApplePlatformBundleID=%s\n"
	       "APNs, certificate authentication:\n"
	       "  herald app create --platform APNS --name emu-apns-cert \\\n"
	       "    --attr PlatformPrincipal=@%s/apns-cert.pem --attr PlatformCredential=@%s/apns-cert-key.pem\n"
	       "FCM HTTP v1:\n"
	       "  herald app create --platform GCM --name emu-fcm \\\n"
	       "    --attr PlatformCredential=@%s/fcm-service-account.json\n",
	       dir, dir, o->apns_port, o->fcm_port, o->control_port, dir, kid, dir, team, bundle,
	       dir, dir, dir);
	/* The shared secrets are in DIR/emulator.json (0600); print where, not what. */
	printf("FCM legacy (/fcm/send, retired by Google; the server key is fcm.server_key):\n"
	       "  herald app create --platform GCM --name emu-gcm-legacy \\\n"
	       "    --attr PlatformCredential=\"$(jq -r .fcm.server_key %s/emulator.json)\"\n"
	       "ADM (https://127.0.0.1:%d/auth/O2/token and /messaging/registrations/ID/messages):\n"
	       "  herald app create --platform ADM --name emu-adm --attr PlatformPrincipal=%s \\\n"
	       "    --attr PlatformCredential=\"$(jq -r .adm.client_secret %s/emulator.json)\"\n"
	       "WNS (https://127.0.0.1:%d/accesstoken.srf; channels like https://127.0.0.1:%d/?token=CHANNEL):\n"
	       "  herald app create --platform WNS --name emu-wns --attr PlatformPrincipal=%s \\\n"
	       "    --attr PlatformCredential=\"$(jq -r .wns.secret %s/emulator.json)\"\n"
	       "WNS through Microsoft Entra (Windows App SDK apps; toast and raw only):\n"
	       "  token URL https://127.0.0.1:%d/%s/oauth2/v2.0/token\n"
	       "  tenant id %s, client id %s, secret: jq -r .wns.entra_client_secret %s/emulator.json\n"
	       "Baidu (https://127.0.0.1:%d/rest/3.0/push/single_device):\n"
	       "  herald app create --platform BAIDU --name emu-baidu --attr PlatformPrincipal=%s \\\n"
	       "    --attr PlatformCredential=\"$(jq -r .baidu.secret_key %s/emulator.json)\"\n"
	       "MPNS (channels https://127.0.0.1:%d/throttledthirdparty/01.00/ID; the\n"
	       "  unthrottledthirdparty ones need this client certificate):\n"
	       "  herald app create --platform MPNS --name emu-mpns \\\n"
	       "    --attr PlatformPrincipal=@%s/mpns-cert.pem --attr PlatformCredential=@%s/mpns-cert-key.pem\n",
	       dir, o->adm_port, sec->adm_id, dir, o->wns_port, o->wns_port, sec->wns_sid, dir,
	       o->wns_port, sec->entra_tenant, sec->entra_tenant, sec->entra_client, dir,
	       o->baidu_port, sec->baidu_key, dir, o->mpns_port, dir, dir);
}

int settings_init_dir(const char *dir, const struct emu_init_opts *opts, char *err, size_t errlen)
{
	static const char *const ca_exts[] = {"basicConstraints",
					      "critical,CA:TRUE",
					      "keyUsage",
					      "critical,keyCertSign,cRLSign",
					      "subjectKeyIdentifier",
					      "hash",
					      NULL};
	static const char *const server_exts[] = {"basicConstraints",
						  "critical,CA:FALSE",
						  "keyUsage",
						  "critical,digitalSignature",
						  "extendedKeyUsage",
						  "serverAuth",
						  "subjectAltName",
						  "IP:127.0.0.1,IP:::1,DNS:localhost",
						  "authorityKeyIdentifier",
						  "keyid",
						  NULL};
	static const char *const client_exts[] = {"basicConstraints",
						  "critical,CA:FALSE",
						  "keyUsage",
						  "critical,digitalSignature,keyEncipherment",
						  "extendedKeyUsage",
						  "clientAuth",
						  APNS_OID_DEVELOPMENT,
						  "ASN1:NULL",
						  APNS_OID_PRODUCTION,
						  "ASN1:NULL",
						  "authorityKeyIdentifier",
						  "keyid",
						  NULL};
	struct init_ctx ctx = {.dir = dir, .force = opts->force, .err = err, .errlen = errlen};
	struct emu_init_opts o = *opts;
	static const char *const mpns_exts[] = {"basicConstraints",
						"critical,CA:FALSE",
						"keyUsage",
						"critical,digitalSignature,keyEncipherment",
						"extendedKeyUsage",
						"clientAuth",
						"authorityKeyIdentifier",
						"keyid",
						NULL};
	EVP_PKEY *ca_key = NULL, *srv_key = NULL, *apns_key = NULL, *cli_key = NULL, *sa_key = NULL,
		 *mpns_key = NULL;
	X509 *ca = NULL, *srv = NULL, *cli = NULL, *mpns = NULL;
	char kid[EMU_ID_LEN + 1], team[EMU_ID_LEN + 1], sa_kid[41], subject[768], email[256],
		token_uri[128];
	struct init_secrets sec;
	const char *bundle = o.bundle_id ? o.bundle_id : "com.example.herald";
	const char *project = o.project_id ? o.project_id : "herald-emulator";
	int rc = -1;

	err[0] = '\0';
	if (!o.apns_port)
		o.apns_port = EMU_DEFAULT_APNS;
	if (!o.fcm_port)
		o.fcm_port = EMU_DEFAULT_FCM;
	if (!o.control_port)
		o.control_port = EMU_DEFAULT_CTRL;
	if (!o.adm_port)
		o.adm_port = EMU_DEFAULT_ADM;
	if (!o.wns_port)
		o.wns_port = EMU_DEFAULT_WNS;
	if (!o.baidu_port)
		o.baidu_port = EMU_DEFAULT_BAIDU;
	if (!o.mpns_port)
		o.mpns_port = EMU_DEFAULT_MPNS;
	make_secrets(&sec);
	if (strlen(bundle) > 200 || strlen(project) > 100 || strpbrk(bundle, "\n=/") ||
	    strpbrk(project, "\n/@ ")) {
		snprintf(err, errlen, "bundle id or project id too long or malformed");
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	random_id(kid);
	random_id(team);
	random_hex(sa_kid, 20);
	snprintf(email, sizeof(email), "herald-emulator@%s.iam.gserviceaccount.com", project);
	snprintf(token_uri, sizeof(token_uri), "https://127.0.0.1:%d/token", o.fcm_port);

	ca_key = EVP_EC_gen("P-256");
	srv_key = EVP_EC_gen("P-256");
	apns_key = EVP_EC_gen("P-256");
	cli_key = EVP_RSA_gen(2048);
	mpns_key = EVP_EC_gen("P-256");
	sa_key = EVP_RSA_gen(2048);
	if (!ca_key || !srv_key || !apns_key || !cli_key || !sa_key || !mpns_key) {
		snprintf(err, errlen, "key generation failed");
		goto out;
	}
	ca = make_cert(ca_key, NULL, NULL, "O=herald-emulator\nCN=herald-emulator CA", ca_exts,
		       CA_DAYS);
	srv = ca ? make_cert(srv_key, ca, ca_key, "O=herald-emulator\nCN=127.0.0.1", server_exts,
			     CERT_DAYS)
		 : NULL;
	/* Shaped like Apple's: UID is the topic, CN names the service. */
	snprintf(subject, sizeof(subject),
		 "UID=%s\nCN=Apple Push Services: %s\nOU=%s\nO=herald-emulator\nC=US", bundle,
		 bundle, team);
	cli = srv ? make_cert(cli_key, ca, ca_key, subject, client_exts, CERT_DAYS) : NULL;
	/* MPNS authenticated mode: the CN is the service name the phone app registers. */
	mpns = cli ? make_cert(mpns_key, ca, ca_key, "CN=" MPNS_SERVICE_NAME "\nO=herald-emulator",
			       mpns_exts, CERT_DAYS)
		   : NULL;
	if (!mpns) {
		snprintf(err, errlen, "certificate generation failed");
		goto out;
	}
	if (write_key(&ctx, "ca-key.pem", ca_key) || write_cert(&ctx, "ca.pem", ca) ||
	    write_key(&ctx, "server-key.pem", srv_key) || write_cert(&ctx, "server.pem", srv) ||
	    write_key(&ctx, "apns-key.p8", apns_key) ||
	    write_key(&ctx, "apns-cert-key.pem", cli_key) ||
	    write_cert(&ctx, "apns-cert.pem", cli) ||
	    write_key(&ctx, "mpns-cert-key.pem", mpns_key) ||
	    write_cert(&ctx, "mpns-cert.pem", mpns) ||
	    write_service_account(&ctx, sa_key, project, sa_kid, email, token_uri) ||
	    write_config(&ctx, &o, kid, team, bundle, &sec))
		goto out;
	print_usage_hint(dir, &o, kid, team, bundle, &sec);
	rc = 0;
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(apns_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(mpns_key);
	X509_free(mpns);
	EVP_PKEY_free(sa_key);
	X509_free(ca);
	X509_free(srv);
	X509_free(cli);
	return rc;
}
