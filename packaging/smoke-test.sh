#!/usr/bin/env bash
# Smoke test of the packages packaging/build.sh made in target/dist (run by .ci/run, as root):
#   1. the .deb: installs it, runs `ett --version`, finds the man page and the bash completion,
#      carries bytes through a tunnel of the installed binary (ett target echo <- ett server <-
#      ett client -L), then purges it and checks that nothing is left on PATH;
#   2. the tarball: extracts it to a temporary directory and runs its bin/ett with an environment
#      holding no Java at all (JAVA_HOME unset, PATH only sh, readlink and dirname), checks that
#      the bundled runtime and its AOT cache are the ones used, and runs the same tunnel with it.
# Ports: $ETT_SMOKE_BASE (default 17400) +0 server, +1 echo target, +2 forward; below Linux's
# ephemeral range, like bin/demo's. Every process started here is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
dist=$root/target/dist
base=${ETT_SMOKE_BASE:-17400}
deb=$(ls "$dist"/ett_*_amd64.deb)
tarball=$(ls "$dist"/ett-*-linux-x64.tar.gz)
work=$(mktemp -d "${TMPDIR:-/tmp}/ett-smoke.XXXXXX")
pids=()
installed=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  if [ "$installed" = 1 ]; then dpkg --purge ett >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "smoke-test: $*" >&2; }
fail() { say "FAILED: $*"; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done; exit 1; }

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s at most)
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "nothing listens on 127.0.0.1:$1"
}

tunnel() { # tunnel NAME ETT...: keys, echo target, server, client -L; 64 KiB there and back
  local name=$1; shift
  local dir=$work/$name s=$base t=$((base + 1)) f=$((base + 2))
  mkdir -p "$dir"
  "$@" keygen "$dir/server.key" >/dev/null
  "$@" keygen "$dir/alice.key" >/dev/null
  echo "$("$@" pubkey "$dir/alice.key") alice" >"$dir/authorized"
  "$@" target --listen "127.0.0.1:$t" --mode echo 2>"$work/$name-target.log" & pids+=($!)
  # Both from configuration files, as a service runs them (paths relative to the file).
  cat >"$dir/server.toml" <<EOF2
role = "server"
listen = "127.0.0.1:$s"
key = "server.key"
authorized = "authorized"
policy = ["accept 127.0.0.1:$t"]
EOF2
  cat >"$dir/client.toml" <<EOF2
role = "client"
server = "127.0.0.1:$s"
server-key = "server.key.pub"
key = "alice.key"
forward = ["127.0.0.1:$f:127.0.0.1:$t"]
EOF2
  "$@" config check "$dir/server.toml" >/dev/null || fail "$name: ett config check server.toml failed"
  "$@" config check "$dir/client.toml" >/dev/null || fail "$name: ett config check client.toml failed"
  "$@" server --config "$dir/server.toml" 2>"$work/$name-server.log" & pids+=($!)
  wait_port "$s"
  "$@" client --config "$dir/client.toml" 2>"$work/$name-client.log" & pids+=($!)
  wait_port "$f"
  head -c 65536 /dev/urandom >"$dir/in"
  # The forward accepts at once; the stream waits for the link, then the echo comes back whole.
  exec 3<>"/dev/tcp/127.0.0.1/$f"
  cat "$dir/in" >&3 &
  local writer=$!
  timeout 20 head -c 65536 <&3 >"$dir/out" || true
  wait "$writer" || true
  exec 3<&-
  cmp -s "$dir/in" "$dir/out" || fail "$name: the bytes that came back through the tunnel differ ($(stat -c %s "$dir/out") of 65536)"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  rm -f "$work/$name"-*.log
  say "$name: 64 KiB through ett target <- ett server <- ett client -L, both from config files: ok"
}

say "installing $(basename "$deb")"
installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || fail "dpkg -i"
rm -f "$work/dpkg.log"
[ "$(command -v ett)" = /usr/bin/ett ] || fail "ett on PATH is $(command -v ett || echo nothing), expected /usr/bin/ett"
version=$(ett --version) || fail "ett --version"
say "ett --version: $version"
# The cache must be usable where dpkg put it: with AOTMode=on the JVM fails rather than ignore it.
ETT_JAVA_OPTS=-XX:AOTMode=on ett --version >/dev/null || fail "the installed AOT cache is not usable"
for f in /usr/share/man/man1/ett.1.gz /usr/share/man/man1/ett-server.1.gz /usr/share/zsh/vendor-completions/_ett \
    /lib/systemd/system/ett-server.service /lib/systemd/system/ett-client@.service; do
  [ -s "$f" ] || fail "missing $f"
done
# bash completion: `ett ser<TAB>` completes to server.
words=$(bash -c 'source /usr/share/bash-completion/completions/ett; COMP_WORDS=(ett ser); COMP_CWORD=1; COMP_LINE="ett ser"; COMP_POINT=7; _complete_ett; echo "${COMPREPLY[*]}"')
[ "$words" = server ] || fail "bash completion of 'ett ser' gave '$words'"
tunnel deb ett
dpkg --purge ett >"$work/dpkg.log" 2>&1 || fail "dpkg --purge"
installed=0
rm -f "$work/dpkg.log"
[ ! -e /usr/bin/ett ] && [ ! -e /usr/lib/ett ] && [ ! -e /etc/ett ] || fail "files left after dpkg --purge"
say "purged"

say "extracting $(basename "$tarball") into an environment without Java"
mkdir -p "$work/x" "$work/nojava"
tar -C "$work/x" -xzf "$tarball"
home=$(ls -d "$work"/x/ett-*)
# The launcher needs sh, readlink and dirname; the tunnel's commands run in this script's shell.
for tool in sh readlink dirname; do ln -s "$(command -v "$tool")" "$work/nojava/$tool"; done
# A script, not a function: started in the background, its pid is the JVM's (exec all the way).
printf '#!/bin/sh\nexec env -i PATH="%s" HOME="%s" "%s" "$@"\n' "$work/nojava" "$work" "$home/bin/ett" >"$work/ett-nojava"
chmod +x "$work/ett-nojava"
"$work/ett-nojava" --version >/dev/null || fail "the tarball's ett --version without Java on PATH"
props=$(env -i PATH="$work/nojava" ETT_JAVA_OPTS=-XshowSettings:properties "$home/bin/ett" --version 2>&1)
jhome=$(printf '%s\n' "$props" | sed -n 's/^ *java.home = //p')
[ "$jhome" = "$home/lib/runtime" ] || fail "the tarball's ett ran on java.home=$jhome, not its own $home/lib/runtime"
env -i PATH="$work/nojava" ETT_JAVA_OPTS=-XX:AOTMode=on "$home/bin/ett" --version >/dev/null \
  || fail "the tarball's AOT cache is not usable where it was extracted"
say "tarball: ett --version on its own runtime ($jhome) with its AOT cache: ok"
tunnel tarball "$work/ett-nojava"
say "all good"
