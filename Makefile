# nsutils: rs-unshare, rs-nsenter, rs-lsns
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(DESTDIR)$(PREFIX)/bin
MANDIR := $(DESTDIR)$(PREFIX)/share/man
CARGO ?= cargo

# Binaries and their man pages (section 1 for the commands, 8 for lsns).
BINS := rs-unshare rs-nsenter rs-lsns
MAN1 := rs-unshare.1 rs-nsenter.1
MAN8 := rs-lsns.8

.PHONY: all build test lint unit integration install uninstall clean bench

all: build

build:
	$(CARGO) build --release --locked

# Everything CI runs: formatting, lints, unit tests, integration tests (as root they
# also cover the unprivileged path through setpriv).
test: lint
	$(CARGO) test --workspace --locked --all-targets -- --test-threads=2
	$(CARGO) test --workspace --locked --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

install: build
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man8
	for b in $(BINS); do install -m 0755 target/release/$$b $(BINDIR)/$$b; done
	for m in $(MAN1); do install -m 0644 man/$$m $(MANDIR)/man1/$$m; done
	for m in $(MAN8); do install -m 0644 man/$$m $(MANDIR)/man8/$$m; done

uninstall:
	for b in $(BINS); do rm -f $(BINDIR)/$$b; done
	for m in $(MAN1); do rm -f $(MANDIR)/man1/$$m; done
	for m in $(MAN8); do rm -f $(MANDIR)/man8/$$m; done

clean:
	$(CARGO) clean

# Side by side with util-linux (needs root): start-up cost of rs-unshare and rs-nsenter
# (alternating batches, medians), then CPU time and memory of rs-lsns on populations of
# about 2,300 and 8,000 processes that bench/population.sh builds and removes again.
# LSNS_REF=/path/to/lsns compares with another lsns (several, space-separated, side by side).
LSNS_REF ?= /usr/bin/lsns
bench: build
	bench/startup.sh target/release/rs-unshare /usr/bin/unshare -U /usr/bin/true
	/usr/bin/unshare -u -n sleep 600 & t=$$!; sleep 0.2; \
	bench/startup.sh target/release/rs-nsenter /usr/bin/nsenter -t $$t -u -n /usr/bin/true; rc=$$?; \
	kill $$t; exit $$rc
	LSNS_REF='$(LSNS_REF)' bench/lsns.sh
