package dev.ett.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: the unit files in packaging/systemd are ones systemd accepts without a
 * warning, and they keep the choices the README describes (readiness, watchdog, hardening, and no
 * MemoryDenyWriteExecute, under which the JVM's JIT cannot run).
 */
class UnitFilesTest {
  private static final Path UNITS = Path.of("packaging", "systemd");
  private static final List<String> NAMES = List.of("ett-server.service", "ett-client@.service");

  @TempDir Path dir;

  /**
   * systemd-analyze verify checks that ExecStart's program exists and is executable, and
   * /usr/bin/ett is where a package will put it, not where a checkout has it. The units are
   * therefore verified as copies whose /usr/bin/ett names a stub in a temporary directory (--root=
   * would need a whole system tree under it: systemd 252 then looks for sysinit.target there).
   * verify exits 0 even for unknown keys and bad values, which it only prints: any output at all
   * fails the test.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void systemdAnalyzeVerifiesBothUnitsWithoutAWord() throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    Assumptions.assumeTrue(
        Files.isExecutable(analyze),
        "systemd-analyze is not installed (apt-get install systemd); unit files not verified");
    Path stub = dir.resolve("ett");
    Files.writeString(stub, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> cmd =
        new ArrayList<>(List.of(analyze.toString(), "verify", "--man=no", "--generators=no"));
    for (String name : NAMES) {
      Path copy = dir.resolve(name);
      Files.writeString(
          copy, Files.readString(UNITS.resolve(name)).replace("/usr/bin/ett", stub.toString()));
      cmd.add(copy.toString());
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(50, TimeUnit.SECONDS)).as("systemd-analyze verify ended").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(out).as("what systemd-analyze verify said").isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  @Test
  void bothUnitsAreNotifyServicesWithAWatchdogAndTheSameHardening() throws IOException {
    for (String name : NAMES) {
      Map<String, List<String>> s = service(name);
      assertThat(s.get("Type")).as(name).containsExactly("notify");
      assertThat(s.get("ExecStart").get(0)).as(name).startsWith("/usr/bin/ett ");
      assertThat(s).as(name).containsKeys("WatchdogSec", "LoadCredential");
      assertThat(s.get("ExecStart").get(0))
          .as(name)
          .contains(" --config /etc/ett/")
          .contains(" --key %d/");
      assertThat(s.get("Restart")).as(name).containsExactly("on-failure");
      Map<String, String> hardening = new LinkedHashMap<>();
      hardening.put("DynamicUser", "yes");
      hardening.put("ProtectSystem", "strict");
      hardening.put("ProtectHome", "yes");
      hardening.put("PrivateTmp", "yes");
      hardening.put("NoNewPrivileges", "yes");
      hardening.put("CapabilityBoundingSet", "");
      hardening.put("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK");
      hardening.put("LockPersonality", "yes");
      hardening.put("SystemCallFilter", "@system-service");
      hardening.put("LogsDirectory", "ett");
      hardening.forEach((k, v) -> assertThat(s.get(k)).as(name + " " + k).containsExactly(v));
      assertThat(s)
          .as(name + ": the JIT needs W+X memory")
          .doesNotContainKey("MemoryDenyWriteExecute");
    }
    assertThat(service("ett-server.service").get("ExecReload"))
        .containsExactly("/bin/kill -HUP $MAINPID");
  }

  /** The [Service] section's assignments, comments and other sections left out. */
  private static Map<String, List<String>> service(String name) throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String section = "";
    for (String line : Files.readAllLines(UNITS.resolve(name))) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[")) {
        section = line;
        continue;
      }
      int eq = line.indexOf('=');
      if (section.equals("[Service]") && eq > 0) {
        out.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>())
            .add(line.substring(eq + 1));
      }
    }
    return out;
  }
}
