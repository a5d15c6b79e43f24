# Screenshots of the dashboard and the report for the README and docs/:
# the dashboard runs in tmux at 80x24 and 200x50, its screen is captured
# with colours (capture-pane -e), turned into HTML and photographed with
# headless Chromium, as is the report. Chromium comes from Debian.
.PHONY: screenshots screenshot-deps

screenshot-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium fonts-dejavu-core; }

screenshots: all screenshot-deps
	python3 tests/screenshots/capture.py docs
