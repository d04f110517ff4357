#!/usr/bin/env bash
# Fronts benchmark: new connections/s and 64-byte ping-pong, direct vs -L vs -D (SOCKS5), all in
# one JVM over loopback (dev.ett.front.FrontBench, under src/test). Usage: bench/fronts.sh [SECONDS] [THREADS]
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin/mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/fronts-bench.cp >/dev/null
JAVA_HOME=$(bin/java-home)
opts=()
v=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${v:-21}" -ge 24 ]; then
  opts+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
fi
exec "$JAVA_HOME/bin/java" "${opts[@]}" -cp "target/test-classes:target/classes:$(cat target/fronts-bench.cp)" \
  dev.ett.front.FrontBench "${1:-3}" "${2:-16}"
