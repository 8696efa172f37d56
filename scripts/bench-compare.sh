#!/usr/bin/env bash
# Benchmark of one build against another (a refactoring must not slow anything down):
# gen syn, split, and dns as text, JSON and --stats, each run by both binaries in turn,
# RUNS rounds, best of each (GNU time: wall seconds, user CPU seconds, peak RSS), in
# the same run. Outputs go to fresh paths (deleting 10,000 split files just before a
# timed run makes ext4 slow to create the next ones); user CPU is the steadier figure
# where the kernel's file creation dominates the wall time.
# Usage: scripts/bench-compare.sh PREVIOUS_BINARY [NEW_BINARY] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "${1:?usage: $0 PREVIOUS_BINARY [NEW_BINARY] [DIR]}")
[ -n "${2:-}" ] || cargo build --release --quiet
new=$(realpath "${2:-target/release/pcaptool}")
mkdir -p target/bench
dir=${3:-$(mktemp -d "$PWD/target/bench/compare.XXXXXX")}
runs=${RUNS:-3}
trap 'rm -rf "$dir"' EXIT
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

# Inputs, made by the new binary (both read the same files).
"$new" gen mix --flows 10000 --count 500000 --seed 1 --start 1700000000 -o "$dir/mix.pcap"
seq 1 20000 | sed 's/^/host/; s/$/.example.com/' > "$dir/names.txt"
"$new" gen dns --names-file "$dir/names.txt" --count 500000 --responses --answer 192.0.2.1 \
  --answer 2001:db8::1 --edns --seed 1 --start 1700000000 --rate 100000 -o "$dir/udp.pcap"
"$new" gen dns --names-file "$dir/names.txt" --count 100000 --responses --answer 192.0.2.2 -t AAAA \
  --tcp --seed 2 --start 1700000010 --rate 100000 -o "$dir/tcp.pcap"
cat "$dir/udp.pcap" > "$dir/dns.pcap"  # pcap + the TCP records after it
tail -c +25 "$dir/tcp.pcap" >> "$dir/dns.pcap"

# time_of BIN ARGS...: "wall user peak_kib" of one run; OUT in ARGS becomes a fresh path.
# (Runs in a command substitution: the run counter lives in a file.)
echo 0 > "$dir/run"
time_of() {
  local bin=$1; shift
  local run=$(( $(cat "$dir/run") + 1 ))
  echo "$run" > "$dir/run"
  local args=("${@//OUT/$dir/out-$run}")
  sync
  /usr/bin/time -f '%e %U %M' -o "$dir/time" "$bin" "${args[@]}" > /dev/null
  rm -rf "$dir/out-$((run - 1))"
  tail -n 1 "$dir/time"
}
best() { sort -g | sed -n 1p; }
col() { printf '%s\n' "$@" | awk -v c="$col" '{print $c}' | best; }

printf 'machine: %s, %s cores; best of %d rounds, the two binaries alternating\n' "$(uname -m)" "$(nproc)" "$runs"
printf '%-22s %8s %8s %8s %9s %9s %8s %8s\n' case "old s" "new s" "new/old" "old user" "new user" "old MiB" "new MiB"
bench() {
  local name=$1; shift
  local o=() n=() i
  for ((i = 1; i <= runs; i++)); do
    o+=("$(time_of "$old" "$@")")
    n+=("$(time_of "$new" "$@")")
  done
  local ow nw ou nu om nm
  ow=$(col=1 col "${o[@]}"); nw=$(col=1 col "${n[@]}")
  ou=$(col=2 col "${o[@]}"); nu=$(col=2 col "${n[@]}")
  om=$(col=3 col "${o[@]}"); nm=$(col=3 col "${n[@]}")
  printf '%-22s %8.3f %8.3f %8.3f %9.2f %9.2f %8.1f %8.1f\n' "$name" "$ow" "$nw" "$(echo "$nw / $ow" | bc -l)" \
    "$ou" "$nu" "$(echo "$om / 1024" | bc -l)" "$(echo "$nm / 1024" | bc -l)"
}
bench "gen syn 5M" gen syn --count 5000000 --seed 1 --start 1700000000 -o OUT
bench "split 500k/10k pairs" split "$dir/mix.pcap" -o OUT -q
bench "dns text 1.2M" dns "$dir/dns.pcap"
bench "dns json 1.2M" dns --format json "$dir/dns.pcap"
bench "dns stats 1.2M" dns --stats "$dir/dns.pcap"
