/* The webhook URL is a secret: whoever has it can post to the team's channel,
 * and services put the credential in the path (Slack, Discord) or in the
 * query (Teams' "sig"). It is read here, and every message about it names
 * only its host. */
#ifndef MW_SECRET_H
#define MW_SECRET_H

#include <stddef.h>

/* Reads the webhook URL. env_value (MERGEWATCH_WEBHOOK_URL, NULL or "" when
 * unset) wins over url_file (webhook_url_file, NULL when not configured).
 * The file must be a regular file that neither its group nor others can read
 * (as ssh demands of private keys); it holds one URL, surrounded by any
 * whitespace. The URL must start with http:// or https:// and name a host.
 *
 * Returns 0 with *url_out a string the caller frees with secret_free, or
 * NULL when neither source is given (alerts disabled). On error returns
 * -ENOENT (file missing), -EACCES (file unreadable), -EPERM (file readable by
 * group or others), -EINVAL (not a usable URL, not a regular file, empty) or
 * -ENOMEM, with *url_out NULL and err saying what is wrong and where: the
 * file's path, at most the URL's host, never the URL. */
int secret_read_url(const char *env_value, const char *url_file, char **url_out, char *err,
                    size_t errlen);

/* Checks that url is one we post to: http:// or https:// (any case), a host,
 * no blanks or control characters. Returns 0, or -EINVAL with err saying
 * what is wrong (naming at most the host). */
int secret_check_url(const char *url, char *err, size_t errlen);

/* Writes the host of url into buf: no scheme, user information, port, path
 * or query, so it can be shown where the URL must not be. An IPv6 literal
 * keeps its brackets. Writes "(no host)" when there is none. Returns buf. */
char *secret_url_host(const char *url, char *buf, size_t len);

/* Wipes and frees a URL from secret_read_url. NULL is ignored. */
void secret_free(char *url);

#endif
