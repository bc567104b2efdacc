/*
 * Fuzz target for the send body the emulated ADM reads from the network
 * (adm_check_send in emulator/adm.c) and the md5 checksum it computes
 * (adm_md5).  Properties: an answer is 0 or ADM's status with a reason;
 * an accepted body yields a 24-character base64 checksum, and the body with
 * that checksum added as "md5" is accepted too.  Built as a libFuzzer binary
 * by `make fuzz` and run over tests/fuzz/corpus/adm by tests/fuzz/replay.c
 * in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "emulator/adm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *reason = NULL;
	char md5[25] = "", again[25];
	int rc = adm_check_send((const char *)data, size, &reason, md5);
	json_t *root;
	char *text;

	if (rc != 0) {
		if ((rc != 400 && rc != 413) || !reason)
			abort();
		return 0;
	}
	if (reason || strlen(md5) != 24)
		abort();
	/* Accepted: with its own checksum stated, it stays accepted. */
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!root || json_object_set_new(root, "md5", json_string(md5)) != 0)
		abort();
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		abort();
	rc = adm_check_send(text, strlen(text), &reason, again);
	if (rc != 0 ? rc != 413 : strcmp(again, md5) != 0)
		abort();
	free(text);
	json_decref(root);
	return 0;
}
