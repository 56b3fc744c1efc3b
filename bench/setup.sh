# Sourced by the bench scripts: sets repo (this checkout), shared (the shared rig, or $SHARED),
# tmp (a scratch directory removed on exit) and pids (processes killed on exit; append with
# pids+=($!)).
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared/bench}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
