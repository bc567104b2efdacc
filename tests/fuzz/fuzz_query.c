/*
 * Fuzz target for the bytes the SNS HTTP API reads from a request body: the
 * AWS Query form decoder (broker/query.c).  Whatever decodes must be an
 * object of strings, arrays and objects, and must encode as response XML
 * (broker/xml.c); any input's bytes must survive XML escaping.  Built as a
 * libFuzzer binary by `make fuzz` and run over tests/fuzz/corpus/query by
 * tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/query.h"
#include "broker/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_STANDALONE
/* `make fuzz` links query.c and xml.c alone, without the operation table. */
json_t *op_fail(struct op_error *err, const char *code, int status, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

json_t *op_internal(struct op_error *err, const char *cause)
{
	(void)cause;
	return op_fail(err, "InternalError", 500, "Internal error");
}
#endif

/* Only strings, arrays and objects come out of a form. */
static void fuzz_check_shape(json_t *v)
{
	const char *k;
	json_t *sub;
	size_t i;

	if (json_is_string(v))
		return;
	if (json_is_array(v)) {
		json_array_foreach (v, i, sub)
			fuzz_check_shape(sub);
		return;
	}
	if (!json_is_object(v))
		abort();
	json_object_foreach (v, k, sub)
		fuzz_check_shape(sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct op_error err = {0};
	char *action = NULL, *version = NULL, *xml, *esc = NULL;
	size_t esc_len = 0;
	json_t *args = query_decode((const char *)data, size, &action, &version, &err);

	if (args) {
		if (!json_is_object(args))
			abort();
		fuzz_check_shape(args);
		xml = xml_response("ListTopics", args, "00000000-0000-0000-0000-000000000000");
		if (!xml)
			abort();
		free(xml);
	} else if (!err.code[0] || !err.message[0] || action || version) {
		abort(); /* a refusal always says why and leaves nothing behind */
	}
	if (xml_escape(&esc, &esc_len, (const char *)data, size) < 0 || strlen(esc) != esc_len ||
	    strchr(esc, '<'))
		abort();
	free(esc);
	json_decref(args);
	free(action);
	free(version);
	return 0;
}
