/* The dashboard behind struct model_view, for the runner: it holds the
 * front end as an opaque pointer and never includes this folder. */

#include "tui.h"

static void *tui_view_open(char *err, size_t errlen)
{
	return tui_new(err, errlen);
}

static void tui_view_close(void *view)
{
	tui_free(view);
}

static int tui_view_input_fd(const void *view)
{
	return tui_input_fd(view);
}

static bool tui_view_handle_input(void *view, const struct model *m,
                                  const struct model_actions *actions)
{
	return tui_handle_input(view, m, actions) == TUI_QUIT;
}

static void tui_view_resize(void *view)
{
	tui_resize(view);
}

static void tui_view_render(void *view, const struct model *m)
{
	tui_render(view, m);
}

static void tui_view_flash(void *view, const char *msg, uint64_t now_ms)
{
	tui_flash(view, msg, now_ms);
}

const struct model_view *tui_view(void)
{
	static const struct model_view view = {
		.open = tui_view_open,
		.close = tui_view_close,
		.input_fd = tui_view_input_fd,
		.handle_input = tui_view_handle_input,
		.resize = tui_view_resize,
		.render = tui_view_render,
		.flash = tui_view_flash,
	};

	return &view;
}
