#!/usr/bin/env bash
# Chain benchmark: bulk MB/s and new connections/s through routes of 1, 2 and 3 ett servers
# (ett client --via ...), each server and the client a separate bin/ett process on loopback
# (dev.ett.route.ChainBench, under src/test). Usage: bench/chain.sh [BULK_MB] [CONN_SECONDS] [CONN_WORKERS]
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin/mvn -q -o -DskipTests package >/dev/null
bin/mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/chain-bench.cp >/dev/null
JAVA_HOME=$(bin/java-home)
# The children run a snapshot of the launcher and jar: a rebuild during the run cannot break them.
work=$(mktemp -d /tmp/ett-chain-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/target"
cp bin/ett bin/java-home "$work/bin/"
cp target/ett.jar "$work/target/"
opts=()
v=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${v:-21}" -ge 24 ]; then
  opts+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
fi
"$JAVA_HOME/bin/java" "${opts[@]}" -cp "target/test-classes:target/classes:$(cat target/chain-bench.cp)" \
  dev.ett.route.ChainBench "$work/bin/ett" "$work" "${1:-300}" "${2:-4}" "${3:-8}"
