# nsutils: rs-unshare, rs-nsenter, rs-lsns
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
# Where `install` takes the binaries from.
RELEASE ?= target/release
# COMPAT=1: also install unshare, nsenter and lsns (links to ours), their man pages
# (made from ours, renamed) and completions under those names, in place of util-linux's.
COMPAT ?=

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

# tools/install.sh does both; install records what it put there in
# $(PREFIX)/share/nsutils/installed, and uninstall removes exactly that, whatever COMPAT
# says, and only what is still as install left it. With COMPAT=1 an existing unshare,
# nsenter or lsns (a dangling link too) that is not our link is left alone: install
# refuses before copying anything.
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' COMPAT='$(COMPAT)' RELEASE='$(RELEASE)'
install: build
	$(INSTALL_ENV) sh tools/install.sh install

uninstall:
	$(INSTALL_ENV) sh tools/install.sh uninstall

# Debian packages (tools/deb.sh): $(DEBDIR)/nsutils_<version>_<arch>.deb with the three
# binaries, their man pages and completions, and nsutils-util-linux-names_<version>_all.deb,
# which installs unshare, nsenter and lsns in place of util-linux's (diverted while it is
# installed). Built with dpkg-deb alone; dpkg-shlibdeps (dpkg-dev) works out Depends
# where it is installed.
DEBDIR ?= target/debian
DEB_MAINTAINER ?= nsutils developers <nsutils@example.invalid>
.PHONY: deb
deb: build
	DEBDIR='$(DEBDIR)' RELEASE='$(RELEASE)' DEB_MAINTAINER='$(DEB_MAINTAINER)' sh tools/deb.sh

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
