#!/usr/bin/env bash
# Writes host/cli/symbol-order.txt: the functions of the `wharf` binary that a one-task
# `wharf run` executes, for the linker to place side by side (build.rs passes the file to lld as
# --symbol-ordering-file). Scattered over .text they cost a cold start ~170 first-touch page
# faults; packed they fill a few dozen of the kernel's 64 KiB fault-around windows
# (tests/bench/README.md, "Cold start, session 12").
#
# `make symbol-order` runs this after building the bench-profile binary. The list names mangled
# symbols, some with `.llvm.<hash>` suffixes that change with the code: names the linker does
# not find are skipped (no error), so a stale list only helps less. Regenerate it when the
# count this prints as "found" falls well below the total.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHARF=${WHARF:-target/release/wharf}
OUT=host/cli/symbol-order.txt
command -v valgrind >/dev/null || bash .ci/apt-install.sh valgrind

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'name: One\ntasks:\n  - task: noop\n' >"$work/one.yaml"
export WHARF_COMPONENTS=$PWD/target/test-guests WHARF_CACHE_DIR=$work/cache WHARF_DATA=$work/data
# A first run under valgrind compiles the component into the cache (valgrind's CPU has other
# features than the host's, so a native run's compiled form does not match); the profiled run
# then loads it as a cold start does, instead of listing the whole compiler.
valgrind --tool=none "$WHARF" run --json "$work/one.yaml" >/dev/null 2>"$work/valgrind.log" ||
  { cat "$work/valgrind.log" >&2; exit 1; }
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.out" \
  "$WHARF" run --json "$work/one.yaml" >/dev/null 2>"$work/valgrind.log" ||
  { cat "$work/valgrind.log" >&2; exit 1; }

# Every function callgrind saw (`fn=(id) name` and `cfn=(id) name` define a name once), in
# order of first appearance, kept where the binary defines a function of that name.
nm --defined-only "$WHARF" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u >"$work/defined"
sed -n 's/^c\?fn=([0-9]*) //p' "$work/cg.out" | awk '!seen[$0]++' >"$work/executed"
awk 'NR == FNR { defined[$0] = 1; next } $0 in defined' "$work/defined" "$work/executed" >"$OUT"
echo "symbol-order: $(wc -l <"$OUT") functions in $OUT ($(wc -l <"$work/executed") executed in all)"
