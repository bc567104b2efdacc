/*
 * An APNs application's configuration, read and checked offline.  The
 * method follows SNS: token authentication when ApplePlatformTeamID and
 * ApplePlatformBundleID are set (PlatformPrincipal the signing key id,
 * PlatformCredential the .p8 key), else certificate authentication
 * (PlatformPrincipal the PEM certificate, PlatformCredential its PEM key).
 * The server: Apple's production or sandbox host by platform, port 443 or
 * the driver option port (2197), or the option url (herald-emulator).
 * Messages name the attribute at fault, never its secret value.
 */
#include "config.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/apns/apns.h"
#include "plugins/common/plugutil.h"

/* Apple's team and key ids: 10 upper-case letters and digits. */
static bool apple_id_valid(const char *s, size_t len)
{
	if (len != 10)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A bundle id: letters, digits, '-' and '.' (SNS's rule), 1 to 155 bytes. */
static bool bundle_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 155)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static int fail(char *err, size_t err_size, const char *msg)
{
	snprintf(err, err_size, "%s", msg);
	return HERALD_EINVAL;
}

static int read_server(const struct herald_app_config *cfg, struct apns_conf *out, char *err,
		       size_t err_size)
{
	const char *url = plug_option(cfg, "url"), *port = plug_option(cfg, "port");
	const char *host = !strcmp(cfg->platform, "APNS_SANDBOX") ? APNS_SANDBOX_HOST : APNS_HOST;
	size_t n;

	if (url) {
		n = strlen(url);
		while (n && url[n - 1] == '/')
			n--;
		if (strncmp(url, "https://", 8) || n <= 8 || memchr(url + 8, '/', n - 8) ||
		    n >= sizeof(out->origin))
			return fail(
				err, err_size,
				"driver option url must be https://host[:port] (drivers.apns.url "
				"in herald.conf)");
		memcpy(out->origin, url, n);
		out->origin[n] = '\0';
		return 0;
	}
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);

		if (*end || p < 1 || p > 65535)
			return fail(err, err_size,
				    "driver option port must be a port number (443 or 2197)");
		snprintf(out->origin, sizeof(out->origin), "https://%s:%ld", host, p);
		return 0;
	}
	snprintf(out->origin, sizeof(out->origin), "https://%s", host);
	return 0;
}

static int read_token_auth(const struct herald_host *host, struct herald_app *app,
			   const struct herald_app_config *cfg, const char *team,
			   const char *bundle, bool want_key, struct apns_conf *out, char *err,
			   size_t err_size)
{
	char kerr[256], jwt[512];
	struct herald_key *key;

	out->token_auth = true;
	if (!apple_id_valid(team, strlen(team)))
		return fail(err, err_size,
			    "ApplePlatformTeamID must be the 10-character Team ID (A-Z, 0-9)");
	if (!bundle_id_valid(bundle))
		return fail(
			err, err_size,
			"ApplePlatformBundleID must be a bundle id (letters, digits, '-', '.')");
	if (!cfg->principal || !apple_id_valid(cfg->principal, cfg->principal_len))
		return fail(err, err_size,
			    "PlatformPrincipal must be the 10-character signing key ID for token "
			    "authentication");
	if (!cfg->credential || !cfg->credential_len)
		return fail(err, err_size,
			    "PlatformCredential must be the signing key (.p8 file contents)");
	if (!HERALD_HAS(host, oauth_free))
		return fail(err, err_size, "the apns driver needs heraldd 0.2 or later (ABI 1.1)");
	snprintf(out->team_id, sizeof(out->team_id), "%s", team);
	memcpy(out->key_id, cfg->principal, 10);
	out->key_id[10] = '\0';
	snprintf(out->bundle_id, sizeof(out->bundle_id), "%s", bundle);
	key = host->key_load(app, cfg->credential, cfg->credential_len, kerr, sizeof(kerr));
	if (!key) {
		snprintf(err, err_size, "PlatformCredential is not a usable .p8 signing key: %s",
			 kerr);
		return HERALD_EINVAL;
	}
	/* Apple signs with ES256 only: an RSA key loads but cannot sign for APNs. */
	if (host->jwt_sign(key, "{\"alg\":\"ES256\"}", "{}", jwt, sizeof(jwt)) < 0) {
		host->key_free(key);
		return fail(err, err_size,
			    "PlatformCredential must be an EC P-256 key (.p8): APNs accepts ES256 "
			    "only");
	}
	if (want_key)
		out->key = key;
	else
		host->key_free(key);
	return 0;
}

static void cert_uid(X509 *cert, char *out, size_t out_size)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_userId, -1);
	ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	int len = s ? ASN1_STRING_length(s) : 0;

	out[0] = '\0';
	if (s && len > 0 && (size_t)len < out_size) {
		memcpy(out, ASN1_STRING_get0_data(s), (size_t)len);
		out[len] = '\0';
		if (!bundle_id_valid(out))
			out[0] = '\0';
	}
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int read_cert_auth(const struct herald_app_config *cfg, struct apns_conf *out, char *err,
			  size_t err_size)
{
	BIO *bio = NULL;
	X509 *cert = NULL;
	EVP_PKEY *pkey = NULL;
	struct tm tm;
	int rc = HERALD_EINVAL;

	out->token_auth = false;
	if (!cfg->principal || !cfg->principal_len || !cfg->credential || !cfg->credential_len)
		return fail(err, err_size,
			    "certificate authentication needs PlatformPrincipal (the PEM "
			    "certificate) and PlatformCredential (its PEM private key); token "
			    "authentication needs ApplePlatformTeamID and ApplePlatformBundleID");
	bio = BIO_new_mem_buf(cfg->principal, (int)cfg->principal_len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!cert) {
		fail(err, err_size,
		     "PlatformPrincipal is not a PEM certificate (certificate authentication; for "
		     "token authentication set ApplePlatformTeamID and ApplePlatformBundleID)");
		goto out;
	}
	bio = BIO_new_mem_buf(cfg->credential, (int)cfg->credential_len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!pkey) {
		fail(err, err_size,
		     "PlatformCredential is not an unencrypted PEM private key (certificate "
		     "authentication)");
		goto out;
	}
	if (X509_check_private_key(cert, pkey) != 1) {
		fail(err, err_size,
		     "PlatformCredential is not the private key of the certificate in "
		     "PlatformPrincipal");
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
		fail(err, err_size,
		     "the certificate in PlatformPrincipal has no readable notAfter");
		goto out;
	}
	out->cert_not_after = timegm(&tm);
	cert_uid(cert, out->bundle_id, sizeof(out->bundle_id));
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

int apns_conf_read(const struct herald_host *host, struct herald_app *app,
		   const struct herald_app_config *cfg, bool want_key, struct apns_conf *out,
		   char *err, size_t err_size)
{
	const char *team = plug_attr(cfg, "ApplePlatformTeamID");
	const char *bundle = plug_attr(cfg, "ApplePlatformBundleID");
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_server(cfg, out, err, err_size);
	if (rc)
		return rc;
	if (team && bundle)
		return read_token_auth(host, app, cfg, team, bundle, want_key, out, err, err_size);
	if (team)
		return fail(err, err_size,
			    "token authentication needs both ApplePlatformTeamID and "
			    "ApplePlatformBundleID");
	rc = read_cert_auth(cfg, out, err, err_size);
	if (rc == 0 && bundle) { /* the topic, instead of the certificate's UID */
		if (!bundle_id_valid(bundle))
			return fail(err, err_size,
				    "ApplePlatformBundleID must be a bundle id (letters, digits, "
				    "'-', '.')");
		snprintf(out->bundle_id, sizeof(out->bundle_id), "%s", bundle);
	}
	return rc;
}
