#!/usr/bin/env bash
# Benchmark: `pcaptool dns --stats` and `--format parquet` on floods of unanswered
# queries (a DDoS capture): 1 M and 2 M queries, wall time and peak RSS (GNU time), to
# show linear time and memory bounded by the table of waiting queries (256 MiB for
# --stats, 64 MiB for the table, whose row groups of 2^20 rows are held while they
# fill), not by the flood.
# Usage: scripts/bench-flood.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
dir=${1:-$(mktemp -d "$PWD/target/bench/flood.XXXXXX")}
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/pcaptool
printf 'machine: %s, %s cores\n' "$(uname -m)" "$(nproc)"
for n in 1000000 2000000; do
  seq 1 50000 | sed 's/^/n/; s/$/.example.com/' > "$dir/names.txt"
  "$bin" gen dns --names-file "$dir/names.txt" --count "$n" --seed 1 --start 1700000000 --rate 100000 -o "$dir/flood.pcap"
  /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" dns --stats "$dir/flood.pcap" > "$dir/stats.txt"
  read -r secs kib < "$dir/time"
  printf '%d unanswered queries: --stats %.2f s, %.0f MiB peak; %s\n' "$n" "$secs" "$(echo "$kib / 1024" | bc -l)" \
    "$(sed -n 2p "$dir/stats.txt")"
  /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" dns -q --format parquet -o "$dir/flood-$n.parquet" "$dir/flood.pcap"
  read -r secs kib < "$dir/time"
  printf '%d unanswered queries: --format parquet %.2f s, %.0f MiB peak\n' "$n" "$secs" "$(echo "$kib / 1024" | bc -l)"
done
