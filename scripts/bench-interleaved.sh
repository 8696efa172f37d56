#!/usr/bin/env bash
# Benchmark: `pcaptool dns --stats` on DNS over TCP with 50 k, 100 k and 200 k
# connections open at once (gen dns --tcp, then every connection's first packet, every
# second one, ...: examples/interleave.rs): wall time, peak RSS (GNU time) and the
# messages decoded, to show time linear in the connections and every message decoded
# (the TCP table holds 256 MiB of streams, evicting the least recently active first).
# Usage: scripts/bench-interleaved.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
dir=${1:-$(mktemp -d "$PWD/target/bench/interleaved.XXXXXX")}
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build --release --quiet --bin pcaptool --example interleave
bin=$PWD/target/release/pcaptool
printf 'machine: %s, %s cores\n' "$(uname -m)" "$(nproc)"
for n in 50000 100000 200000; do
  "$bin" gen dns a.example b.example --count "$n" --tcp --responses --answer 192.0.2.1 \
    --src 10.0.0.0/8 --seed 4 --start 1700000000 -o "$dir/whole.pcap"
  target/release/examples/interleave "$dir/whole.pcap" "$dir/interleaved.pcap" 2>/dev/null
  /usr/bin/time -f '%e %M' -o "$dir/time" "$bin" dns --stats --format json "$dir/interleaved.pcap" > "$dir/stats.json"
  read -r secs kib < "$dir/time"
  messages=$("$bin" dns "$dir/interleaved.pcap" | wc -l)
  [ "$messages" -eq $((2 * n)) ] || { echo "expected $((2 * n)) messages, decoded $messages" >&2; exit 1; }
  printf '%6d connections at once: dns --stats %.2f s, %.0f MiB peak; %d of %d messages decoded\n' \
    "$n" "$secs" "$(echo "$kib / 1024" | bc -l)" "$messages" $((2 * n))
done
