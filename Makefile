# nsutils: rs-unshare, rs-nsenter, rs-lsns
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(DESTDIR)$(PREFIX)/bin
SHAREDIR := $(DESTDIR)$(PREFIX)/share
MANDIR := $(SHAREDIR)/man
BASHDIR := $(SHAREDIR)/bash-completion/completions
ZSHDIR := $(SHAREDIR)/zsh/site-functions
FISHDIR := $(SHAREDIR)/fish/vendor_completions.d
CARGO ?= cargo
# Where `install` takes the binaries from.
RELEASE ?= target/release
# COMPAT=1: also install unshare, nsenter and lsns (links to ours), their man pages and
# completions under those names, in place of util-linux's.
COMPAT ?=

# Binaries and their man pages (section 1 for the commands, 8 for lsns).
BINS := rs-unshare rs-nsenter rs-lsns
MAN1 := rs-unshare.1 rs-nsenter.1
MAN8 := rs-lsns.8
TOOLS := unshare nsenter lsns
# The names completions are installed for.
NAMES := $(BINS) $(if $(filter 1,$(COMPAT)),$(TOOLS))

.PHONY: all build test lint lint-advisory rust-tools install uninstall clean bench completions

all: build

build:
	$(CARGO) build --release --locked

# Everything CI runs: formatting, lints, unit tests, integration tests (as root they
# also cover the unprivileged path through setpriv). A test that cannot run here (not
# root, no unprivileged user namespaces) says so in the output and in $(SKIP_LOG),
# which is summed up at the end; with CI set, such a test fails instead.
# The lint checks are fatal in `make lint` and, with CI set, in `make test`. Outside CI a
# failing check (a newer toolchain's new lint, say) is reported and the tests run all the
# same, so a user's compiler never stands between them and the test suite. CI counts as set
# as the tests count it: not empty, "0" or "false".
SKIP_LOG := $(CURDIR)/target/skipped-tests
CI_SET := $(filter-out 0 false,$(CI))
test: $(if $(CI_SET),lint,lint-advisory)
	@mkdir -p target && : > '$(SKIP_LOG)'
	NSUTILS_SKIP_LOG='$(SKIP_LOG)' $(CARGO) test --workspace --locked --all-targets -- --test-threads=2 && \
	$(CARGO) test --workspace --locked --doc; \
	rc=$$?; sh tests/skip-summary.sh '$(SKIP_LOG)'; exit $$rc

# The second clippy run holds the code outside tests to clippy.toml's limits: functions
# of at most 60 lines, at most four levels of nested blocks.
# The doc build keeps every intra-doc link resolvable (public docs link no private item).
# Unused dependencies are looked for in the libraries only: the binaries and the test
# programs share their package's dependency lists, so each would report the others'.
lint: rust-tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy --workspace --locked -- -D warnings -W clippy::too_many_lines -W clippy::excessive_nesting
	$(CARGO) clippy --workspace --lib --locked -- -D warnings -W unused-crate-dependencies
	RUSTDOCFLAGS='-D warnings' $(CARGO) doc --workspace --no-deps --locked

lint-advisory:
	@$(MAKE) --no-print-directory lint || \
	    echo "make: the lint checks above failed; outside CI the tests run anyway (make lint, or CI=true make test, stops here)" >&2

# rustfmt and clippy come with a rustup toolchain as components that a minimal
# toolchain lacks: add them where rustup can, else say how to get them.
rust-tools:
	@for c in rustfmt:fmt clippy:clippy; do \
	    $(CARGO) $${c#*:} --version >/dev/null 2>&1 && continue; \
	    echo "make: cargo $${c#*:} is missing; adding the $${c%%:*} component with rustup" >&2; \
	    rustup component add $${c%%:*} >&2 && continue; \
	    echo "make: 'make test' needs rustfmt and clippy: install a Rust toolchain (1.80 or newer) with rustup," >&2; \
	    echo "make: then run: rustup component add rustfmt clippy" >&2; \
	    exit 1; \
	done

# Regenerates completions/ from the option definitions (crates/clidef); a test checks
# that the files there are what this writes.
completions:
	$(CARGO) run --locked -q -p nsutils-clidef -- completions

# With COMPAT=1 an existing unshare, nsenter or lsns that is not our link is left alone:
# install refuses before copying anything.
install: build
	@if [ "$(COMPAT)" = 1 ]; then for t in $(TOOLS); do \
	    if [ -e $(BINDIR)/$$t ] && [ "$$(readlink $(BINDIR)/$$t)" != rs-$$t ]; then \
	        echo "$(BINDIR)/$$t exists and is not a link to rs-$$t: not replacing it" >&2; exit 1; fi; \
	done; fi
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man8 $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	for b in $(BINS); do install -m 0755 $(RELEASE)/$$b $(BINDIR)/$$b; done
	for m in $(MAN1); do install -m 0644 man/$$m $(MANDIR)/man1/$$m; done
	for m in $(MAN8); do install -m 0644 man/$$m $(MANDIR)/man8/$$m; done
	for n in $(NAMES); do \
	    install -m 0644 completions/bash/$$n $(BASHDIR)/$$n && \
	    install -m 0644 completions/zsh/_$$n $(ZSHDIR)/_$$n && \
	    install -m 0644 completions/fish/$$n.fish $(FISHDIR)/$$n.fish || exit 1; \
	done
	if [ "$(COMPAT)" = 1 ]; then \
	    for t in $(TOOLS); do ln -sf rs-$$t $(BINDIR)/$$t || exit 1; done; \
	    install -m 0644 man/rs-unshare.1 $(MANDIR)/man1/unshare.1 && \
	    install -m 0644 man/rs-nsenter.1 $(MANDIR)/man1/nsenter.1 && \
	    install -m 0644 man/rs-lsns.8 $(MANDIR)/man8/lsns.8; \
	fi

# Removes what install put there (the same COMPAT): util-linux's names only where they
# are still our link and our files.
uninstall:
	for b in $(BINS); do rm -f $(BINDIR)/$$b; done
	for m in $(MAN1); do rm -f $(MANDIR)/man1/$$m; done
	for m in $(MAN8); do rm -f $(MANDIR)/man8/$$m; done
	for n in $(BINS); do rm -f $(BASHDIR)/$$n $(ZSHDIR)/_$$n $(FISHDIR)/$$n.fish; done
	if [ "$(COMPAT)" = 1 ]; then for t in $(TOOLS); do \
	    if [ "$$(readlink $(BINDIR)/$$t)" = rs-$$t ]; then rm -f $(BINDIR)/$$t; fi; \
	    for f in bash/$$t:$(BASHDIR)/$$t zsh/_$$t:$(ZSHDIR)/_$$t fish/$$t.fish:$(FISHDIR)/$$t.fish; do \
	        if cmp -s completions/$${f%%:*} $${f#*:}; then rm -f $${f#*:}; fi; \
	    done; \
	done; \
	for m in man1/unshare.1:rs-unshare.1 man1/nsenter.1:rs-nsenter.1 man8/lsns.8:rs-lsns.8; do \
	    if cmp -s man/$${m#*:} $(MANDIR)/$${m%%:*}; then rm -f $(MANDIR)/$${m%%:*}; fi; \
	done; fi

clean:
	$(CARGO) clean

# Side by side with util-linux (needs root): start-up cost of rs-unshare and rs-nsenter
# (alternating batches, medians), then CPU time and memory of rs-lsns on populations of
# about 2,300 and 8,000 processes that bench/population.sh builds and removes again.
# LSNS_REF=/path/to/lsns compares with another lsns (several, space-separated, side by side).
LSNS_REF ?= /usr/bin/lsns
bench: build
	bench/startup.sh target/release/rs-unshare /usr/bin/unshare -U /usr/bin/true
	/usr/bin/unshare -u -n sleep 600 & t=$$!; n=0; \
	until [ "$$(cat /proc/$$t/comm)" = sleep ]; do n=$$((n + 1)); [ $$n -lt 1000 ] || { kill $$t; exit 1; }; sleep 0.01; done; \
	bench/startup.sh target/release/rs-nsenter /usr/bin/nsenter -t $$t -u -n /usr/bin/true; rc=$$?; \
	kill $$t; exit $$rc
	LSNS_REF='$(LSNS_REF)' bench/lsns.sh
