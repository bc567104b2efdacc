/* Test keys and certificates made at run time; see testkeys.h. */
#include "tests/plugins/testkeys.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static char *bio_text(BIO *bio)
{
	char *data, *out;
	long n = BIO_get_mem_data(bio, &data);

	out = malloc((size_t)n + 1);
	if (!out)
		abort();
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

char *testkeys_key(const char *type)
{
	EVP_PKEY *pkey = !strcmp(type, "EC") ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
	BIO *bio = BIO_new(BIO_s_mem());
	char *out;

	if (!pkey || !bio || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	out = bio_text(bio);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return out;
}

char *testkeys_cert(const char *key_pem, const char *uid, int days)
{
	BIO *in = BIO_new_mem_buf(key_pem, -1), *bio = BIO_new(BIO_s_mem());
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	X509 *x = X509_new();
	X509_NAME *name;
	char *out;

	if (!pkey || !x || !bio)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400L * (days < 0 ? 2 - days : 1));
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * days + (days >= 0 ? 3600 : 0));
	name = X509_get_subject_name(x);
	if (uid)
		X509_NAME_add_entry_by_NID(name, NID_userId, MBSTRING_UTF8,
					   (const unsigned char *)uid, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Apple Push Services: test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, pkey);
	if (!X509_sign(x, pkey, EVP_sha256()) || PEM_write_bio_X509(bio, x) != 1)
		abort();
	out = bio_text(bio);
	BIO_free(bio);
	BIO_free(in);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return out;
}
