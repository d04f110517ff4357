package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/ett as a user meets it: through a symlink on PATH, with only a Java runtime, one Java start.
 * It runs on a copy of bin/ in a temporary "checkout" whose target/ett.jar is a stand-in that
 * prints what it was given, and without pom.xml, so nothing is built.
 */
class LauncherTest {
  @TempDir Path dir;
  Path checkout;

  @BeforeEach
  void copyTheLauncherAndAStandInJar() throws Exception {
    checkout = dir.resolve("checkout");
    Files.createDirectories(checkout.resolve("bin"));
    for (String script : List.of("ett", "java-home")) {
      Path to = checkout.resolve("bin").resolve(script);
      Files.copy(Path.of("bin", script), to);
      to.toFile().setExecutable(true);
    }
    Path src = dir.resolve("src/StandIn.java");
    Files.createDirectories(src.getParent());
    Files.writeString(
        src,
        """
        public class StandIn {
          public static void main(String[] args) {
            System.out.println("stand-in " + String.join(" ", args) + " on " + Runtime.version().feature());
          }
        }
        """);
    Path classes = dir.resolve("classes");
    assertThat(
            ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", classes.toString(), src.toString()))
        .isZero();
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "StandIn");
    Files.createDirectories(checkout.resolve("target"));
    try (JarOutputStream jar =
        new JarOutputStream(Files.newOutputStream(checkout.resolve("target/ett.jar")), m)) {
      jar.putNextEntry(new JarEntry("StandIn.class"));
      jar.write(Files.readAllBytes(classes.resolve("StandIn.class")));
      jar.closeEntry();
    }
  }

  record Result(int status, String out) {}

  Result run(Path launcher, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of(launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    pb.environment().put("ETT_NO_AOT", "1");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/ett ended").isTrue();
    return new Result(
        p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void theLauncherWorksThroughASymlinkFromAnotherDirectory() throws Exception {
    Path onPath = Files.createDirectories(dir.resolve("home/.local/bin"));
    Files.createSymbolicLink(onPath.resolve("ett"), checkout.resolve("bin/ett"));
    Result r = run(onPath.resolve("ett"), Map.of(), "--version");
    assertThat(r.out()).startsWith("stand-in --version on ");
    assertThat(r.status()).isZero();
  }

  @Test
  void aJavaRuntimeWithoutJavacIsEnoughToRunABuiltJar() throws Exception {
    Path javaHome = Path.of(System.getProperty("java.home"));
    assumeTrue(Files.isRegularFile(javaHome.resolve("release")), "this Java has no release file");
    Path jre = dir.resolve("jre");
    Files.createDirectories(jre.resolve("bin"));
    Files.createSymbolicLink(jre.resolve("bin/java"), javaHome.resolve("bin/java"));
    Files.copy(javaHome.resolve("release"), jre.resolve("release"));
    Result r =
        run(
            checkout.resolve("bin/ett"),
            Map.of("ETT_JAVA_HOME", jre.toString()),
            "server",
            "--help");
    assertThat(r.out()).startsWith("stand-in server --help on " + Runtime.version().feature());
    assertThat(r.status()).isZero();
  }

  @Test
  void javaHomeReadsVersionsFromReleaseFilesAndNeedsJavacOnlyForBuilding() throws Exception {
    Path jre = dir.resolve("jre21");
    Files.createDirectories(jre.resolve("bin"));
    // A "java" that must never run: the version comes from the release file.
    Files.writeString(
        jre.resolve("bin/java"),
        "#!/bin/sh\necho started >> " + dir.resolve("started") + "\nexit 1\n");
    jre.resolve("bin/java").toFile().setExecutable(true);
    Files.writeString(jre.resolve("release"), "JAVA_VERSION=\"21.0.5\"\n");
    Path javaHomeScript = checkout.resolve("bin/java-home");
    Map<String, String> env = Map.of("ETT_JAVA_HOME", jre.toString(), "JAVA_HOME", jre.toString());
    Result asJre = run(javaHomeScript, env, "--jre");
    assertThat(asJre.out().lines().toList()).contains(jre.toString());
    Result asJdk = run(javaHomeScript, env);
    assertThat(asJdk.out()).doesNotContain(jre + "\n");
    assertThat(dir.resolve("started")).doesNotExist();
  }

  @Test
  void selftestCarriesStreamsThroughAWholeTunnelInOneProcess() {
    CliTest.Run r = CliTest.run("selftest", "--connections", "5", "--bulk", "2MiB");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .matches(
            "(?s)selftest: link up in \\d+ ms; 10 connections through -L and SOCKS5 echoed; 2 MiB through -L at \\d+ MB/s: ok\\s*");
  }
}
