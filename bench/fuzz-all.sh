#!/usr/bin/env bash
# Fuzzes every Jazzer target in turn, each to a number of executions, under `nice -n 19`, one JVM
# at a time, and prints one summary line per target from libFuzzer's own output.
#
#   bench/fuzz-all.sh                      # every target to 10,000,000 executions
#   bench/fuzz-all.sh -n 100000            # a quick pass
#   bench/fuzz-all.sh 'FrameCodecFuzzTest#decode' 'ConfigFuzzTest#usersFile'
#
# Options: -n EXECUTIONS (default 10000000), -t MAX_DURATION per target (Jazzer syntax, default 24h).
# Logs: target/fuzz-logs/<target>.log (the whole Maven output, libFuzzer's lines included).
# "crashes" counts libFuzzer's "Test unit written to" lines: a crash, timeout or out-of-memory (the
# run stops at the first) or a slow-unit-* file (the run goes on). Pausing the JVM (SIGSTOP) writes
# a slow unit as long as the pause: replay it, and delete it if it runs fast.
# A finding is written by Jazzer into src/test/resources/dev/ett/fuzz/<Test>Inputs/<method>/ and
# the target's run fails.
# cpu-s is the user+system CPU time of the whole run (Maven and the forked JVM, ~15-20 s of which is
# Maven, JVM start and Jazzer's instrumentation): on a shared machine exec/s says more about the
# neighbours than about the target, executions per CPU second less so.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=10000000
maxdur=24h
while getopts "n:t:" o; do
  case $o in
    n) runs=$OPTARG ;;
    t) maxdur=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=(
    'FrameCodecFuzzTest#decode'
    'ConfigFuzzTest#policyRules'
    'ConfigFuzzTest#usersFile'
    'ConfigFuzzTest#hostsFile'
    'ConfigFuzzTest#policyFile'
    'ConfigFuzzTest#authorizedFile'
    'ProxyFrontFuzzTest#anonymous'
    'ProxyFrontFuzzTest#withUsers'
    'RecordLayerFuzzTest#records'
    'ServerHandshakeFuzzTest#firstBytes'
    'ClientHandshakeFuzzTest#response'
    'FirstBytesFuzzTest#clientHello'
    'FirstBytesFuzzTest#httpRequest'
    'FirstBytesFuzzTest#sshIdentification'
  )
fi

logs=$root/target/fuzz-logs
mkdir -p "$logs"
(cd "$root" && bin/mvn -B -o -q test-compile) || exit 1

printf '%-36s %12s %8s %8s %8s %6s %6s %7s %s\n' target executions seconds exec/s cpu-s cov ft crashes result
status=0
for t in "${targets[@]}"; do
  log=$logs/${t//#/.}.log
  # The JUnit timeout (3m by default for the suite) must outlast the fuzzing.
  TIMEFORMAT='%U %S'
  cpu=$( { time (cd "$root" && JAZZER_FUZZ=1 nice -n 19 bin/mvn -B -o test -Dtest="$t" \
      -Djazzer.max_executions="$runs" -Djazzer.max_duration="$maxdur" \
      -Djunit.jupiter.execution.timeout.default=48h >"$log" 2>&1; echo $? >"$log.rc") ; } 2>&1 )
  rc=$(cat "$log.rc")
  cpu=$(awk '{printf "%d", $1 + $2}' <<<"$cpu")
  # libFuzzer's last words: "Done N runs in S second(s)" and the last "#N ... cov: C ft: F" line.
  done_line=$(grep -aE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
  stat_line=$(grep -aE '^#[0-9]+[[:space:]]+[A-Za-z]+[[:space:]]+cov: ' "$log" | tail -1)
  execs=$(sed -E 's/^Done ([0-9]+) runs.*/\1/' <<<"$done_line")
  secs=$(sed -E 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/' <<<"$done_line")
  if [ -z "$done_line" ]; then # stopped by a finding: take the last progress line's count
    execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$stat_line")
    secs=-
  fi
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stat_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$stat_line")
  crashes=$(grep -ac 'Test unit written to' "$log") # libFuzzer writes one per finding, then stops
  rate=-
  if [ -n "$execs" ] && [ "$secs" != - ] && [ "${secs:-0}" -gt 0 ]; then
    rate=$((execs / secs))
  fi
  result=ok
  [ $rc -ne 0 ] && { result="FAILED (see $log)"; status=1; }
  printf '%-36s %12s %8s %8s %8s %6s %6s %7s %s\n' "$t" "${execs:--}" "${secs:--}" "$rate" "$cpu" "${cov:--}" "${ft:--}" "$crashes" "$result"
done
exit $status
