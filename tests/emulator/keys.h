/*
 * Test keys and helpers shared by the emulator's unit tests.  The APNs key
 * and token are the throw-away test vector of providers.md §1.5 (private
 * scalar = SHA-256 of "apns-emulator-test-key-1"); never a real credential.
 */
#ifndef HERALD_TESTS_EMULATOR_KEYS_H
#define HERALD_TESTS_EMULATOR_KEYS_H

#include <string.h>

#include <CUnit/CUnit.h>
#include <CUnit/Basic.h>
#include <openssl/pem.h>

#include "emulator/settings.h"

#define TV_KID	"ABC123DEFG"
#define TV_TEAM "DEF123GHIJ"
#define TV_IAT	1700000000LL
#define TV_TOKEN                                              \
	"eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRkcifQ."     \
	"eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzAwMDAwMDAwfQ." \
	"fMl0P8KXEszZlJIpgEc6h0PONcJoh1q9Y5_hwK8UDisrRoc7mzi4YtVsqRH4Mue9Gi7jeFGQckr7Sef05RljJA"

static const char tv_private_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZ/twsmkGZXoaGsy1\n"
	"Vmm35dnP5POblmUR9mG1rdz9p1qhRANCAARrrsZaIV3w5FBm9AkFjcAvC1iOUVLE\n"
	"v3wiIynF1efTjADEzX95H1jIaa6K5dujOog+XpAZzhUNwI5ijDQA/5DO\n"
	"-----END PRIVATE KEY-----\n";

static const char tv_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa67GWiFd8ORQZvQJBY3ALwtYjlFS\n"
	"xL98IiMpxdXn04wAxM1/eR9YyGmuiuXbozqIPl6QGc4VDcCOYow0AP+Qzg==\n"
	"-----END PUBLIC KEY-----\n";

static inline EVP_PKEY *tv_private_key(void)
{
	BIO *bio = BIO_new_mem_buf(tv_private_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return key;
}

static inline EVP_PKEY *tv_public_key(void)
{
	BIO *bio = BIO_new_mem_buf(tv_public_pem, -1);
	EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

	BIO_free(bio);
	return key;
}

/* A CUnit main for one suite; returns the process exit code. */
static inline int keys_run_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
				 CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {{name, init, clean, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
		 CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#endif
