#!/usr/bin/env bash
# Runs the ett benchmark (direct vs tunnel on loopback). All arguments go to `ett bench`:
#   bench/run.sh                 # full run, default sizes (a few minutes)
#   bench/run.sh --quick         # smoke test (< 60 s)
#   bench/run.sh --only ping,rss --jvm-opts "-Xmx64m"
set -eu
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$root/bin/ett" bench "$@"
