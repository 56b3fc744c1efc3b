#!/bin/bash
# Paired A/B on the rig's layout, both proxies at the same time: A and B share CPU 1 (one
# worker each), each is loaded by its own wrk (32 keep-alive connections, CPU 0) over the same
# three backends (64-byte responses, CPU 0). Every round gives each proxy's CPU µs per request
# and B/A, so both meet the same moment of a shared, noisy machine: on this box a ratio taken
# this way scatters about ±5 % between rounds (an A/A run), against ±15 % for proxies measured
# one after the other. A or B: "haproxy" (the rig's configuration) or a fulcrum binary.
# Usage: [SIZE=bytes] [CONNS=n] [HEADER='Connection: close'] bench/pair.sh ROUNDS SECONDS A B   e.g. bench/pair.sh 11 5 haproxy /tmp/fulcrum
# (SIZE: response body size, default 64; CONNS: connections per wrk, default 32; HEADER: a
# request header field for wrk, e.g. Connection: close for a new connection per request)
set -u
R=${1:-11}; D=${2:-5}; A=$3; B=$4
. "$(dirname "$0")/setup.sh"
(cd "$shared/backend" && go build -o "$tmp/backend" .) || exit 1
taskset -c 0 "$tmp/backend" -size "${SIZE:-64}" -http 127.0.0.1:9401,127.0.0.1:9402,127.0.0.1:9403 & pids+=($!)
# start NAME PORT: runs proxy NAME on CPU 1 listening on PORT; prints its pid
start() {
  if [ "$1" = haproxy ]; then
    sed "s/127.0.0.1:8081/127.0.0.1:$2/; s/900\([123]\)/940\1/" "$shared/peers/haproxy.cfg" > "$tmp/$2.cfg"
    taskset -c 1 haproxy -f "$tmp/$2.cfg" -db >/dev/null 2>&1 &
  else
    sed "s/127.0.0.1:8084/127.0.0.1:$2/; s/900\([123]\)/940\1/" "$repo/bench/peers.yaml" > "$tmp/$2.yaml"
    GOMAXPROCS=1 taskset -c 1 "$1" run -c "$tmp/$2.yaml" >/dev/null 2>&1 &
  fi
  echo $!
}
pa=$(start "$A" 8481); pids+=("$pa")
pb=$(start "$B" 8482); pids+=("$pb")
sleep 1
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
load() { # SECONDS: both wrk at once; each writes its output to $tmp/PORT
  taskset -c 0 wrk -t1 -c"${CONNS:-32}" -d"$1s" ${HEADER:+-H "$HEADER"} http://127.0.0.1:8481/ > "$tmp/wa" 2>&1 & local w=$!
  taskset -c 0 wrk -t1 -c"${CONNS:-32}" -d"$1s" ${HEADER:+-H "$HEADER"} http://127.0.0.1:8482/ > "$tmp/wb" 2>&1
  wait $w
}
reqs() { awk '/requests in/{print $1}' "$1"; }
qs=""
for r in $(seq "$R"); do
  load 1
  a0=$(ticks "$pa"); b0=$(ticks "$pb")
  load "$D"
  a1=$(ticks "$pa"); b1=$(ticks "$pb")
  line=$(awk -v a=$((a1-a0)) -v b=$((b1-b0)) -v na="$(reqs "$tmp/wa")" -v nb="$(reqs "$tmp/wb")" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{ x=a/hz*1e6/na; y=b/hz*1e6/nb; printf "A %.1f µs/req (%d req)  B %.1f µs/req (%d req)  B/A %.3f", x, na, y, nb, y/x }')
  echo "round $r: $line"
  qs="$qs ${line##* }"
done
echo "median B/A: $(echo $qs | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')  (rounds:$qs)  A=$A B=$B"
