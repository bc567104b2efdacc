/*
 * Keys and certificates the driver tests make at run time with OpenSSL, so
 * that no secret, however fake, sits in the tree: P-256 and RSA keys, and
 * self-signed certificates with a chosen subject UID and validity.
 */
#ifndef HERALD_TESTS_TESTKEYS_H
#define HERALD_TESTS_TESTKEYS_H

/* The throw-away APNs key of providers.md §1.5 (never a real credential). */
#define TESTKEYS_P8                                                          \
	"-----BEGIN PRIVATE KEY-----\n"                                      \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZ/twsmkGZXoaGsy1\n" \
	"Vmm35dnP5POblmUR9mG1rdz9p1qhRANCAARrrsZaIV3w5FBm9AkFjcAvC1iOUVLE\n" \
	"v3wiIynF1efTjADEzX95H1jIaa6K5dujOog+XpAZzhUNwI5ijDQA/5DO\n"         \
	"-----END PRIVATE KEY-----\n"

/* A new PEM (PKCS#8) private key: "EC" (P-256) or "RSA" (2048 bits); malloc'ed. */
char *testkeys_key(const char *type);
/*
 * A self-signed PEM certificate for key_pem (from testkeys_key), subject
 * UID uid (NULL: none), valid from now - 1 day to now + days (negative:
 * already expired); malloc'ed.
 */
char *testkeys_cert(const char *key_pem, const char *uid, int days);

#endif
