# The detection corpus (tests/corpus/, run by tests/e2e/test_corpus.py):
# the C programs built with debug information, so the evidence can name
# their functions with file and line, and a real Polars (nodejs-polars,
# pinned) installed under build/npm. npm (Node 20) skips an optional native
# package whose engine field it dislikes without a word, so the native
# binary is asked for by name and its file checked.

CORPUS_C   = $(wildcard tests/corpus/*.c)
CORPUS_BIN = $(CORPUS_C:tests/corpus/%.c=$(BUILD)/corpus/%)
POLARS_VERSION = 0.25.2
POLARS_NODE = $(BUILD)/npm/node_modules/nodejs-polars-linux-x64-gnu/nodejs-polars.linux-x64-gnu.node

.PHONY: corpus polars

corpus: $(CORPUS_BIN) polars

$(BUILD)/corpus/%: tests/corpus/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) -std=c11 -g -O0 -D_GNU_SOURCE $(WARN) -o $@ $< -lpthread

polars: $(POLARS_NODE)

$(POLARS_NODE):
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	@mkdir -p $(BUILD)/npm
	@echo "  NPM nodejs-polars@$(POLARS_VERSION)"; cd $(BUILD)/npm && \
	  npm install --prefix . --no-audit --no-fund --loglevel=error \
	    nodejs-polars@$(POLARS_VERSION) nodejs-polars-linux-x64-gnu@$(POLARS_VERSION) >/dev/null
	@test -s $@ || { echo "nodejs-polars: the native binary $@ is missing"; exit 1; }
	@touch $@
