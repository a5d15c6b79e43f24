# The house format (.clang-format): `make format` rewrites every C file of
# the project in place; `make lint-format` (part of `make lint`) fails,
# naming the files, when one differs from it.

CLANG_FORMAT ?= clang-format
FORMAT_SRC = $(wildcard $(addsuffix /*.[ch],$(LAYERS)) main.c sim/*.c bench/*.c \
               tests/unit/*.[ch] tests/tui/*.c tests/soak/*.c tests/fuzz/*.c tests/corpus/*.c \
               jobs/evidence/*.[ch])

.PHONY: format lint-format

format:
	@$(CLANG_FORMAT) -i $(FORMAT_SRC)

lint-format:
	@bad=""; for f in $(FORMAT_SRC); do \
	  $(CLANG_FORMAT) --dry-run -Werror $$f >/dev/null 2>&1 || bad="$$bad $$f"; \
	done; \
	if [ -n "$$bad" ]; then echo "format: these differ from .clang-format (make format):$$bad"; exit 1; fi; \
	echo "format: $(words $(FORMAT_SRC)) files as .clang-format says"
