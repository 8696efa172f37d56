#!/usr/bin/env bash
# Regenerates tests/data/dns_info.tsv: for every corpus capture in which tshark finds
# DNS, mDNS or LLMNR, each frame's number, the DNS transaction ids tshark decodes in it,
# and its Info column. DNS carried inside ICMP errors is left out (the Info column is
# then ICMP's). Usage: scripts/oracle-dns.sh   (needs tshark; reads ../shared/captures)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/captures
out=tests/data/dns_info.tsv
filter='(dns or mdns or llmnr) and not icmp and not icmpv6'
{
  printf '# tshark %s; filter: %s\n' "$(tshark --version 2>/dev/null | sed -n 1p | awk '{print $3}')" "$filter"
  printf '# command: tshark -n -r FILE -Y FILTER -T fields -E separator=/t -e frame.number -e dns.id -e _ws.col.Info\n'
  printf 'file\tframe\tids\tinfo\n'
  awk -F'\t' 'NR > 1 && $4 != "" && ($9 + $12 + $13 > 0) { print $1 }' "$corpus/index.tsv" | sort |
  while read -r file; do
    tshark -n -r "$corpus/$file" -Y "$filter" -T fields -E separator=/t \
      -e frame.number -e dns.id -e _ws.col.Info 2>/dev/null | sed "s|^|$file\t|" || true
  done
} > "$out"
echo "wrote $out: $(grep -vc '^#' "$out") lines"
