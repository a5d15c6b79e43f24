# Documentation and examples: `make install-docs`, `make uninstall-docs`.
# Included by the main Makefile, which defines PREFIX, DESTDIR, MANDIR and
# DOCDIR (and makes `install` depend on `install-docs`).
#
#   $(MANDIR)/man1/mergewatch.1                          the manual
#   $(PREFIX)/share/bash-completion/completions/mergewatch   loaded on demand
#   $(DOCDIR)/examples/                                  plan, script, unit

BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

INSTALL_DOCS_MAN      = docs/mergewatch.1
INSTALL_DOCS_COMPLETE = completions/mergewatch.bash
# Scripts keep their execute bit; systemd units get the installed binary's
# path in ExecStart; the rest is data.
INSTALL_DOCS_SCRIPTS  = $(wildcard examples/*.sh)
INSTALL_DOCS_UNITS    = $(wildcard examples/*.service)
INSTALL_DOCS_DATA     = $(filter-out $(INSTALL_DOCS_SCRIPTS) $(INSTALL_DOCS_UNITS),\
                          $(wildcard examples/*))

.PHONY: install-docs uninstall-docs

install-docs:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(DOCDIR)/examples
	install -m 644 $(INSTALL_DOCS_MAN) $(DESTDIR)$(MANDIR)/man1/mergewatch.1
	install -m 644 $(INSTALL_DOCS_COMPLETE) $(DESTDIR)$(BASHCOMPDIR)/mergewatch
	$(if $(INSTALL_DOCS_DATA),install -m 644 $(INSTALL_DOCS_DATA) $(DESTDIR)$(DOCDIR)/examples/)
	$(if $(INSTALL_DOCS_SCRIPTS),install -m 755 $(INSTALL_DOCS_SCRIPTS) $(DESTDIR)$(DOCDIR)/examples/)
	for f in $(INSTALL_DOCS_UNITS); do \
	  out=$(DESTDIR)$(DOCDIR)/examples/$${f##*/}; \
	  sed 's|/usr/local/bin/mergewatch|$(PREFIX)/bin/mergewatch|' $$f > $$out && \
	  chmod 644 $$out || exit 1; \
	done

uninstall-docs:
	rm -f $(DESTDIR)$(MANDIR)/man1/mergewatch.1 $(DESTDIR)$(BASHCOMPDIR)/mergewatch
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(wildcard examples/*)))
	rmdir $(DESTDIR)$(DOCDIR)/examples 2>/dev/null || true
