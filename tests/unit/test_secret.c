/* alerts/secret: where the webhook URL comes from, the ssh-like refusal of
 * a file others can read, and errors that never repeat the URL. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../alerts/secret.h"
#include "helpers.h"

#define SECRET "T0K3N-s3cr3t"

struct tmp {
	char dir[64];
	char path[128];
};

static int tmp_setup(void **state)
{
	struct tmp *t = SCRATCH_FIXTURE(struct tmp, dir, "secret");

	if (t == NULL)
		return -1;
	snprintf(t->path, sizeof t->path, "%s/webhook", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	tree_remove(t->dir);
	free(t);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path); /* a new file, whatever the last test left */
	write_text(path, text);
	/* chmod: the creation mask must not decide what the test checks */
	assert_int_equal(chmod(path, mode), 0);
}

static void test_env_wins_over_file(void **state)
{
	struct tmp *t = *state;
	char *url = NULL, err[256] = "";

	write_file(t->path, "https://file.example/" SECRET "\n", 0600);
	assert_int_equal(secret_read_url("  https://env.example/" SECRET "\n", t->path, &url, err,
	                                 sizeof err),
	                 0);
	assert_string_equal(url, "https://env.example/" SECRET);
	secret_free(url);
	/* an empty variable counts as unset */
	assert_int_equal(secret_read_url("", t->path, &url, err, sizeof err), 0);
	assert_string_equal(url, "https://file.example/" SECRET);
	secret_free(url);
	/* the variable wins even when the file is missing */
	assert_int_equal(secret_read_url("http://env.example/x", "/nonexistent/webhook", &url, err,
	                                 sizeof err),
	                 0);
	secret_free(url);
}

static void test_nothing_configured_is_no_url(void **state)
{
	char *url = (char *)"junk", err[64] = "";

	(void)state;
	assert_int_equal(secret_read_url(NULL, NULL, &url, err, sizeof err), 0);
	assert_null(url);
}

static void test_file_is_stripped(void **state)
{
	struct tmp *t = *state;
	char *url = NULL, err[256] = "";

	write_file(t->path, "\n  https://hooks.slack.com/services/T0/B0/" SECRET "  \r\n\n", 0400);
	assert_int_equal(secret_read_url(NULL, t->path, &url, err, sizeof err), 0);
	assert_string_equal(url, "https://hooks.slack.com/services/T0/B0/" SECRET);
	secret_free(url);
}

static void test_file_readable_by_others_is_refused(void **state)
{
	struct tmp *t = *state;
	char *url = NULL, err[256], expect[256];

	write_file(t->path, "https://hooks.slack.com/services/" SECRET "\n", 0644);
	assert_int_equal(secret_read_url(NULL, t->path, &url, err, sizeof err), -EPERM);
	assert_null(url);
	snprintf(expect, sizeof expect,
	         "webhook_url_file %s is readable by others (mode 0644); chmod 600 it", t->path);
	assert_string_equal(err, expect);
	write_file(t->path, "https://hooks.slack.com/services/" SECRET "\n", 0640);
	assert_int_equal(secret_read_url(NULL, t->path, &url, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "readable by its group (mode 0640)"));
	assert_null(strstr(err, SECRET));
}

static void test_missing_file_names_path(void **state)
{
	struct tmp *t = *state;
	char *url = NULL, err[256];

	assert_int_equal(secret_read_url(NULL, t->path, &url, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, t->path));
	assert_null(url);
}

static void test_bad_contents_refused_without_echo(void **state)
{
	static const char *const bad[] = {
		"",
		"   \n",
		"ftp://files.example/" SECRET "\n",
		"hooks.slack.com/services/" SECRET "\n",
		"https://hooks.slack.com/" SECRET "\nhttps://second.example/" SECRET "\n",
		"https:///" SECRET "\n",
	};
	struct tmp *t = *state;
	char *url = NULL, err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(t->path, bad[i], 0600);
		err[0] = '\0';
		assert_int_equal(secret_read_url(NULL, t->path, &url, err, sizeof err), -EINVAL);
		assert_null(url);
		assert_non_null(strstr(err, t->path));
		assert_null(strstr(err, SECRET));
		/* the same text in the variable */
		err[0] = '\0';
		if (bad[i][0] != '\0') {
			assert_int_equal(secret_read_url(bad[i], NULL, &url, err, sizeof err),
			                 -EINVAL);
			assert_non_null(strstr(err, "MERGEWATCH_WEBHOOK_URL"));
			assert_null(strstr(err, SECRET));
		}
	}
}

static void test_directory_is_refused(void **state)
{
	struct tmp *t = *state;
	char *url = NULL, err[256], sub[160];

	snprintf(sub, sizeof sub, "%s/adir", t->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(secret_read_url(NULL, sub, &url, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_url_host(void **state)
{
	static const struct {
		const char *url, *host;
	} cases[] = {
		{ "https://hooks.slack.com/services/T0/B0/" SECRET, "hooks.slack.com" },
		{ "https://discord.com/api/webhooks/1/" SECRET, "discord.com" },
		{ "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
		  "invoke?api-version=2016-06-01&sig=" SECRET,
		  "prod-12.westus.logic.azure.com" },
		{ "http://user:" SECRET "@alerts.example:8080/hook", "alerts.example" },
		{ "http://[::1]:9093/api", "[::1]" },
		{ "HTTP://127.0.0.1?sig=" SECRET, "127.0.0.1" },
		{ "https://mm.example#" SECRET, "mm.example" },
		{ "hooks.slack.com/" SECRET, "(no host)" },
		{ "https:///" SECRET, "(no host)" },
		{ "", "(no host)" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(secret_url_host(cases[i].url, buf, sizeof buf), cases[i].host);
	assert_string_equal(secret_url_host(NULL, buf, sizeof buf), "(no host)");
	/* a short buffer is cut, never overrun */
	assert_string_equal(secret_url_host("https://hooks.slack.com/x", buf, 6), "hooks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env_wins_over_file, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_nothing_configured_is_no_url),
		cmocka_unit_test_setup_teardown(test_file_is_stripped, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_readable_by_others_is_refused, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_names_path, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test_setup_teardown(test_bad_contents_refused_without_echo, tmp_setup,
		                                tmp_teardown),
		cmocka_unit_test_setup_teardown(test_directory_is_refused, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_url_host),
	};

	return cmocka_run_group_tests_name("webhook secret", tests, NULL, NULL) == 0 ? 0 : 1;
}
