#!/bin/bash
# CPU that a proxy costs the other side of the rig: CPU 0 (wrk and the three backends) busy time
# per request, beside the proxy's own CPU per request, on the shared rig's layout (proxy pinned
# to CPU 1, wrk and backends on CPU 0, keep-alive 64-byte responses). A proxy that adds fields the
# backends must parse (Via, X-Forwarded-*) makes CPU 0 slower, which lowers the closed loop's
# rate and so raises every proxy's CPU per request: compare proxies doing the same work.
# With perf(1), it also counts the epoll waits of wrk and of the backends per request: how many
# answers each of their wake-ups finds (a proxy that sends its answers one at a time, as they
# are ready, makes them wait more often for fewer).
# Usage: bench/loadside.sh NAME PORT COMMAND...   e.g.
#   bench/loadside.sh haproxy 8081 haproxy -f ../shared/bench/peers/haproxy.cfg -db
#   bench/loadside.sh fulcrum 8084 /tmp/fulcrum run -c bench/peers.yaml
set -u
name=$1; port=$2; shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared/bench}
[ -x /tmp/benchbackend ] || (cd "$shared/backend" && go build -o /tmp/benchbackend .) || exit 1
taskset -c 0 /tmp/benchbackend -http 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003 >/dev/null 2>&1 & be=$!
sleep 0.5
GOMAXPROCS=1 taskset -c 1 "$@" >/dev/null 2>&1 & px=$!
perfd=$(mktemp -d)
trap 'kill $px $be 2>/dev/null; rm -rf "$perfd"' EXIT
sleep 1
taskset -c 0 wrk -t1 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1
busy() { awk '/^cpu0 /{print $2+$3+$4+$7+$8}' /proc/stat; }
ticks() { awk '{print $14+$15}' "/proc/$px/stat"; }
waits=syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait
wrkrun=(taskset -c 0 wrk -t1 -c64 -d5s "http://127.0.0.1:$port/"); pp=
if perf stat -e "$waits" -o /dev/null true 2>/dev/null; then
  perf stat -x, -e "$waits" -p $be -o "$perfd/be" -- sleep 5 >/dev/null 2>&1 & pp=$!
  wrkrun=(perf stat -x, -e "$waits" -o "$perfd/wrk" -- "${wrkrun[@]}")
fi
b0=$(busy); c0=$(ticks)
n=$("${wrkrun[@]}" | awk '/requests in/{print $1}')
b1=$(busy); c1=$(ticks)
[ -n "$pp" ] && wait $pp
sumwaits() { [ -s "$1" ] && awk -F, '/epoll/{s+=$1} END{print s+0}' "$1" || echo -; }
awk -v n="$n" -v b=$((b1-b0)) -v c=$((c1-c0)) -v hz="$(getconf CLK_TCK)" -v name="$name" \
  -v w="$(sumwaits "$perfd/wrk")" -v e="$(sumwaits "$perfd/be")" \
  'BEGIN{printf "%-10s requests=%d cpu0_us/req=%.1f proxy_cpu_us/req=%.1f", name, n, b/hz*1e6/n, c/hz*1e6/n
    if (w != "-") printf " wrk_epoll_waits/req=%.3f backend_epoll_waits/req=%.3f", w/n, e/n; print ""}'
