#include "curlapi.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int curlapi_open(struct curlapi *api, char *err, size_t errlen)
{
	/* Each entry: where the pointer goes, and the symbol it comes from. */
	const struct {
		void **slot;
		const char *name;
	} syms[] = {
		{ (void **)&api->global_init, "curl_global_init" },
		{ (void **)&api->global_cleanup, "curl_global_cleanup" },
		{ (void **)&api->easy_init, "curl_easy_init" },
		{ (void **)&api->easy_setopt, "curl_easy_setopt" },
		{ (void **)&api->easy_getinfo, "curl_easy_getinfo" },
		{ (void **)&api->easy_perform, "curl_easy_perform" },
		{ (void **)&api->easy_cleanup, "curl_easy_cleanup" },
		{ (void **)&api->easy_strerror, "curl_easy_strerror" },
		{ (void **)&api->multi_init, "curl_multi_init" },
		{ (void **)&api->multi_setopt, "curl_multi_setopt" },
		{ (void **)&api->multi_add_handle, "curl_multi_add_handle" },
		{ (void **)&api->multi_remove_handle, "curl_multi_remove_handle" },
		{ (void **)&api->multi_socket_action, "curl_multi_socket_action" },
		{ (void **)&api->multi_info_read, "curl_multi_info_read" },
		{ (void **)&api->multi_cleanup, "curl_multi_cleanup" },
		{ (void **)&api->slist_append, "curl_slist_append" },
		{ (void **)&api->slist_free_all, "curl_slist_free_all" },
		{ (void **)&api->getdate, "curl_getdate" },
	};

	memset(api, 0, sizeof(*api));
	api->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (api->lib == NULL) {
		snprintf(err, errlen, "alerts need libcurl (libcurl.so.4): %s", dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(api->lib, syms[i].name);
		if (*syms[i].slot == NULL) {
			snprintf(err, errlen, "libcurl.so.4 lacks %s", syms[i].name);
			dlclose(api->lib);
			memset(api, 0, sizeof(*api));
			return -ENOENT;
		}
	}
	if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialise");
		dlclose(api->lib);
		memset(api, 0, sizeof(*api));
		return -EIO;
	}
	return 0;
}

void curlapi_close(struct curlapi *api)
{
	if (api->lib == NULL)
		return;
	api->global_cleanup();
	dlclose(api->lib);
	memset(api, 0, sizeof(*api));
}
