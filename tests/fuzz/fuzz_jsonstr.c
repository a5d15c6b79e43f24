/* libFuzzer target: jsonstr_new, which makes a JSON string of raw bytes from
 * other processes (names, command lines, wait channels).
 *
 * Properties: the result is always a JSON string (never NULL but for memory);
 * dumped by jansson it is valid JSON that parses back to the same string; and
 * a raw string that is already valid UTF-8 (jansson accepts it as it is) is
 * kept byte for byte. The input is cut at its first NUL, as a C string is. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw, *dumped;
	json_t *str, *back, *plain;
	json_error_t jerr;

	raw = malloc(size + 1);
	if (raw == NULL)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0';

	str = jsonstr_new(raw);
	if (str == NULL || !json_is_string(str))
		abort();
	if (json_string_length(str) > 4 * strlen(raw))
		abort();

	dumped = json_dumps(str, JSON_ENCODE_ANY);
	if (dumped == NULL)
		abort();
	back = json_loads(dumped, JSON_DECODE_ANY, &jerr);
	if (back == NULL) {
		fprintf(stderr, "jsonstr_new gave invalid JSON %s: %s\n", dumped, jerr.text);
		abort();
	}
	if (!json_is_string(back) || !json_equal(back, str))
		abort();

	/* Valid UTF-8 in, the same bytes out. */
	plain = json_string(raw);
	if (plain != NULL && !json_equal(plain, str)) {
		fprintf(stderr, "valid UTF-8 was changed: %s\n", dumped);
		abort();
	}

	json_decref(plain);
	json_decref(back);
	json_decref(str);
	free(dumped);
	free(raw);
	return 0;
}
