#!/usr/bin/env bash
# Builds ett's release packages into target/dist:
#   ett-VERSION-linux-x64.tar.gz   ett-VERSION/ with bin/ett (the launcher), lib/ett.jar, lib/ett.aot,
#                                  lib/runtime (a Java runtime trimmed by jlink), share/man,
#                                  share/bash-completion, share/zsh, examples/, systemd/
#   ett_DEBVERSION_amd64.deb       the same tree under /usr/lib/ett, /usr/bin/ett, man pages,
#                                  completions, examples in /etc/ett, units in /lib/systemd/system
# Nothing else is needed on the target machine: no JDK, no Maven.
#
# Needs: a JDK 25 or newer (found by bin/java-home; jlink links from its run-time image, and 25 is
# the first with the AOT cache options used here), Maven (bin/mvn), asciidoctor (the man pages),
# dpkg-deb. Run as any user: dpkg-deb --root-owner-group makes the files root's in the .deb.
#
# Steps: the shaded jar (mvn -Pdist package, which also copies picocli-codegen to target/tools);
# man pages (AsciiDoc from picocli's ManPageGenerator, roff by asciidoctor) and the bash/zsh
# completion script (picocli's AutoComplete), both from ett's command tree (GenerateDocs.java);
# jlink with the modules jdeps finds plus those used only by reflection; the AOT cache, trained by
# `ett selftest` run with the packaged runtime and jar where they will lie; then tar and dpkg-deb.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"
JAVA_HOME=$(bin/java-home) || exit 1
export JAVA_HOME
jv=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" | head -1)
if [ "${jv:-0}" -lt 25 ]; then
  echo "build.sh: needs a JDK 25 or newer (found $JAVA_HOME, $jv); set ETT_JAVA_HOME" >&2
  exit 1
fi
for tool in asciidoctor dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool is missing (apt-get install asciidoctor dpkg)" >&2; exit 1; }
done
t0=$(date +%s)
step() { echo "build.sh: [$(($(date +%s) - t0))s] $*" >&2; }

# The project's version: the first <version> after <artifactId>ett</artifactId> in the pom.
version=$(awk '/<artifactId>ett<\/artifactId>/{f=1} f&&/<version>/{gsub(/.*<version>|<\/version>.*/,""); print; exit}' pom.xml)
# Debian orders 0.1.0~SNAPSHOT before 0.1.0; a '-' would start a Debian revision.
debversion=${version//-/\~}
dist=target/dist
work=target/package
rm -rf "$dist" "$work"
mkdir -p "$dist" "$work"

step "jar (mvn -Pdist -DskipTests package)"
bin/mvn -B -q -o -Pdist -DskipTests package >/dev/null 2>&1 || bin/mvn -B -q -Pdist -DskipTests package
jar=target/ett.jar

step "man pages and shell completion (picocli)"
gen=$work/generated
"$JAVA_HOME/bin/java" -cp "$jar:target/tools/picocli-codegen.jar" packaging/GenerateDocs.java "$gen"
mkdir -p "$gen/man1"
asciidoctor -b manpage -a manmanual="ett manual" -D "$gen/man1" "$gen"/man/*.adoc
gzip -9n "$gen"/man1/*.1

step "Java runtime (jlink)"
# jdeps sees the classes the code names; the rest is reached by reflection or by the JVM itself:
#   jdk.unsupported   sun.misc.Unsafe and sun.misc.Signal (Netty, SIGHUP/SIGTERM handling)
#   java.naming       Netty's DNS resolver (exit/Resolver) asks JNDI for the system's name
#   jdk.naming.dns    servers when it starts (DirContextUtils, the "dns:" provider)
#   jdk.management    com.sun.management's process CPU and memory, which the Prometheus client's JVM
#                     metrics (--metrics) read by reflection
# X25519, AES-GCM, ChaCha20-Poly1305 and the SunEC provider are all in java.base since JDK 22.
modules=$( { "$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$jv" "$jar" | tr ',' '\n'
  printf '%s\n' jdk.unsupported java.naming jdk.naming.dns jdk.management; } | sort -u | paste -sd, -)
name=ett-$version
tree=$work/$name
mkdir -p "$tree/bin" "$tree/lib"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress zip-6 --output "$tree/lib/runtime"
echo "$modules" | tr ',' '\n' > "$work/modules.txt"

cp "$jar" "$tree/lib/ett.jar"
install -m 0755 packaging/ett "$tree/bin/ett"
mkdir -p "$tree/share/man/man1" "$tree/share/bash-completion/completions" "$tree/share/zsh/site-functions"
cp "$gen"/man1/*.1.gz "$tree/share/man/man1/"
cp "$gen/ett.bash" "$tree/share/bash-completion/completions/ett"
# zsh: the same script through zsh's bash-completion emulation. compinit autoloads _ett as the
# body of a function; its first call defines picocli's functions (whose `complete` rebinds ett)
# and then completes the word it was called for. compopt, which zsh lacks, is a no-op function:
# the alias picocli's script makes for it is defined only after those functions were parsed.
{ echo '#compdef ett'
  echo 'compopt() { :; }'
  cat "$gen/ett.bash"
  echo '_bash_complete -F _complete_ett -o default'; } >"$tree/share/zsh/site-functions/_ett"
mkdir -p "$tree/systemd" "$tree/examples"
cp packaging/systemd/*.service "$tree/systemd/"
# Examples: the config files of packaging/examples (the units read /etc/ett/server.toml and
# /etc/ett/client-NAME.toml, made from them).
if [ -d packaging/examples ]; then cp -r packaging/examples/. "$tree/examples/"; fi
cp README.md "$tree/"
cp -r docs "$tree/docs"

step "AOT cache (a training run of ett selftest with the packaged runtime)"
# The JVM writes the cache in a child process after the run; a failure there (JDK 25.0.3 crashed
# on a lambda held in a static field) still exits 0 and leaves an empty file: check for both.
aot=$tree/lib/ett.aot
# Run through the launcher (with ETT_NO_AOT=1, i.e. the JVM options without a cache) so that
# training and use run the same JVM options, which the cache requires.
if ! (cd "$tree" && ETT_JAVA_OPTS="-XX:AOTCacheOutput=lib/ett.aot -XX:ErrorFile=../hs_err_aot_%p.log" \
    ETT_NO_AOT=1 bin/ett selftest --connections 300 --bulk 256MiB) >"$work/aot.log" 2>&1 \
    || [ ! -s "$aot" ] || grep -q '\[error *\]\[aot\]' "$work/aot.log"; then
  cat "$work/aot.log" >&2
  echo "build.sh: the AOT training run failed (log above, $work/aot.log)" >&2
  exit 1
fi
# The cache must be one this runtime takes: a start that logs why it would not is a failure here.
if ! "$tree/lib/runtime/bin/java" -XX:+UseSerialGC -Xms8m -Xmx64m -Xss512k \
    --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
    -XX:AOTCache="$aot" -XX:AOTMode=on -jar "$tree/lib/ett.jar" --version >/dev/null 2>"$work/aot-check.log"; then
  cat "$work/aot-check.log" >&2
  echo "build.sh: the runtime does not accept the AOT cache it made" >&2
  exit 1
fi
"$tree/bin/ett" --version >/dev/null

step "tarball"
tarball=$dist/$name-linux-x64.tar.gz
tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$tarball" "$name"

step ".deb (dpkg-deb)"
deb=$work/deb
mkdir -p "$deb/usr/lib/ett" "$deb/usr/bin" "$deb/DEBIAN"
cp -a "$tree/bin" "$tree/lib" "$deb/usr/lib/ett/"
ln -s ../lib/ett/bin/ett "$deb/usr/bin/ett"
mkdir -p "$deb/usr/share/man/man1" "$deb/usr/share/bash-completion/completions" \
  "$deb/usr/share/zsh/vendor-completions" "$deb/usr/share/doc/ett" "$deb/lib/systemd/system" "$deb/etc/ett"
cp "$tree"/share/man/man1/*.1.gz "$deb/usr/share/man/man1/"
cp "$tree/share/bash-completion/completions/ett" "$deb/usr/share/bash-completion/completions/ett"
cp "$tree/share/zsh/site-functions/_ett" "$deb/usr/share/zsh/vendor-completions/_ett"
cp "$tree"/systemd/*.service "$deb/lib/systemd/system/"
cp -r "$tree/examples/." "$deb/etc/ett/"
gzip -9nc README.md > "$deb/usr/share/doc/ett/README.md.gz"
for d in docs/*.md; do gzip -9nc "$d" > "$deb/usr/share/doc/ett/$(basename "$d").gz"; done
cat > "$deb/usr/share/doc/ett/copyright" <<'TXT'
ett, the Encrypted TCP Tunneler. The package carries a Java runtime made by jlink from an OpenJDK
build (GPLv2 with the Classpath Exception; its legal notices are in /usr/lib/ett/lib/runtime/legal)
and, inside ett.jar, Netty (Apache-2.0) and picocli (Apache-2.0).
TXT
(cd "$deb" && find etc -type f | sed 's|^|/|' | sort) > "$deb/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
cat > "$deb/DEBIAN/control" <<TXT
Package: ett
Version: $debversion
Architecture: amd64
Maintainer: ett developers <ett@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.17)
Section: net
Priority: optional
Description: Encrypted TCP Tunneler
 Many TCP streams over one Noise IK link: a server holds an X25519 key, clients pin it;
 fronts are -L forwards, a SOCKS4/4a/5 and HTTP proxy port and stdin/stdout.
 Carries its own Java runtime (jlink) and an ahead-of-time cache; systemd units
 ett-server.service and ett-client@.service are installed but not enabled or started.
TXT
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$deb/DEBIAN/"
debfile=$dist/ett_${debversion}_amd64.deb
# zstd: 4 s here against 90 s for xz, 34 MB against 31 MB (the runtime's modules file is
# compressed already); dpkg reads it since 1.21.18 (Debian 12, Ubuntu 21.10).
dpkg-deb --root-owner-group -Zzstd -z9 --build "$deb" "$debfile" >/dev/null

step "done"
runtime_size=$(du -sh "$tree/lib/runtime" | cut -f1)
ls -l "$dist" >&2
echo "build.sh: runtime $runtime_size (modules: $modules), AOT cache $(du -h "$aot" | cut -f1), in $(($(date +%s) - t0))s" >&2
