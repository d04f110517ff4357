package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.exit.FirstBytesBounds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Goal of these tests: every option's value is checked when the command starts, and a mistake gets
 * one line that names the option, the value and what was expected; a port that cannot be bound is
 * named with the option it came from. A command that wrongly starts would run until stopped, so
 * each run has a deadline, and running past it is the failure.
 */
class CliOptionsTest {
  @TempDir static Path dir;
  static Path serverKey, clientKey, authorized;
  static String serverPub;
  static final ExecutorService runner =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "cli-under-test");
            t.setDaemon(true);
            return t;
          });

  @BeforeAll
  static void keys() throws Exception {
    serverKey = dir.resolve("server.key");
    clientKey = dir.resolve("client.key");
    CliTest.run("keygen", serverKey.toString());
    String clientPub = CliTest.run("keygen", clientKey.toString()).out().trim();
    serverPub = Files.readString(dir.resolve("server.key.pub")).trim();
    authorized = dir.resolve("authorized");
    Files.writeString(authorized, clientPub + " alice\n");
  }

  @AfterAll
  static void stopRunner() {
    runner.shutdownNow();
  }

  /** Runs the command line; fails if it is still running after the deadline (it started). */
  static CliTest.Run runBounded(String... args) throws Exception {
    Future<CliTest.Run> f = runner.submit(() -> CliTest.run(args));
    try {
      return f.get(20, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new AssertionError(
          "still running after 20 s, so it started: ett " + String.join(" ", args));
    }
  }

  static String[] server(String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "server",
                "--listen",
                "127.0.0.1:0",
                "--key",
                serverKey.toString(),
                "--authorized",
                authorized.toString()));
    a.addAll(Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  static String[] client(String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "client",
                "--server",
                "127.0.0.1:1",
                "--server-key",
                serverPub,
                "--key",
                clientKey.toString()));
    a.addAll(Arrays.asList(more));
    if (!a.contains("-L") && !a.contains("-D")) {
      a.addAll(List.of("-L", "127.0.0.1:0:h:1"));
    }
    return a.toArray(String[]::new);
  }

  private static void assertRefused(CliTest.Run r, String option, String value) {
    assertThat(r.status()).as(r.err()).isNotZero();
    assertThat(r.err())
        .as("one line naming the option, its value and what was expected")
        .startsWith("ett: " + option + ": " + value + " (expected")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(r.err().strip().lines().count()).isEqualTo(1);
  }

  // ---- durations, sizes and counts
  // ---------------------------------------------------------------

  @Test
  void serverRefusesAMalformedDrainTimeoutAtStartNotAtSigterm() throws Exception {
    assertRefused(runBounded(server("--drain-timeout", "10x")), "--drain-timeout", "10x");
  }

  @Test
  void serverRefusesANegativeThreadCountInItsOwnWords() throws Exception {
    CliTest.Run r = runBounded(server("--threads", "-3"));
    assertRefused(r, "--threads", "-3");
    assertThat(r.err()).doesNotContain("nThreads");
  }

  @ParameterizedTest(name = "server {0} {1}")
  @CsvSource({
    "--threads, 0",
    "--threads, 100000",
    "--max-handshakes, 0",
    "--client-max-streams, -1",
    "--client-rate, -2",
    "--client-burst, -1",
    "--drain-timeout, -1s",
    "--drain-timeout, 99999999h",
    "--keepalive, 0s",
    "--handshake-timeout, 0ms",
    "--connect-timeout, 10x",
    "--rekey-interval, 5y",
    "--first-bytes-max, 0",
    "--first-bytes-max, 16385",
    "--first-bytes-max, 1m",
    "--first-bytes-max, lots",
    "--first-bytes-timeout, 0s",
    "--first-bytes-timeout, 10x",
  })
  void serverRefusesEveryOutOfRangeValueAtStart(String option, String value) throws Exception {
    assertRefused(runBounded(server(option, value)), option, value);
  }

  @ParameterizedTest(name = "client {0} {1}")
  @CsvSource({
    "--window, 4g",
    "--window, 2147483648",
    "--window, 16383",
    "--window, lots",
    "--rekey-bytes, 4095",
    "--max-streams, 0",
    "--max-pending-opens, 0",
    "--max-queued-answers, 0",
    "--keepalive, 10x",
    "--proxy-request-timeout, 10x",
    "--proxy-max-connections, 0",
    "--max-queued-opens, -1",
  })
  void clientRefusesEveryOutOfRangeValueAtStart(String option, String value) throws Exception {
    assertRefused(runBounded(client(option, value)), option, value);
  }

  @Test
  void theLargestWindowTheProtocolAllowsIsAccepted() throws Exception {
    LinkOptions o = new LinkOptions();
    o.window = "2147483647";
    assertThat(o.toConfig().initialWindow()).isEqualTo(Integer.MAX_VALUE);
    o.window = "16k";
    assertThat(o.toConfig().initialWindow()).isEqualTo(16384);
  }

  @Test
  void firstBytesBoundsAreReadLikeTheOtherSizesAndDurations() {
    FirstBytesBounds b = ServerCommand.firstBytesBounds("16k", "10s", 256 * 1024);
    assertThat(b).isEqualTo(FirstBytesBounds.defaults());
    assertThat(ServerCommand.firstBytesBounds("1", "250ms", 16 * 1024))
        .isEqualTo(new FirstBytesBounds(1, java.time.Duration.ofMillis(250)));
  }

  @Test
  void connectToPortZeroIsRefused() throws Exception {
    String[] args = client();
    args[2] = "127.0.0.1:0";
    assertThat(runBounded(args).err())
        .startsWith("ett: --server: 127.0.0.1:0 (port expected: 1~65535)");
  }

  @Test
  void reversePolicyWithoutAProxyReverseIsRefusedAndABadRuleIsNamed() throws Exception {
    assertThat(runBounded(client("--reverse-policy", "accept 127.0.0.1:80")).err())
        .startsWith("ett: --reverse-policy: no proxy -R [BIND:]PORT to apply it to");
    CliTest.Run bad = runBounded(client("-R", "0", "--reverse-policy", "accept nonsense:99999"));
    assertThat(bad.status()).isNotZero();
    assertThat(bad.err()).startsWith("ett: ").contains("99999").doesNotContain("\tat ");
  }

  @Test
  void aReversePolicyRuleWithAProtocolIsAnErrorNotARuleThatNeverAccepts() throws Exception {
    // The client does not inspect a reverse stream's first bytes: such a rule could never match.
    CliTest.Run r =
        runBounded(client("-R", "0", "--reverse-policy", "reject *:25, accept 127.0.0.1:8443 tls"));
    assertThat(r.status()).isNotZero();
    assertThat(r.err())
        .startsWith(
            "ett: --reverse-policy: rule 2 'accept 127.0.0.1:8443 tls' names a protocol (tls)")
        .contains("name ports only")
        .doesNotContain("\tat ");
  }

  // ---- ports already taken ----------------------------------------------------------------------

  @Test
  void aTakenForwardPortIsNamedWithItsOption() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int p = taken.getLocalPort();
      CliTest.Run r = runBounded(client("-L", "127.0.0.1:" + p + ":host:80"));
      assertThat(r.status()).isNotZero();
      assertThat(r.err().strip())
          .isEqualTo(
              "ett: cannot listen on 127.0.0.1:"
                  + p
                  + " (-L 127.0.0.1:"
                  + p
                  + ":host:80): address already in use");
    }
  }

  @Test
  void aTakenProxyPortIsNamedWithItsOptionAndTheForwardsBeforeItAreReleased() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int p = taken.getLocalPort();
      int free = probe.getLocalPort();
      probe.close();
      CliTest.Run r =
          runBounded(client("-L", "127.0.0.1:" + free + ":host:80", "-D", String.valueOf(p)));
      assertThat(lastLine(r))
          .isEqualTo(
              "ett: cannot listen on 127.0.0.1:"
                  + p
                  + " (-D 127.0.0.1:"
                  + p
                  + "): address already in use");
      // The -L that was bound before the failure is closed again.
      try (ServerSocket again = new ServerSocket()) {
        again.bind(new InetSocketAddress("127.0.0.1", free));
      }
    }
  }

  @ParameterizedTest(name = "{0} --metrics {1}")
  @CsvSource({
    "server, 0.0.0.0:9469",
    "server, *:9469",
    "client, '[::]:9469'",
    "client, 192.0.2.1:9469"
  })
  void metricsRefuseAnAddressBeyondLoopbackUnlessMadePublic(String command, String address)
      throws Exception {
    String[] args =
        command.equals("server") ? server("--metrics", address) : client("--metrics", address);
    CliTest.Run r = runBounded(args);
    assertRefused(r, "--metrics", address);
    assertThat(r.err()).contains("--metrics-public");
  }

  @Test
  void aTakenMetricsPortIsNamedWithItsOption() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int p = taken.getLocalPort();
      CliTest.Run s = runBounded(server("--metrics", "127.0.0.1:" + p));
      assertThat(s.status()).isNotZero();
      assertThat(lastLine(s))
          .isEqualTo(
              "ett: cannot listen on 127.0.0.1:"
                  + p
                  + " (--metrics 127.0.0.1:"
                  + p
                  + "): address already in use");
      CliTest.Run c = runBounded(client("--metrics", "127.0.0.1:" + p));
      assertThat(c.status()).isNotZero();
      assertThat(lastLine(c))
          .isEqualTo(
              "ett: cannot listen on 127.0.0.1:"
                  + p
                  + " (--metrics 127.0.0.1:"
                  + p
                  + "): address already in use");
    }
  }

  @Test
  void aTakenListenPortIsNamedWithItsOption() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int p = taken.getLocalPort();
      String[] args = server();
      args[2] = "127.0.0.1:" + p;
      CliTest.Run r = runBounded(args);
      assertThat(r.status()).isNotZero();
      assertThat(lastLine(r))
          .isEqualTo(
              "ett: cannot listen on 127.0.0.1:"
                  + p
                  + " (--listen 127.0.0.1:"
                  + p
                  + "): address already in use");
    }
  }

  private static String lastLine(CliTest.Run r) {
    return r.err().strip().lines().reduce((a, b) -> b).orElse("");
  }
}
