# The layer check: folders are layers, bottom to top, and a file includes
# only from its own folder or from a folder below it (so no folder can
# include from one that includes it, directly or through others). tui/ and
# report/ are two views side by side: neither includes the other. main.c
# sits on top. Part of `make lint`; docs/ARCHITECTURE.md draws the picture.

LAYER_ORDER = lib collectors core plan jobs logdir alerts runner tui:report

.PHONY: lint-layers

lint-layers:
	@tests/layers.py $(LAYER_ORDER)
