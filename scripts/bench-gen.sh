#!/usr/bin/env bash
# Benchmark: `pcaptool gen syn` throughput against dd writing the same number of bytes,
# both into the same directory, measured in the same run (median of RUNS rounds).
# Usage: scripts/bench-gen.sh [PACKETS] [DIR]      (defaults: 10000000, a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-10000000}
dir=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pcaptool-bench.XXXXXX")}
runs=${RUNS:-3}
trap 'rm -f "$dir/syn.pcap" "$dir/dd.bin"' EXIT

cargo build --release --quiet
bin=target/release/pcaptool

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

gen_times=(); dd_times=()
for ((i = 1; i <= runs; i++)); do
  rm -f "$dir/syn.pcap" "$dir/dd.bin"; sync
  t0=$(now)
  "$bin" gen syn --count "$packets" --seed 1 --start 1700000000 -o "$dir/syn.pcap"
  t1=$(now)
  gen_times+=("$(echo "$t1 - $t0" | bc -l)")
  bytes=$(stat -c %s "$dir/syn.pcap")
  rm -f "$dir/dd.bin"; sync
  t0=$(now)
  dd if=/dev/zero of="$dir/dd.bin" bs=1M count=$(( (bytes + 1048575) / 1048576 )) status=none
  t1=$(now)
  dd_times+=("$(echo "$t1 - $t0" | bc -l)")
done

# The file is what it claims: every packet there, readable.
count=$("$bin" info "$dir/syn.pcap" | awk '/^packets:/ {print $2}')
[ "$count" = "$packets" ] || { echo "expected $packets packets, read $count" >&2; exit 1; }

gen_s=$(printf '%s\n' "${gen_times[@]}" | median)
dd_s=$(printf '%s\n' "${dd_times[@]}" | median)
mib=$(echo "$bytes / 1048576" | bc -l)
printf 'machine: %s, %s cores\n' "$(uname -m)" "$(nproc)"
printf 'gen syn: %d packets, %.0f MiB in %.3f s = %.2f Mpkt/s, %.0f MiB/s (median of %d)\n' \
  "$packets" "$mib" "$gen_s" "$(echo "$packets / $gen_s / 1000000" | bc -l)" "$(echo "$mib / $gen_s" | bc -l)" "$runs"
printf 'dd     : %.0f MiB in %.3f s = %.0f MiB/s\n' "$mib" "$dd_s" "$(echo "$mib / $dd_s" | bc -l)"
printf 'ratio  : gen throughput = %.2f x dd\n' "$(echo "$dd_s / $gen_s" | bc -l)"
