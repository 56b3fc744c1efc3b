#!/bin/bash
# L4 side-by-side benchmark: fulcrum vs HAProxy (tcp, tls passthrough) and NGINX stream (tcp, tls passthrough,
# udp), in one run.
# Each proxy is pinned to CPU 1 with one worker; load generator and backends share CPU 0.
# Headline figures are the proxy's own CPU time per unit of work (from /proc/PID/stat).
# fulcrum runs twice side by side: tcp listeners on `engine: netpoll`, and on `engine: epoll` (the default).
#   1. bulk TCP (iperf3): delegates to ../../shared/bench/l4peers.sh -> proxy_cpu_s/GB
#   2. short connections (connect, 16-byte echo, close) -> conns/s and proxy CPU µs/conn
#   3. short TLS-passthrough connections (connect, full TLS 1.3 handshake through the proxy to a TLS echo backend,
#      16-byte echo, close), routed on SNI: HAProxy req.ssl_sni, NGINX ssl_preread, fulcrum `protocol: tls`
#      -> conns/s and proxy CPU µs/conn
#   4. UDP ping-pong datagrams -> datagrams/s and proxy CPU µs/datagram
# Needs: apt-get install -y haproxy nginx-light libnginx-mod-stream iperf3. Usage: bench/l4.sh [SECONDS]
set -u
T=${1:-5}
. "$(dirname "$0")/setup.sh"
# FULCRUM=/path/to/binary skips building fulcrum.
if [ -n "${FULCRUM:-}" ]; then cp "$FULCRUM" "$tmp/fulcrum"; else (cd "$repo" && go build -o "$tmp/fulcrum" ./cmd/fulcrum) || exit 1; fi
(cd "$repo" && go build -o "$tmp/l4load" ./bench/l4load) || exit 1
cat > "$tmp/fulcrum.yaml" <<YAML
listeners:
  - {name: short, protocol: tcp, engine: netpoll, listen: 127.0.0.1:7185, routes: [{pool: echo}]}
  - {name: dgram, protocol: udp, listen: 127.0.0.1:7185, routes: [{pool: echo}]}
  - {name: tlspass, protocol: tls, engine: netpoll, listen: 127.0.0.1:7195, routes: [{match: {sni: [bench.example]}, pool: tlsecho}]}
pools:
  - {name: echo, backends: [{address: 127.0.0.1:7900}]}
  - {name: tlsecho, backends: [{address: 127.0.0.1:7901}]}
YAML
sed 's/engine: netpoll,/engine: epoll,/; s/7185/7186/g; s/7195/7196/g' "$tmp/fulcrum.yaml" > "$tmp/fulcrum-epoll.yaml"
# The bulk run gets its own file: a proxy left over from it must not hold the ports below.
cat > "$tmp/fulcrum-bulk.yaml" <<YAML
listeners:
  - {name: bulk, protocol: tcp, engine: netpoll, listen: 127.0.0.1:7085, routes: [{pool: iperf}]}
pools:
  - {name: iperf, backends: [{address: 127.0.0.1:5201}]}
YAML
sed 's/engine: netpoll,/engine: epoll,/' "$tmp/fulcrum-bulk.yaml" > "$tmp/fulcrum-bulk-epoll.yaml"
cat > "$tmp/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend short
  bind 127.0.0.1:7181
  default_backend echo
backend echo
  server e 127.0.0.1:7900
frontend tlspass
  bind 127.0.0.1:7191
  tcp-request inspect-delay 5s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend tlsecho if { req.ssl_sni -i bench.example }
backend tlsecho
  server t 127.0.0.1:7901
CFG
cat > "$tmp/nginx.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 4096; }
stream {
  server { listen 127.0.0.1:7182; proxy_pass 127.0.0.1:7900; }
  server { listen 127.0.0.1:7182 udp; proxy_pass 127.0.0.1:7900; proxy_responses 1; proxy_timeout 30s; }
  map \$ssl_preread_server_name \$tls_upstream { bench.example 127.0.0.1:7901; default 127.0.0.1:9; }
  server { listen 127.0.0.1:7192; ssl_preread on; proxy_pass \$tls_upstream; }
}
CFG
cpu() { local t=0; for p in $1 $(pgrep -P "$1" 2>/dev/null); do
    [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
measure() { # name mode port pid workers [sni]
  local c0=$(cpu "$4")
  local out=$(taskset -c 0 "$tmp/l4load" "$2" 127.0.0.1:"$3" "$5" "$T" ${6:-})
  local c1=$(cpu "$4")
  local ops=$(echo "$out" | sed -n 's/.*_ops=\([0-9]*\).*/\1/p')
  local us=$(awk -v t=$((c1-c0)) -v n="${ops:-0}" -v hz=$(getconf CLK_TCK) 'BEGIN{ if (n>0) printf "%.1f", t/hz*1e6/n; else print "-" }')
  printf '%-8s %-4s %-28s proxy_cpu_us/op=%s\n' "$1" "$2" "$out" "$us"
}
echo "== bulk TCP (iperf3, via shared/bench/l4peers.sh)"
T=$T bash "$shared/l4peers.sh" "exec $tmp/fulcrum run -c $tmp/fulcrum-bulk.yaml"
echo "== bulk TCP, engine: epoll (project row; the peers again, for ratios within this run)"
T=$T bash "$shared/l4peers.sh" "exec $tmp/fulcrum run -c $tmp/fulcrum-bulk-epoll.yaml"
echo "== short connections and UDP datagrams"
taskset -c 0 "$tmp/l4load" echo 127.0.0.1:7900 & pids+=($!)
taskset -c 0 "$tmp/l4load" tlsecho 127.0.0.1:7901 & pids+=($!)
GOMAXPROCS=1 taskset -c 1 "$tmp/fulcrum" run -c "$tmp/fulcrum.yaml" >"$tmp/fulcrum.log" 2>&1 & fpid=$!; pids+=($fpid)
GOMAXPROCS=1 taskset -c 1 "$tmp/fulcrum" run -c "$tmp/fulcrum-epoll.yaml" >"$tmp/fulcrum-epoll.log" 2>&1 & epid=$!; pids+=($epid)
taskset -c 1 haproxy -f "$tmp/haproxy.cfg" -db >/dev/null 2>&1 & hpid=$!; pids+=($hpid)
taskset -c 1 nginx -c "$tmp/nginx.conf" -g 'daemon off;' & npid=$!; pids+=($npid)
sleep 1
for f in fulcrum fulcrum-epoll; do # a proxy that did not start shows as dial_errors below; say why
  grep -q 'level=ERROR' "$tmp/$f.log" && { echo "$f:"; grep 'level=ERROR' "$tmp/$f.log"; }
done
measure haproxy tcp 7181 $hpid 8
measure nginx tcp 7182 $npid 8
measure fulcrum tcp 7185 $fpid 8
measure f-epoll tcp 7186 $epid 8
measure haproxy tls 7191 $hpid 8 bench.example
measure nginx tls 7192 $npid 8 bench.example
measure fulcrum tls 7195 $fpid 8 bench.example
measure f-epoll tls 7196 $epid 8 bench.example
measure nginx udp 7182 $npid 8
measure fulcrum udp 7185 $fpid 8
