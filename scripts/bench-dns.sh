#!/usr/bin/env bash
# Benchmark: `pcaptool dns` on a generated capture of about 1.2 million DNS messages
# (queries and responses, over UDP and over TCP), as text, JSON, --stats and the Parquet
# transaction table, each against tshark printing its Info column for the same file,
# measured in the same run, with peak memory (GNU time).
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

[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
# Seconds (to the millisecond: GNU time gives hundredths, 6% of a 0.16 s run) and peak
# KiB of a command (its output discarded), the best of $1 runs.
measure() {
  local runs=$1 best_s= best_kib= s kib start end
  shift
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    read -r _ kib < <(/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1)
    end=$(date +%s%N)
    s=$(echo "scale=3; ($end - $start) / 1000000000" | bc)
    if [ -z "$best_s" ] || [ "$(echo "$s < $best_s" | bc -l)" = 1 ]; then best_s=$s; best_kib=$kib; fi
  done
  echo "$best_s $best_kib"
}

read -r tshark_s tshark_kib < <(measure 1 tshark -n -r "$dir/dns.pcap" -T fields -e _ws.col.Info)
read -r text_s text_kib < <(measure 3 "$bin" dns "$dir/dns.pcap")
read -r json_s json_kib < <(measure 3 "$bin" dns --format json "$dir/dns.pcap")
read -r stats_s stats_kib < <(measure 2 "$bin" dns --stats "$dir/dns.pcap")
read -r parquet_s parquet_kib < <(measure 3 "$bin" dns -q --format parquet --force -o "$dir/dns.parquet" "$dir/dns.pcap")

printf 'machine: %s, %s cores; %d DNS messages (%d over UDP, %d over TCP), %s\n' "$(uname -m)" "$(nproc)" \
  "$messages" $(( 2 * udp )) $(( 2 * tcp )) "$(du -h "$dir/dns.pcap" | cut -f1)"
printf 'tshark Info column: %.2f s = %.0f messages/s, peak %d MiB\n' "$tshark_s" \
  "$(echo "$messages / $tshark_s" | bc -l)" $(( tshark_kib / 1024 ))
for mode in text json stats parquet; do
  s=$(eval echo "\$${mode}_s")
  kib=$(eval echo "\$${mode}_kib")
  printf 'pcaptool dns %-7s: %.3f s = %.2f M messages/s = %.0f x tshark, peak %d MiB\n' "$mode" "$s" \
    "$(echo "$messages / $s / 1000000" | bc -l)" "$(echo "$tshark_s / $s" | bc -l)" $(( kib / 1024 ))
done
printf 'parquet table: %s\n' "$(du -h "$dir/dns.parquet" | cut -f1)"
