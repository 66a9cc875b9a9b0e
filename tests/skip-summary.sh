#!/bin/sh
# Sums up the tests that skipped themselves (wholly or in part) during `make test`:
# tests/common/mod.rs (`skip`) appends "<module>::<test><TAB><reason>" to the file
# named by NSUTILS_SKIP_LOG, which the Makefile passes here.
log=${1:?usage: skip-summary.sh FILE}
if [ ! -s "$log" ]; then
    echo "no tests skipped"
    exit 0
fi
sort -u "$log" | awk -F '\t' '
    { if (!($1 in seen)) { seen[$1] = 1; n++ } lines = lines sprintf("  %s: %s\n", $1, $2) }
    END { printf "%d test%s skipped (wholly or in part):\n%s", n, n == 1 ? "" : "s", lines }'
