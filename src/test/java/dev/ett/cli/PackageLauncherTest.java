package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.AutoComplete;

/**
 * packaging/ett, the launcher of the tarball and the .deb, in a package tree laid out as
 * packaging/build.sh lays it (bin/ett, lib/ett.jar, lib/ett.aot, lib/runtime) whose runtime is a
 * stand-in {@code java} that prints its arguments: which Java it starts and with what, without a
 * JVM. The packages themselves are built and run in .ci/run (packaging/smoke-test.sh).
 */
class PackageLauncherTest {
  @TempDir Path dir;
  Path home;

  @BeforeEach
  void layOutAPackageWithAStandInRuntime() throws IOException {
    home = dir.resolve("opt/ett-1.0");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("lib/runtime/bin"));
    Files.copy(Path.of("packaging/ett"), home.resolve("bin/ett"));
    home.resolve("bin/ett").toFile().setExecutable(true);
    Path java = home.resolve("lib/runtime/bin/java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$0\" \"$@\"; do echo \"$a\"; done\n");
    java.toFile().setExecutable(true);
    Files.writeString(home.resolve("lib/ett.jar"), "stand-in");
  }

  /** Runs the launcher through {@code link} with only {@code env} in its environment. */
  private List<String> run(Path link, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(link.toString()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.lines().toList();
  }

  private Path symlinkOnPath() throws IOException {
    Path link = dir.resolve("usr/bin/ett");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, Path.of("../../opt/ett-1.0/bin/ett"));
    return link;
  }

  @Test
  void theLauncherRunsTheBundledRuntimeAndJarThroughASymlinkWhateverJavaHomeSays()
      throws Exception {
    List<String> argv =
        run(
            symlinkOnPath(),
            Map.of("JAVA_HOME", "/nonexistent"),
            "server",
            "--listen",
            "127.0.0.1:7000");

    assertThat(argv.getFirst())
        .isEqualTo(home.resolve("lib/runtime/bin/java").toRealPath().toString());
    assertThat(argv.subList(argv.size() - 5, argv.size()))
        .containsExactly(
            "-jar",
            home.resolve("lib/ett.jar").toRealPath().toString(),
            "server",
            "--listen",
            "127.0.0.1:7000");
  }

  @Test
  void theAotCacheIsUsedOnlyWhenItIsThereNotEmptyAndNotTurnedOff() throws Exception {
    Path link = symlinkOnPath();
    String useCache = "-XX:AOTCache=" + home.resolve("lib").toRealPath().resolve("ett.aot");
    Path aot = home.resolve("lib/ett.aot");

    assertThat(run(link, Map.of(), "--version")).noneMatch(a -> a.startsWith("-XX:AOTCache"));
    Files.writeString(aot, ""); // what a failed training run leaves
    assertThat(run(link, Map.of(), "--version")).noneMatch(a -> a.startsWith("-XX:AOTCache"));
    Files.writeString(aot, "a cache");
    assertThat(run(link, Map.of(), "--version")).contains(useCache, "-Xlog:aot*=off");
    assertThat(run(link, Map.of("ETT_NO_AOT", "1"), "--version"))
        .noneMatch(a -> a.startsWith("-XX:AOTCache"));
  }

  @Test
  void theLauncherGivesTheJvmOptionsOfTheCheckoutsBinEttOnJdk25AndThenEttJavaOpts()
      throws Exception {
    // bin/ett's options on JDK 25: every opts=(...) and opts+=(...) but the cache's own line.
    List<String> binEtt = new ArrayList<>();
    Matcher m =
        Pattern.compile("opts\\+?=\\(([^)]*)\\)").matcher(Files.readString(Path.of("bin/ett")));
    while (m.find()) {
      if (!m.group(1).contains("aot")) {
        binEtt.addAll(Arrays.asList(m.group(1).trim().split("\\s+")));
      }
    }
    assertThat(binEtt).contains("-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED");

    List<String> argv = run(symlinkOnPath(), Map.of("ETT_JAVA_OPTS", "-Dx=1  -Dy=*"), "--version");

    List<String> options = argv.subList(1, argv.indexOf("-jar"));
    assertThat(options).containsExactlyElementsOf(concat(binEtt, List.of("-Dx=1", "-Dy=*")));
  }

  @Test
  void theCompletionScriptCoversEveryCommandOfTheWholeTree() {
    String bash = AutoComplete.bash("ett", Main.commandLine());

    for (String command :
        List.of(
            "keygen",
            "pubkey",
            "server",
            "policy",
            "client",
            "connect",
            "passwd",
            "selftest",
            "bench")) {
      assertThat(bash).contains("function _picocli_ett_" + command + "()");
    }
    assertThat(bash).contains("'--listen'", "'--server-key'", "complete -F _complete_ett");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
