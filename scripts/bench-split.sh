#!/usr/bin/env bash
# Benchmark: `pcaptool split` on a ~1 GiB capture with ~10,000 IP pairs made by
# `pcaptool gen mix`, against two floors measured in the same run: `cp` of the same file,
# and coreutils `split -n FLOWS` (the same bytes cut into as many files, each written
# whole: what the kernel charges for 10,000 files), and against rsplitcap (strategy
# hostpair, from PyPI) as a peer. Wall time and peak memory (GNU time), median of RUNS
# rounds, under `ulimit -n 1024`; `sync` before every timed command.
# Keep DIR on a file system without a burst of recent deletions (ext4 creates files
# much more slowly right after deleting thousands): the default is under target/.
# Usage: scripts/bench-split.sh [PACKETS] [FLOWS] [DIR]   (defaults: 1440000 10000 temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1440000}
flows=${2:-10000}
mkdir -p target/bench
dir=${3:-$(mktemp -d "$PWD/target/bench/split.XXXXXX")}
runs=${RUNS:-3}
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
ulimit -Sn 1024  # soft limit only, so the peer can be retried with a higher one

cargo build --release --quiet
bin=$PWD/target/release/pcaptool
"$bin" gen mix --flows "$flows" --count "$packets" --seed 1 --start 1700000000 -o "$dir/mix.pcap"
bytes=$(stat -c %s "$dir/mix.pcap")
mib=$(echo "$bytes / 1048576" | bc -l)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
settle() { sync; sleep 1; }
cp_t=(); floor_t=(); split_t=(); split_m=(); split_cpu=()
for ((i = 1; i <= runs; i++)); do
  settle
  /usr/bin/time -f '%e %M' -o "$dir/time" cp "$dir/mix.pcap" "$dir/copy-$i.pcap"
  cp_t+=("$(cut -d' ' -f1 "$dir/time")")
  mkdir "$dir/floor-$i"; settle
  /usr/bin/time -f '%e %M' -o "$dir/time" split -n "$flows" "$dir/mix.pcap" "$dir/floor-$i/part-"
  floor_t+=("$(cut -d' ' -f1 "$dir/time")")
  settle
  # A fresh directory each round: deleting 10,000 files just before a timed run would
  # slow the file creation that follows.
  /usr/bin/time -f '%e %M %U %S' -o "$dir/time" "$bin" split "$dir/mix.pcap" -o "$dir/split-$i" --quiet
  split_t+=("$(cut -d' ' -f1 "$dir/time")"); split_m+=("$(cut -d' ' -f2 "$dir/time")")
  split_cpu+=("$(awk '{print $3 " + " $4}' "$dir/time" | bc -l)")
done

# The output is what it claims: every flow and every packet.
got_flows=$(($(wc -l < "$dir/split-1/flows.csv") - 1))
got_packets=$(awk -F, 'NR > 1 { s += $7 } END { print s }' "$dir/split-1/flows.csv")
[ "$got_flows" = "$flows" ] && [ "$got_packets" = "$packets" ] ||
  { echo "split wrote $got_flows flows / $got_packets packets, expected $flows / $packets" >&2; exit 1; }

cp_s=$(printf '%s\n' "${cp_t[@]}" | median)
floor_s=$(printf '%s\n' "${floor_t[@]}" | median)
split_s=$(printf '%s\n' "${split_t[@]}" | median)
split_kib=$(printf '%s\n' "${split_m[@]}" | sort -g | tail -1)
split_cpu_s=$(printf '%s\n' "${split_cpu[@]}" | median)
printf 'machine: %s, %s cores; input: %.0f MiB, %d packets, %d pairs; ulimit -n %s\n' \
  "$(uname -m)" "$(nproc)" "$mib" "$packets" "$flows" "$(ulimit -n)"
printf 'cp      : %.2f s (%.0f MiB/s)\n' "$cp_s" "$(echo "$mib / $cp_s" | bc -l)"
printf 'split -n %d (coreutils, the 10,000-file floor): %.2f s, %.2f x cp\n' "$flows" "$floor_s" "$(echo "$floor_s / $cp_s" | bc -l)"
printf 'pcaptool split: %.2f s (%.0f MiB/s), peak RSS %.0f MiB, %.2f x cp, %.2f x the floor (median of %d)\n' \
  "$split_s" "$(echo "$mib / $split_s" | bc -l)" "$(echo "$split_kib / 1024" | bc -l)" "$(echo "$split_s / $cp_s" | bc -l)" \
  "$(echo "$split_s / $floor_s" | bc -l)" "$runs"
printf 'pcaptool split CPU (user + system, both threads): %.2f s\n' "$split_cpu_s"

if python3 -c 'import rsplitcap' 2>/dev/null || pip install -q rsplitcap >/dev/null 2>&1; then
  settle
  peer='import rsplitcap, sys; rsplitcap.split(sys.argv[1], sys.argv[2], strategy="hostpair", max_sessions=1000000)'
  if /usr/bin/time -f '%e %M' -o "$dir/time" python3 -c "$peer" "$dir/mix.pcap" "$dir/rsplit" 2>"$dir/peer.err"; then
    read -r r_s r_kib < "$dir/time"
    printf 'rsplitcap hostpair: %.2f s, peak RSS %.0f MiB, %.2f x cp; pcaptool is %.1f x faster\n' \
      "$r_s" "$(echo "$r_kib / 1024" | bc -l)" "$(echo "$r_s / $cp_s" | bc -l)" "$(echo "$r_s / $split_s" | bc -l)"
  else
    printf 'rsplitcap hostpair under ulimit -n %s: failed (%s)\n' "$(ulimit -n)" "$(tail -1 "$dir/peer.err")"
    # Measure its speed anyway with the limit raised, for the comparison.
    rm -rf "$dir/rsplit"; settle
    if (ulimit -Sn "$(ulimit -Hn)" && /usr/bin/time -f '%e %M' -o "$dir/time" python3 -c "$peer" "$dir/mix.pcap" "$dir/rsplit"); then
      read -r r_s r_kib < "$dir/time"
      printf 'rsplitcap hostpair with the soft limit raised to the hard one: %.2f s, peak RSS %.0f MiB, %.2f x cp; pcaptool is %.1f x faster\n' \
        "$r_s" "$(echo "$r_kib / 1024" | bc -l)" "$(echo "$r_s / $cp_s" | bc -l)" "$(echo "$r_s / $split_s" | bc -l)"
    fi
  fi
else
  echo "rsplitcap: not installed and not installable from PyPI here; peer comparison skipped"
fi
