package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: a SIGTERM, how a service manager asks a service to stop, ends a server
 * (after its drain) and a client with exit status 0, not the JVM's 143, which systemd would log as
 * a failure.
 */
class SigtermTest {
  @TempDir Path dir;

  private static List<String> java(String... args) {
    return ChildJvm.ett(args);
  }

  /** Starts the command and returns once a line of its output matches; group 1 is returned too. */
  private static String[] startUntil(List<String> cmd, Process[] started, String regex)
      throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    started[0] = p;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Pattern pattern = Pattern.compile(regex);
    StringBuilder seen = new StringBuilder();
    for (String line; (line = out.readLine()) != null; ) {
      seen.append(line).append('\n');
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> {}));
        return new String[] {seen.toString(), m.groupCount() > 0 ? m.group(1) : null};
      }
    }
    throw new AssertionError("the command ended before printing /" + regex + "/:\n" + seen);
  }

  private static int sigtermAndWait(Process p) throws InterruptedException {
    p.destroy(); // SIGTERM on Linux
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the process ended after SIGTERM").isTrue();
    return p.exitValue();
  }

  @Test
  void aServerAndAClientStoppedWithSigtermExitWithStatusZero() throws Exception {
    KeyPair serverKey = X25519.generate();
    KeyPair clientKey = X25519.generate();
    Path sk = dir.resolve("server.key");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Path ck = dir.resolve("client.key");
    KeyFile.write(ck, clientKey.privateKey(), clientKey.publicKey());
    Path authorized = dir.resolve("authorized");
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    Process[] server = new Process[1];
    Process[] client = new Process[1];
    try {
      String port =
          startUntil(
              java(
                  "server",
                  "--listen",
                  "127.0.0.1:0",
                  "--key",
                  sk.toString(),
                  "--authorized",
                  authorized.toString(),
                  "--policy",
                  "accept 127.0.0.1:9",
                  "--drain-timeout",
                  "2s"),
              server,
              "listening on /?127\\.0\\.0\\.1:(\\d+)")[1];
      startUntil(
          java(
              "client",
              "--server",
              "127.0.0.1:" + port,
              "--server-key",
              KeyFile.encode(serverKey.publicKey()),
              "--key",
              ck.toString(),
              "-L",
              "127.0.0.1:0:127.0.0.1:9"),
          client,
          "link up");
      assertThat(sigtermAndWait(client[0])).as("client exit status").isZero();
      assertThat(sigtermAndWait(server[0])).as("server exit status").isZero();
    } finally {
      for (Process[] p : List.of(server, client)) {
        if (p[0] != null) {
          p[0].destroyForcibly();
        }
      }
    }
  }
}
