#!/usr/bin/env bash
# Benchmark: `pcaptool dns --format json` over a capture of 1 million DNS messages cut
# into 8 parts (editcap -c), with --jobs 1 and --jobs 2, best of RUNS rounds (wall time,
# user CPU; the highest peak RSS of the rounds, by GNU time), and peak memory for the 8
# parts against the one file.
# The outputs of all runs are checked identical.
# Usage: scripts/bench-many.sh [QUERIES] [PARTS] [DIR]   (defaults: 500000 8, a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
queries=${1:-500000}
parts=${2:-8}
mkdir -p target/bench
dir=${3:-$(mktemp -d "$PWD/target/bench/many.XXXXXX")}
runs=${RUNS:-3}
trap 'rm -rf "$dir"' EXIT
command -v editcap >/dev/null || { echo "needs editcap (apt-get install tshark)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

cargo build --release --quiet
bin=$PWD/target/release/pcaptool
seq 1 20000 | sed 's/^/host/; s/$/.example.com/' > "$dir/names.txt"
"$bin" gen dns --names-file "$dir/names.txt" --count "$queries" --responses --answer 192.0.2.1 \
  --answer 2001:db8::1 --edns --seed 1 --start 1700000000 --rate 100000 -o "$dir/dns.pcap"
mkdir "$dir/parts"
editcap -F pcap -c $(( (2 * queries + parts - 1) / parts )) "$dir/dns.pcap" "$dir/parts/part.pcap"

measure() { # LABEL ARGS...: "best wall, its user CPU, highest peak RSS" over the runs
  local label=$1; shift
  local best= rss=0
  for ((i = 1; i <= runs; i++)); do
    /usr/bin/time -f '%e %U %M' -o "$dir/time" "$bin" "$@" > "$dir/$label.out"
    local t; t=$(cat "$dir/time")
    if [ -z "$best" ] || [ "$(echo "${t%% *} < ${best%% *}" | bc -l)" = 1 ]; then best=$t; fi
    [ "${t##* }" -gt "$rss" ] && rss=${t##* }
  done
  echo "${best% *} $rss"
}
one=$(measure one dns --format json --jobs 2 "$dir/dns.pcap")
j1=$(measure j1 dns --format json --jobs 1 "$dir/parts")
j2=$(measure j2 dns --format json --jobs 2 "$dir/parts")
cmp -s "$dir/one.out" "$dir/j1.out" && cmp -s "$dir/j1.out" "$dir/j2.out" \
  || { echo "outputs differ between the whole and the parts or between --jobs" >&2; exit 1; }
messages=$(wc -l < "$dir/j1.out")
read -r w1 u1 m1 <<< "$j1"; read -r w2 u2 m2 <<< "$j2"; read -r wo uo mo <<< "$one"
printf 'machine: %s, %s cores; %d messages in %d parts (%s); best of %d\n' "$(uname -m)" "$(nproc)" \
  "$messages" "$(ls "$dir/parts" | wc -l)" "$(du -sh "$dir/parts" | cut -f1)" "$runs"
printf 'dns --format json, %d parts, --jobs 1: %.2f s (%.2f s user), %.1f MiB\n' "$parts" "$w1" "$u1" "$(echo "$m1/1024" | bc -l)"
printf 'dns --format json, %d parts, --jobs 2: %.2f s (%.2f s user), %.1f MiB: %.2f x --jobs 1\n' "$parts" "$w2" "$u2" \
  "$(echo "$m2/1024" | bc -l)" "$(echo "$w1 / $w2" | bc -l)"
printf 'dns --format json, one file,  --jobs 2: %.2f s, %.1f MiB (8 parts / one file: %.2f)\n' "$wo" \
  "$(echo "$mo/1024" | bc -l)" "$(echo "$m2 / $mo" | bc -l)"
