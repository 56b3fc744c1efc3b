#!/bin/bash
# L7 side-by-side benchmark: fulcrum's HTTP/1.1 engine vs HAProxy and NGINX, in one run.
# Each proxy is pinned to CPU 1 with one worker (GOMAXPROCS=1 for fulcrum); wrk and the
# backends share CPU 0. The headline figure is the proxy's own CPU time per request
# (utime+stime from /proc/PID/stat around the measured wrk run), printed with its ratio to
# HAProxy's. Scenarios:
#   1. keep-alive, 64-byte responses (the shared rig's scenario, ../shared/bench/peers.sh)
#   2. keep-alive, 16 KiB responses      3. keep-alive, 1 MiB responses
#   4. Connection: close on every request (64 bytes)
#   5. latency at fixed rates, open loop (bench/openloop: requests due at a fixed rate over C
#      keep-alive connections, latency counted from each request's due time, so a stall is not
#      hidden): 25, 50 and 75 % of HAProxy's maximum rate, measured in scenario 1 of this run;
#      printed with p99 / HAProxy's p99 at the same rate
#   6. RSS per idle keep-alive client connection (bench/h1idle, IDLE connections; the open-file
#      limit is raised to the hard limit, which must exceed IDLE: each process holds IDLE sockets)
# Usage: bench/l7.sh [SECONDS] [CONNECTIONS] [IDLE]   (FULCRUM=/path/to/binary skips the build)
# fulcrum runs with forwarding_headers: none (FWD=all for its default), like the HAProxy and NGINX
# configurations here, which add no Via or X-Forwarded-* either.
set -u
D=${1:-8}; C=${2:-64}; IDLE=${3:-10000}
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -le $((IDLE + 500)) ]; then
  echo "open-file limit $(ulimit -n) is too low for $IDLE idle connections; lower IDLE" >&2; exit 1
fi
MAXCONN=$((IDLE + 200))
. "$(dirname "$0")/setup.sh"
if [ -n "${FULCRUM:-}" ]; then cp "$FULCRUM" "$tmp/fulcrum"; else (cd "$repo" && go build -o "$tmp/fulcrum" ./cmd/fulcrum) || exit 1; fi
(cd "$shared/backend" && go build -o "$tmp/backend" .) || exit 1
(cd "$repo" && go build -o "$tmp/h1idle" ./bench/h1idle && go build -o "$tmp/openloop" ./bench/openloop) || exit 1

cat > "$tmp/fulcrum.yaml" <<YAML
listeners:
  - {name: web, protocol: http, engine: fulcrum, listen: 127.0.0.1:8184, forwarding_headers: ${FWD:-none}, routes: [{pool: be}]}
pools:
  - name: be
    backends: [{address: 127.0.0.1:9101}, {address: 127.0.0.1:9102}, {address: 127.0.0.1:9103}]
YAML
cat > "$tmp/haproxy.cfg" <<CFG
global
    maxconn $MAXCONN
    # maxconn counts a backend socket per client; idle clients need none, so run on the
    # open-file limit the box allows (2 * MAXCONN may exceed it) with a warning, not an exit
    no strict-limits
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:8181
    default_backend be
backend be
    balance roundrobin
    http-reuse always
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102
    server s3 127.0.0.1:9103
CFG
cat > "$tmp/nginx.conf" <<CFG
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
worker_rlimit_nofile $((2 * MAXCONN));
events { worker_connections $MAXCONN; }
http {
    access_log off;
    upstream be {
        server 127.0.0.1:9101;
        server 127.0.0.1:9102;
        server 127.0.0.1:9103;
        keepalive 256;
    }
    server {
        listen 127.0.0.1:8182;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CFG

cpu() { # utime+stime ticks of a process and its children (NGINX's worker)
  local t=0; for p in $1 $(pgrep -P "$1" 2>/dev/null); do
    [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
worker() { local w; w=$(pgrep -P "$1" | head -1); echo "${w:-$1}"; } # the process serving connections
# measure NAME URL PID [wrk args...]: prints rps, latency and proxy CPU µs/request; sets US and RPS.
measure() {
  local name=$1 url=$2 pid=$3; shift 3
  wrk -t1 -c"$C" -d1s "$@" "$url" >/dev/null 2>&1
  local c0; c0=$(cpu "$pid")
  local out; out=$(taskset -c 0 wrk -t1 -c"$C" -d"${D}s" --latency "$@" "$url" 2>&1)
  local c1; c1=$(cpu "$pid")
  local reqs; reqs=$(echo "$out" | awk '/requests in/{print $1}')
  RPS=$(echo "$out" | awk '/Requests\/sec/{printf "%d", $2}')
  US=$(awk -v t=$((c1-c0)) -v n="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN{ if (n>0 && t>0) printf "%.1f", t/hz*1e6/n; else print 0 }')
  printf '  %-8s rps=%-10s p50=%-8s p99=%-8s proxy_cpu_us/req=%-6s %s\n' "$name" \
    "$(echo "$out" | awk '/Requests\/sec/{print $2}')" "$(echo "$out" | awk '/ 50%/{print $2}')" \
    "$(echo "$out" | awk '/ 99%/{print $2}')" "$US" "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"
}
start() { # start NAME: starts a proxy on CPU 1 and sets PID
  case $1 in
    haproxy) taskset -c 1 haproxy -f "$tmp/haproxy.cfg" -db >/dev/null 2>&1 & ;;
    nginx) taskset -c 1 nginx -c "$tmp/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 & ;;
    fulcrum) GOMAXPROCS=1 taskset -c 1 "$tmp/fulcrum" run -c "$tmp/fulcrum.yaml" >/dev/null 2>&1 & ;;
  esac
  PID=$!; pids+=($PID); sleep 1
}
port() { case $1 in haproxy) echo 8181 ;; nginx) echo 8182 ;; fulcrum) echo 8184 ;; esac; }
# scenario TITLE SIZE [wrk args...]
scenario() {
  local title=$1 size=$2; shift 2
  echo "== $title"
  taskset -c 0 "$tmp/backend" -size "$size" -http 127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103 & local be=$!
  sleep 0.5
  local h=0
  for p in haproxy nginx fulcrum; do
    start $p
    measure $p "http://127.0.0.1:$(port $p)/" "$PID" "$@"
    [ $p = haproxy ] && h=$US && HAPROXY_RPS=$RPS
    [ $p != haproxy ] && awk -v a="$US" -v b="$h" -v n=$p 'BEGIN{ if (b>0) printf "  ratio %s/haproxy cpu_us/req = %.2f\n", n, a/b }'
    kill "$PID"; wait "$PID" 2>/dev/null
  done
  kill $be; wait $be 2>/dev/null
}
HAPROXY_RPS=0
scenario "keep-alive, 64 B" 64
max_rps=$HAPROXY_RPS
scenario "keep-alive, 16 KiB" 16384
scenario "keep-alive, 1 MiB" 1048576
scenario "Connection: close, 64 B" 64 -H "Connection: close"
# fixedrate PERCENT: open-loop latency at PERCENT of HAProxy's maximum rate, every proxy.
fixedrate() {
  local rate=$((max_rps * $1 / 100)) hp99=0 out p99
  echo "== fixed rate $rate req/s ($1 % of HAProxy's $max_rps), 64 B, $C connections, open loop"
  for p in haproxy nginx fulcrum; do
    start $p
    out=$(taskset -c 0 "$tmp/openloop" -addr "127.0.0.1:$(port $p)" -rate "$rate" -d "${D}s" -c "$C")
    printf '  %-8s %s\n' $p "$out"
    p99=$(echo "$out" | sed -n 's/.*p99_us=\([0-9]*\).*/\1/p')
    [ $p = haproxy ] && hp99=$p99
    [ $p != haproxy ] && awk -v a="$p99" -v b="$hp99" -v n=$p 'BEGIN{ if (b>0) printf "  ratio %s/haproxy p99 = %.2f\n", n, a/b }'
    kill "$PID"; wait "$PID" 2>/dev/null
  done
}
if [ "$max_rps" -gt 0 ]; then
  taskset -c 0 "$tmp/backend" -size 64 -http 127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103 & be=$!
  sleep 0.5
  for pct in 25 50 75; do fixedrate $pct; done
  kill $be; wait $be 2>/dev/null
fi
echo "== $IDLE idle keep-alive client connections (RSS per connection)"
taskset -c 0 "$tmp/backend" -size 64 -http 127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103 & be=$!; pids+=($be)
sleep 0.5
for p in haproxy nginx fulcrum; do
  start $p
  printf '  %-8s %s\n' $p "$(taskset -c 0 "$tmp/h1idle" -addr "127.0.0.1:$(port $p)" -pid "$(worker "$PID")" -n "$IDLE")"
  kill "$PID"; wait "$PID" 2>/dev/null
done
