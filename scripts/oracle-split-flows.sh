#!/usr/bin/env bash
# Regenerates tests/data/split_flow_counts.tsv: for every corpus capture with at least
# two IP pairs (index.tsv), the number of IPv4 + IPv6 conversations tshark lists.
# Usage: scripts/oracle-split-flows.sh   (needs tshark; reads ../shared/captures)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/captures
out=tests/data/split_flow_counts.tsv
{
  printf 'file\ttshark_conversations\tcommand\n'
  awk -F'\t' 'NR > 1 && $16 == "" && $4 != "" && $15 + 0 >= 2 { print $1 }' "$corpus/index.tsv" | sort |
  while read -r file; do
    n=$(tshark -n -q -r "$corpus/$file" -z conv,ip -z conv,ipv6 2>/dev/null | grep -c '<->' || true)
    printf '%s\t%s\ttshark -n -q -r %s -z conv,ip -z conv,ipv6 | grep -c "<->"\n' "$file" "$n" "$file"
  done
} > "$out"
echo "wrote $out ($(($(wc -l < "$out") - 1)) captures)"
