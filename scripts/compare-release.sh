#!/usr/bin/env bash
# Behaviour check for a refactoring: runs a previous pcaptool binary and the current one
# on every capture of the corpus (`dns` as text, JSON, CSV and --stats in text and JSON,
# `split` by pair and by conversation with the files it writes, `info`) and on the
# README's `gen` examples, and reports every output that is not byte-identical.
# stdout, the exit status and every written file must be equal; stderr differences are
# listed separately (reworded errors are intended, e.g. an OS error said once, not twice).
# Intended output differences are listed, with their reasons, in compare-release.expected.
# Usage: scripts/compare-release.sh PREVIOUS_BINARY [NEW_BINARY]
#   e.g. git worktree add /tmp/prev HEAD~1 && (cd /tmp/prev && cargo build --release)
#        scripts/compare-release.sh /tmp/prev/target/release/pcaptool
set -uo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: $0 PREVIOUS_BINARY [NEW_BINARY]}")
new=$(realpath "${2:-target/release/pcaptool}")
[ -n "${2:-}" ] || cargo build --release --quiet || exit 1
corpus=../shared/captures
[ -f "$corpus/index.tsv" ] || { echo "missing $corpus (the test corpus)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

expected_file=scripts/compare-release.expected
runs=0 same=0 differ=0 expected=0 stderr_differ=0
# run_case NAME ARGS...: runs both binaries in their own directory (so relative output
# paths land there) and compares stdout, exit status and the files written.
run_case() {
  local name=$1; shift
  local a="$work/a" b="$work/b"
  rm -rf "$a" "$b"; mkdir -p "$a" "$b"
  (cd "$a" && "$old" "$@" >"$work/a.out" 2>"$work/a.err"; echo $? >"$work/a.rc")
  (cd "$b" && "$new" "$@" >"$work/b.out" 2>"$work/b.err"; echo $? >"$work/b.rc")
  runs=$((runs + 1))
  if cmp -s "$work/a.out" "$work/b.out" && cmp -s "$work/a.rc" "$work/b.rc" && diff -r -q "$a" "$b" >/dev/null; then
    same=$((same + 1))
  elif reason=$(grep -v '^#' "$expected_file" 2>/dev/null | awk -F'\t' -v n="$name" '$1 == n || (substr($1, 1, 1) == "*" && substr(n, length(n) - length($1) + 2) == substr($1, 2)) { print $2; exit }') && [ -n "$reason" ]; then
    expected=$((expected + 1))
    echo "different as intended: $name: $reason"
  else
    differ=$((differ + 1))
    echo "DIFFERENT: $name: pcaptool $*"
    cmp "$work/a.out" "$work/b.out" | sed 's/^/  /'
    diff -r -q "$a" "$b" | sed -n '1,5p' | sed 's/^/  /'
    echo "  exit $(cat "$work/a.rc") -> $(cat "$work/b.rc")"
  fi
  if ! cmp -s "$work/a.err" "$work/b.err"; then
    stderr_differ=$((stderr_differ + 1))
    printf 'stderr of %s:\n' "$name" >>"$work/stderr.txt"
    diff "$work/a.err" "$work/b.err" | sed -n '1,6p' >>"$work/stderr.txt"
  fi
}

while IFS= read -r file; do
  [ "$file" = index.tsv ] || [ "$file" = SOURCES.md ] && continue
  path=$(realpath "$corpus/$file")
  run_case "$file info" info "$path"
  run_case "$file dns" dns "$path"
  run_case "$file dns json" dns --format json "$path"
  run_case "$file dns csv" dns --format csv "$path"
  run_case "$file dns stats" dns --stats "$path"
  run_case "$file dns stats json" dns --stats --format json "$path"
  run_case "$file dns filtered" dns --qtype A --qtype AAAA --responses --name com "$path"
  run_case "$file split" split "$path" -o out -q
  run_case "$file split conversation json" split "$path" -o out -q --by conversation --manifest json
done < <(ls "$corpus")

# The README's gen examples (seeded, with a fixed start, so both write the same bytes).
fixed=(--seed 1 --start 1700000000)
run_case "gen syn" gen syn --count 70000 -o syn.pcap "${fixed[@]}"
run_case "gen syn options" gen syn --src 10.0.0.0/8 --random-src --dport 443 --vlan 7 -o syn.pcapng --format pcapng --nanos "${fixed[@]}"
run_case "gen udp" gen udp --dst 2001:db8::1 --payload-hex "de ad be ef" --rate 100000 -o udp.pcap "${fixed[@]}"
run_case "gen dns" gen dns example.com www.example.org -t AAAA --edns --do --tcp --responses --answer 2001:db8::1 -o dns.pcap "${fixed[@]}"
run_case "gen dns nx" gen dns example.com -t MX --rcode NXDOMAIN -o nx.pcap "${fixed[@]}"
run_case "gen mix" gen mix --flows 1000 --count 20000 -o mix.pcap "${fixed[@]}"
run_case "gen mix v6" gen mix -6 --flows 100 --count 2000 -o mix6.pcapng --format pcapng "${fixed[@]}"
run_case "missing input" info /nonexistent/capture.pcap
run_case "not a capture" dns "$PWD/Cargo.toml"

echo
echo "$runs runs: $same byte-identical, $expected different as intended ($expected_file), $differ different otherwise; $stderr_differ with different stderr"
if [ -s "$work/stderr.txt" ]; then
  echo "stderr differences (first 40 lines):"
  sed -n '1,40p' "$work/stderr.txt"
fi
[ "$differ" -eq 0 ]
