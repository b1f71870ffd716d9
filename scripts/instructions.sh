#!/usr/bin/env bash
# Instructions per request, counted by callgrind (tests/benches/instructions.rs):
# a figure that does not move when other processes load the machine, for each
# app of tests/benches/overhead.rs, as a ratio against its baseline:
#
#   pass-through (an authorized `GET /`): each shape of function body with
#   #[kamal_app] against the same app without it, and wrapped (one more
#   `.layer(healthcheck())`, the expansion before 0.1's routes) against plain;
#   probe (kamal-proxy's `GET /up`): kamal against from_fn and floor.
#
# Only the instructions of sending prepared requests and dropping the
# responses count (callgrind's --toggle-collect), not building the requests.
# Each figure is (count(N2) - count(N1)) / (N2 - N1), so first-request costs
# cancel out. Prints a Markdown table.
#
# Usage: scripts/instructions.sh     (about a minute after the build)
# Env:   N1=1000 N2=6000
# Installs valgrind with apt-get if missing (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

N1="${N1:-1000}"
N2="${N2:-6000}"

. scripts/require.sh
require valgrind

echo "building (bench profile)" >&2
bin="$(cargo bench -p axum-kamal-tests --bench instructions --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "instructions" and message.get("executable"):
        print(message["executable"])')"
"$bin" >/dev/null # every app answers as expected

# Instructions executed inside `measured` (sending the prepared requests) by
# one run of the binary with these arguments.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --toggle-collect='instructions::measured' "$bin" "$@" 2>&1 |
    awk '/Collected/ { print $NF }'
}

# Instructions per request of app $1 for requests of kind $2.
per_request() {
  local low high
  low="$(count "$1" "$2" "$N1")"
  high="$(count "$1" "$2" "$N2")"
  echo $(( (high - low) / (N2 - N1) ))
}

# Each shape: "description|app with the macro|the same app without it".
shapes=(
  "ends with .layer(x)|kamal|plain"
  "let app = ..; app|let_bound|let_bound_plain"
  "a macro call|macro_body|macro_body_plain"
  ".fallback(..) after the layers|fallback_last|fallback_last_plain"
  "a macro, then .with_state(..)|macro_state|macro_state_plain"
)

declare -A ordinary probe
for shape in "${shapes[@]}"; do
  IFS='|' read -r _ with without <<<"$shape"
  for app in "$with" "$without"; do ordinary[$app]="$(per_request "$app" ordinary)"; done
done
ordinary[wrapped]="$(per_request wrapped ordinary)"
for app in kamal wrapped from_fn floor; do probe[$app]="$(per_request "$app" probe)"; done

ratio() { python3 -c "print(f'{$1 / $2:.4f}×')"; }
echo "| figure | instructions per request | baseline | ratio |"
echo "|---|---|---|---|"
for shape in "${shapes[@]}"; do
  IFS='|' read -r what with without <<<"$shape"
  echo "| pass-through, body $what: with vs without the macro (goal ≤ 1.002×) | ${ordinary[$with]} | ${ordinary[$without]} | $(ratio "${ordinary[$with]}" "${ordinary[$without]}") |"
done
echo "| pass-through: wrapped (one more layer) vs plain | ${ordinary[wrapped]} | ${ordinary[plain]} | $(ratio "${ordinary[wrapped]}" "${ordinary[plain]}") |"
echo "| probe: kamal vs hand-written from_fn (goal ≤ 0.9×) | ${probe[kamal]} | ${probe[from_fn]} | $(ratio "${probe[kamal]}" "${probe[from_fn]}") |"
echo "| probe: kamal vs service_fn floor | ${probe[kamal]} | ${probe[floor]} | $(ratio "${probe[kamal]}" "${probe[floor]}") |"
echo "| probe: wrapped (one more layer) vs service_fn floor | ${probe[wrapped]} | ${probe[floor]} | $(ratio "${probe[wrapped]}" "${probe[floor]}") |"
