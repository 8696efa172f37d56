#!/usr/bin/env bash
# Benchmark: `pcaptool dns` on a generated capture of about 1.2 million DNS messages
# (queries and responses, over UDP and over TCP), as text, JSON and --stats, each
# against tshark printing its Info column for the same file, measured in the same run.
# Usage: scripts/bench-dns.sh [UDP_QUERIES] [TCP_QUERIES] [DIR]   (defaults: 500000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
udp=${1:-500000}
tcp=${2:-100000}
mkdir -p target/bench
dir=${3:-$(mktemp -d "$PWD/target/bench/dns.XXXXXX")}
trap 'rm -rf "$dir"' EXIT
command -v tshark >/dev/null && command -v mergecap >/dev/null || { echo "needs tshark and mergecap (apt-get install tshark)" >&2; exit 1; }

cargo build --release --quiet
bin=$PWD/target/release/pcaptool
seq 1 20000 | sed 's/^/host/; s/$/.example.com/' > "$dir/names.txt"
"$bin" gen dns --names-file "$dir/names.txt" --count "$udp" --responses --answer 192.0.2.1 --answer 2001:db8::1 \
  --edns --seed 1 --start 1700000000 --rate 100000 -o "$dir/udp.pcap"
"$bin" gen dns --names-file "$dir/names.txt" --count "$tcp" --responses --answer 192.0.2.2 -t AAAA --tcp \
  --seed 2 --start 1700000010 --rate 100000 -o "$dir/tcp.pcap"
mergecap -w "$dir/dns.pcap" -F pcap "$dir/udp.pcap" "$dir/tcp.pcap"
messages=$("$bin" dns "$dir/dns.pcap" | wc -l)
[ "$messages" -eq $(( 2 * (udp + tcp) )) ] || { echo "expected $(( 2 * (udp + tcp) )) messages, found $messages" >&2; exit 1; }

now() { date +%s.%N; }
time_of() { local t0 t1; t0=$(now); "$@" > /dev/null; t1=$(now); echo "$t1 - $t0" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | sed -n 1p; }

tshark_s=$(time_of tshark -n -r "$dir/dns.pcap" -T fields -e _ws.col.Info)
text_s=$(best "$(time_of "$bin" dns "$dir/dns.pcap")" "$(time_of "$bin" dns "$dir/dns.pcap")" "$(time_of "$bin" dns "$dir/dns.pcap")")
json_s=$(best "$(time_of "$bin" dns --format json "$dir/dns.pcap")" "$(time_of "$bin" dns --format json "$dir/dns.pcap")")
stats_s=$(best "$(time_of "$bin" dns --stats "$dir/dns.pcap")" "$(time_of "$bin" dns --stats "$dir/dns.pcap")")

printf 'machine: %s, %s cores; %d DNS messages (%d over UDP, %d over TCP), %s\n' "$(uname -m)" "$(nproc)" \
  "$messages" $(( 2 * udp )) $(( 2 * tcp )) "$(du -h "$dir/dns.pcap" | cut -f1)"
printf 'tshark Info column: %.2f s = %.0f messages/s\n' "$tshark_s" "$(echo "$messages / $tshark_s" | bc -l)"
for mode in text json stats; do
  s=$(eval echo "\$${mode}_s")
  printf 'pcaptool dns %-5s: %.3f s = %.2f M messages/s = %.0f x tshark\n' "$mode" "$s" \
    "$(echo "$messages / $s / 1000000" | bc -l)" "$(echo "$tshark_s / $s" | bc -l)"
done
