#!/usr/bin/env bash
# Benchmark: `pcaptool split` on captures of 250 k, 500 k and 1 M IP pairs (one packet
# each, `gen mix`), with the CSV and the JSON manifest: wall time and peak RSS (GNU
# time), and `cp` of the same capture as the floor. Shows time linear in the number of
# flows and memory of the pending-buffer budget (64 MiB) plus a fixed amount per flow
# (the table of flows: what must be remembered to put a later packet in its file).
# Creating a million files is the kernel's work: run it on tmpfs (DIR=/dev/shm/...) to
# see pcaptool's part, on disk to see the user's.
# Usage: scripts/bench-split-flows.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
dir=${1:-$(mktemp -d "$PWD/target/bench/flows.XXXXXX")}
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/pcaptool
printf 'machine: %s, %s cores; output on %s\n' "$(uname -m)" "$(nproc)" "$(df --output=fstype "$dir" | tail -1)"
for n in 250000 500000 1000000; do
  "$bin" gen mix --flows "$n" --count "$n" --seed 1 -o "$dir/pairs.pcap"
  size=$(stat -c %s "$dir/pairs.pcap")
  start=$(date +%s.%N); cp "$dir/pairs.pcap" "$dir/copy.pcap"; sync "$dir/copy.pcap"
  cp_secs=$(echo "$(date +%s.%N) - $start" | bc -l); rm "$dir/copy.pcap"
  for manifest in csv json; do
    rm -rf "$dir/out"
    /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" split "$dir/pairs.pcap" -o "$dir/out" --manifest "$manifest" -q
    read -r secs kib < "$dir/time"
    files=$(find "$dir/out" -name 'flow-*' | wc -l)
    [ "$files" -eq "$n" ] || { echo "expected $n flow files, found $files" >&2; exit 1; }
    printf '%7d pairs (%4.0f MB), %s manifest: %6.2f s, %4.0f MiB peak (%.0f bytes per flow over 64 MiB); cp %.2f s\n' \
      "$n" "$(echo "$size / 1000000" | bc -l)" "$manifest" "$secs" "$(echo "$kib / 1024" | bc -l)" \
      "$(echo "($kib * 1024 - 64 * 1048576) / $n" | bc -l)" "$cp_secs"
  done
  rm -rf "$dir/out"
done
