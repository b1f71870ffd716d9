#!/usr/bin/env bash
# Loopback load test of axum-kamal with wrk, each figure against a baseline
# served by the same build in the same run:
#
#   1. kamal-proxy's probe `GET /up` on the quickstart (examples/examples/
#      quickstart.rs, #[kamal_app]) vs the same request on a bare hyper server
#      answering 200 OK (tests/examples/bare_hyper.rs): the floor;
#   2. an app route, `GET /` with an allowed Host, on the quickstart app with
#      #[kamal_app] vs without it (tests/examples/quickstart_twin.rs, KAMAL=1 /
#      KAMAL=0: one binary, no tracing subscriber, only the macro differs).
#
# Usage: scripts/load.sh            (about 90 s after the build)
# Env:   DURATION=5s THREADS=2 CONNECTIONS=64 ROUNDS=3 PIN=1
#
# Loopback only; every run is bounded by DURATION; the servers are killed on
# exit. Installs wrk with apt-get if missing (as root, or with sudo). With
# PIN=1 (default, when taskset exists and there are at least 2 CPUs) each
# server runs on CPU 0 with one Tokio worker and wrk on the other CPUs, so the
# server, not the load generator, is what saturates.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
ROUNDS="${ROUNDS:-3}"
PIN="${PIN:-1}"

. scripts/require.sh
require wrk

echo "building (release)" >&2
cargo build --release -q -p axum-kamal-examples --example quickstart
cargo build --release -q -p axum-kamal-tests --example bare_hyper --example quickstart_twin
bin="${CARGO_TARGET_DIR:-target}/release/examples"

server_cpu=() client_cpu=()
cpus="$(nproc)"
if [ "$PIN" = 1 ] && [ "$cpus" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c "1-$((cpus - 1))")
  export TOKIO_WORKER_THREADS=1
  pinning="server on CPU 0 (1 Tokio worker), wrk on CPUs 1-$((cpus - 1))"
else
  pinning="none"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME BINARY [ENV=VALUE...]: starts a server on a free loopback port
# and sets $url to the address it prints.
start() {
  local name="$1" binary="$2"
  shift 2
  env ADDR=127.0.0.1:0 "$@" "${server_cpu[@]}" "$bin/$binary" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  url=""
  for _ in $(seq 100); do
    # The log may not exist yet: the server's shell creates it.
    url="$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$work/$name.log" 2>/dev/null || true)"
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

start quickstart quickstart
quickstart="$url"
start bare bare_hyper
bare="$url"
start with quickstart_twin KAMAL=1
with="$url"
start without quickstart_twin KAMAL=0
without="$url"

# load URL HEADER...: warms up for 1 s, then runs wrk for DURATION and prints
# "requests/s p50 p99"; fails on any non-2xx answer or socket error.
load() {
  local url="$1"
  shift
  local headers=()
  for h in "$@"; do headers+=(-H "$h"); done
  "${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "${headers[@]}" "$url" >/dev/null
  "${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${headers[@]}" "$url" >"$work/wrk.out"
  if grep -qE 'Non-2xx|Socket errors' "$work/wrk.out"; then
    echo "unexpected answers from $url:" >&2
    cat "$work/wrk.out" >&2
    exit 1
  fi
  awk '/Requests\/sec:/ { rps = $2 }
       $1 == "50%" { p50 = $2 }
       $1 == "99%" { p99 = $2 }
       END { printf "%s %s %s\n", rps, p50, p99 }' "$work/wrk.out"
}

probe_headers=('Host: 7c7168a662c1:3000' 'User-Agent: kamal-proxy' 'Accept-Encoding: gzip')
app_headers=('Host: localhost')

echo
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(rustc --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other processes skew the figures)"
echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per run (after 1 s warm-up); pinning: $pinning"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f×", a / b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# measure NAME URL HEADER...: one wrk run, appended to $work/NAME.
measure() {
  local name="$1"
  shift
  load "$@" >>"$work/$name"
}

echo "| round | figure | server | requests/s | p50 | p99 | req/s vs baseline |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  # Alternate which server of a pair goes first, so drifting background load
  # does not always favour the same one.
  if [ $((round % 2)) = 1 ]; then
    measure bare "$bare/up" "${probe_headers[@]}"
    measure up "$quickstart/up" "${probe_headers[@]}"
    measure without "$without/" "${app_headers[@]}"
    measure with "$with/" "${app_headers[@]}"
  else
    measure up "$quickstart/up" "${probe_headers[@]}"
    measure bare "$bare/up" "${probe_headers[@]}"
    measure with "$with/" "${app_headers[@]}"
    measure without "$without/" "${app_headers[@]}"
  fi
  read -r bare_rps bare_p50 bare_p99 < <(sed -n "${round}p" "$work/bare")
  read -r up_rps up_p50 up_p99 < <(sed -n "${round}p" "$work/up")
  read -r without_rps without_p50 without_p99 < <(sed -n "${round}p" "$work/without")
  read -r with_rps with_p50 with_p99 < <(sed -n "${round}p" "$work/with")
  echo "| $round | \`GET /up\` (kamal-proxy's probe) | bare hyper (floor) | $bare_rps | $bare_p50 | $bare_p99 | 1 |"
  echo "| $round | \`GET /up\` (kamal-proxy's probe) | quickstart, #[kamal_app] | $up_rps | $up_p50 | $up_p99 | $(ratio "$up_rps" "$bare_rps") |"
  echo "| $round | \`GET /\` (Host: localhost) | quickstart app without #[kamal_app] | $without_rps | $without_p50 | $without_p99 | 1 |"
  echo "| $round | \`GET /\` (Host: localhost) | quickstart app with #[kamal_app] | $with_rps | $with_p50 | $with_p99 | $(ratio "$with_rps" "$without_rps") |"
done
if [ "$ROUNDS" -gt 1 ]; then
  rps() { median $(cut -d' ' -f1 "$work/$1"); }
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "median requests/s over $ROUNDS rounds: /up $(rps up) vs bare hyper $(rps bare) ($(ratio "$(rps up)" "$(rps bare)")); / with #[kamal_app] $(rps with) vs without $(rps without) ($(ratio "$(rps with)" "$(rps without)"))"
fi
