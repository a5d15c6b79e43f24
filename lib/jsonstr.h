/* Strings from other processes (names, command lines, wait channels) are raw
 * bytes; JSON needs valid UTF-8. */
#ifndef MW_JSONSTR_H
#define MW_JSONSTR_H

#include <jansson.h>

/* A JSON string of raw: valid UTF-8 is kept as it is (jansson escapes control
 * characters when dumping), every byte that is not part of valid UTF-8 is
 * written as the four characters "\xNN". Returns a new reference, or NULL on
 * allocation failure. */
json_t *jsonstr_new(const char *raw);

#endif
