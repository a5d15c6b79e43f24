/* Events as JSON: the one encoder, driven by core/event.c's tables (the
 * event log writes its lines with it, the webhook payloads their
 * annotations), and its inverse for what reads a log back (the report,
 * tests). Field names and types are SPEC "The event log"'s. */
#ifndef MW_EVENTJSON_H
#define MW_EVENTJSON_H

#include <jansson.h>

#include "../core/event.h"

/* The object for ev: "ts" first when ts is not NULL, then "event", then the
 * kind's fields in the table's order (a cleared nullable field as null, a
 * cleared or unset other one left out). Strings that are not valid UTF-8
 * are escaped (lib/jsonstr). Returns a new reference, NULL when out of
 * memory. */
json_t *eventjson_encode(const struct event *ev, const char *ts);

/* Reads obj back into *ev: its kind (EVENT_OTHER with the name in
 * ev->other when unknown), "ts" into wall_ms (0 when missing), and every
 * field of the kind that is present with its type (a null, missing or
 * mistyped field stays cleared; an unknown reason name becomes REASON_OTHER
 * with the name in ev->other). Strings are borrowed from obj. Returns 0, or
 * -EINVAL when obj is not an object with a string "event". */
int eventjson_decode(const json_t *obj, struct event *ev);

#endif
