#!/bin/bash
# A/B of fulcrum builds against HAProxy on the shared rig's scenario (keep-alive, 64-byte
# responses, 64 connections; proxy pinned to CPU 1 with one worker, wrk and the backends on
# CPU 0). Each round measures HAProxy and then every binary in turn; the figure is the proxy's
# CPU µs per request (utime+stime around the measured wrk run) and its ratio to HAProxy's in
# the same round; the last lines give each binary's median ratio over the rounds.
# Usage: [SIZE=bytes] bench/h1ab.sh ROUNDS SECONDS BINARY...   e.g. bench/h1ab.sh 3 5 /tmp/fulcrum.old /tmp/fulcrum
# (SIZE: response body size, default 64; HEADER: one request header for wrk, e.g.
# HEADER='Connection: close' for a connection per request; RATE: instead of CPU, compare the
# p99 latency of bench/openloop at RATE requests/s over 64 keep-alive connections)
set -u
R=${1:-3}; D=${2:-5}; shift 2
. "$(dirname "$0")/setup.sh"
(cd "$shared/backend" && go build -o "$tmp/backend" .) || exit 1
(cd "$repo" && go build -o "$tmp/openloop" ./bench/openloop) || exit 1
sed 's/8081/8281/; s/900\([123]\)/920\1/' "$shared/peers/haproxy.cfg" > "$tmp/haproxy.cfg"
sed 's/8084/8284/; s/900\([123]\)/920\1/' "$repo/bench/peers.yaml" > "$tmp/fulcrum.yaml"
taskset -c 0 "$tmp/backend" -size "${SIZE:-64}" -http 127.0.0.1:9201,127.0.0.1:9202,127.0.0.1:9203 & pids+=($!)
sleep 0.5
hdr=(); [ -n "${HEADER:-}" ] && hdr=(-H "$HEADER")
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# measure PORT PID: prints µs of the proxy's CPU per request
measure() {
  taskset -c 0 wrk -t1 -c64 -d1s "${hdr[@]}" "http://127.0.0.1:$1/" >/dev/null 2>&1
  local c0; c0=$(ticks "$2")
  local n; n=$(taskset -c 0 wrk -t1 -c64 -d"${D}s" "${hdr[@]}" "http://127.0.0.1:$1/" 2>&1 | awk '/requests in/{print $1}')
  local c1; c1=$(ticks "$2")
  awk -v t=$((c1-c0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN{ if (n>0) printf "%.1f", t/hz*1e6/n; else print 0 }'
}
# latency PORT: prints the p99 latency (µs) of an open-loop run at RATE
latency() {
  taskset -c 0 "$tmp/openloop" -addr "127.0.0.1:$1" -rate "$RATE" -d "${D}s" -c 64 | sed -n 's/.*p99_us=\([0-9]*\).*/\1/p'
}
[ -n "${RATE:-}" ] && measure() { latency "$1"; }
declare -A ratios
for r in $(seq "$R"); do
  taskset -c 1 haproxy -f "$tmp/haproxy.cfg" -db >/dev/null 2>&1 & hp=$!; sleep 0.5
  h=$(measure 8281 $hp); kill $hp; wait $hp 2>/dev/null
  line="round $r: haproxy $h"
  for b in "$@"; do
    GOMAXPROCS=1 taskset -c 1 "$b" run -c "$tmp/fulcrum.yaml" >/dev/null 2>&1 & fp=$!; sleep 1
    f=$(measure 8284 $fp); kill $fp; wait $fp 2>/dev/null
    q=$(awk -v a="$f" -v b="$h" 'BEGIN{ printf "%.2f", a/b }')
    ratios[$b]="${ratios[$b]:-} $q"
    line="$line | $(basename "$b") $f ($q)"
  done
  echo "$line"
done
for b in "$@"; do
  echo "median $(basename "$b")/haproxy: $(echo ${ratios[$b]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')  (rounds:${ratios[$b]})"
done
