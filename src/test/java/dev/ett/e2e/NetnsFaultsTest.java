package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.bench.TestTarget;
import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: real link faults made by the kernel, not by a userspace proxy — a rate
 * limit, a link that goes down and comes back, packets silently dropped — leave every stream either
 * intact (every byte checked) or reset where the application sees it, and the client finds its
 * server again once the path is back.
 *
 * <p>Setup ({@link Netns}): namespaces A and B joined by a veth pair, the link. In B run an {@code
 * ett target} (echo) on B's loopback and an {@code ett server} on B's end of the link; in A an
 * {@code ett client} whose {@code -L} forward listens on A's end of a second veth pair from the
 * root namespace, so this JVM (in the root namespace) connects to it directly with plain sockets
 * and sees resets as exceptions. Each ett is a separate JVM run with {@code ip netns exec}, on this
 * test's class path (as {@code ChainCliTest} runs ett), with paranoid leak detection; both ends
 * have {@code --keepalive 1s}, so a link that hears nothing for 3 s is dead.
 *
 * <p>Faults, all on A's end of the link (B's too for the rate limit): {@code tc qdisc ... tbf}
 * (this kernel has no netem); {@code ip link set ... down/up}; and drops with a {@code clsact}
 * qdisc and a filter that drops everything both ways — {@code matchall action drop} where the
 * kernel has it, else a one-instruction classic BPF program in direct-action mode returning
 * TC_ACT_SHOT (which needs only cls_bpf). nftables would do the same, but needs a package; tc is
 * part of iproute2, like {@code ip}.
 *
 * <p>Skipped, with the reason, when not root, without {@code ip}, or where the kernel refuses
 * {@code ip netns add} (an unprivileged container); the tc cases also without {@code tc} or the
 * qdisc they need. CI runs as root, where they run.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NetnsFaultsTest {
  static final int SERVER_PORT = 7000, TARGET_PORT = 7001, FORWARD_PORT = 9000;

  /** --keepalive of both ends; a link is declared dead after 3 of them without a byte. */
  static final long KEEPALIVE_MS = 1000, DEAD_MS = 3 * KEEPALIVE_MS;

  /** What the client logs when it gives a link up: it died, or the server said GOAWAY. */
  static final String[] LINK_GONE = {"lost; reconnecting", "server is going away"};

  static Netns net;
  static Netns.Child target, server, client;
  static InetSocketAddress forward;

  /** Why this machine cannot run these tests, or null; each test is skipped with it. */
  static String skipped;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Netns.Attempt attempt = Netns.attempt("NetnsFaultsTest");
    net = attempt.net();
    skipped = attempt.skipped();
    if (skipped != null) {
      return;
    }
    KeyPair serverKey = X25519.generate(), clientKey = X25519.generate();
    Path sk = dir.resolve("server.key"),
        ck = dir.resolve("client.key"),
        authorized = dir.resolve("authorized");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    KeyFile.write(ck, clientKey.privateKey(), clientKey.publicKey());
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    String keepalive = KEEPALIVE_MS + "ms";
    target =
        net.spawn(
            net.b,
            "target",
            ett("target", "--listen", "127.0.0.1:" + TARGET_PORT, "--mode", "echo"));
    server =
        net.spawn(
            net.b,
            "server",
            ett(
                "server",
                "--listen",
                Netns.B_ADDR + ":" + SERVER_PORT,
                "--key",
                sk.toString(),
                "--authorized",
                authorized.toString(),
                "--policy",
                "accept 127.0.0.1:" + TARGET_PORT,
                "--keepalive",
                keepalive,
                "--threads",
                "1",
                "-v"));
    target.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(30), "listening on");
    server.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(30), "listening on");
    client =
        net.spawn(
            net.a,
            "client",
            ett(
                "client",
                "--server",
                Netns.B_ADDR + ":" + SERVER_PORT,
                "--server-key",
                KeyFile.encode(serverKey.publicKey()),
                "--key",
                ck.toString(),
                "-L",
                net.frontAddr + ":" + FORWARD_PORT + ":127.0.0.1:" + TARGET_PORT,
                "--keepalive",
                keepalive,
                "-v"));
    client.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(30), "link up to");
    forward = new InetSocketAddress(net.frontAddr, FORWARD_PORT);
    reachableAfter(System.nanoTime(), Duration.ofSeconds(10));
  }

  @BeforeEach
  void onlyWithNamespaces() {
    assumeTrue(skipped == null, () -> skipped);
  }

  @AfterAll
  static void stop() {
    if (net == null) {
      return;
    }
    StringBuilder leaks = new StringBuilder();
    for (Netns.Child c : net.children()) {
      if (c.count("LEAK") > 0) {
        leaks.append(c.name).append(":\n").append(c.output());
      }
    }
    net.close();
    net = null;
    assertThat(leaks).as("leak reports").isEmpty();
  }

  /** {@code java ... dev.ett.cli.Main ARGS} with this test's class path and a small heap. */
  static List<String> ett(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(
        List.of(
            "--enable-native-access=ALL-UNNAMED",
            "-XX:+UseSerialGC",
            "-Xms16m",
            "-Xmx96m",
            "-Dio.netty.leakDetection.level=paranoid",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.ett.cli.Main"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  // ---- the cases
  // ---------------------------------------------------------------------------------

  @Test
  void aRateLimitedLinkDeliversEveryByteAtTheRate() throws Exception {
    assumeTrue(Netns.tool("tc") != null, "tc (iproute2) is not installed");
    long size = 4L << 20;
    try {
      for (String[] end :
          List.of(new String[] {net.a, net.linkA}, new String[] {net.b, net.linkB})) {
        tcOrSkip(
            end[0], "qdisc", "add", "dev", end[1], "root", "tbf", "rate", "8mbit", "burst",
            "32kbit", "latency", "400ms");
      }
      long t0 = System.nanoTime();
      Echoed r;
      try (Socket s = Io.connect(forward)) {
        r = echo(s, size, 0);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      assertThat(r.outcome()).isEqualTo(Outcome.INTACT);
      assertThat(r.received()).isEqualTo(size);
      // 8 Mbit/s each way is 1 MB/s: 4 MiB cannot echo back in less than 4.19 s (plus headers).
      assertThat(secs)
          .as("seconds to echo 4 MiB at 8 Mbit/s")
          .isBetween(0.85 * size * 8 / 8e6, 30.0);
      report(
          "tbf 8mbit: 4 MiB echoed intact in %.2f s = %.2f Mbit/s of payload each way",
          secs, size * 8 / secs / 1e6);
    } finally {
      for (String[] end :
          List.of(new String[] {net.a, net.linkA}, new String[] {net.b, net.linkB})) {
        quietly(() -> net.tc(end[0], "qdisc", "del", "dev", end[1], "root"));
      }
    }
  }

  @Test
  void aLinkDownShorterThanTheKeepaliveDeadlineLosesNothing() throws Exception {
    reachableAfter(System.nanoTime(), Duration.ofSeconds(10));
    int links = client.count("link up to");
    long size = 3L << 20;
    try (Socket s = Io.connect(forward)) {
      CompletableFuture<Echoed> transfer =
          CompletableFuture.supplyAsync(() -> echoUnchecked(s, size, 1 << 20));
      Thread.sleep(700);
      try {
        net.ip("-n", net.a, "link", "set", net.linkA, "down");
        Thread.sleep(1000);
      } finally {
        net.ip("-n", net.a, "link", "set", net.linkA, "up");
      }
      Echoed r = transfer.get(30, TimeUnit.SECONDS);
      assertThat(r.outcome())
          .as("a 1 s outage is shorter than the %d ms deadline", DEAD_MS)
          .isEqualTo(Outcome.INTACT);
      assertThat(r.received()).isEqualTo(size);
    }
    assertThat(client.count("link up to"))
        .as("the same link carried the stream through")
        .isEqualTo(links);
  }

  @Test
  void aLinkDownLongerThanTheDeadlineResetsStreamsAndTheClientComesBack() throws Exception {
    reachableAfter(System.nanoTime(), Duration.ofSeconds(10));
    int links = client.count("link up to");
    long mark = System.nanoTime(), downAt, upAt;
    CompletableFuture<Echoed> transfer;
    Echoed r;
    try (Socket s = Io.connect(forward)) {
      s.setSoTimeout(20_000);
      transfer = CompletableFuture.supplyAsync(() -> echoUnchecked(s, 8L << 20, 1 << 20));
      Thread.sleep(500);
      downAt = System.nanoTime();
      try {
        net.ip("-n", net.a, "link", "set", net.linkA, "down");
        Thread.sleep(DEAD_MS + 1500);
      } finally {
        net.ip("-n", net.a, "link", "set", net.linkA, "up");
        upAt = System.nanoTime();
      }
      r = transfer.get(30, TimeUnit.SECONDS);
      // Never a clean end short of the data, never a changed byte (echo() throws on one).
      assertThat(r.outcome())
          .as(
              "the stream, cut for longer than the deadline, ended %.2f s after the cut: %s%s",
              (r.endNanos() - downAt) / 1e9, r, logs())
          .isEqualTo(Outcome.RESET);
      assertThat(r.received()).isLessThan(8L << 20);
    }
    long lostAt = client.awaitLine(mark, Duration.ofSeconds(10), LINK_GONE);
    double noticed = (lostAt - downAt) / 1e9;
    double back = reachableAfter(upAt, Duration.ofSeconds(15));
    report(
        "link down %.1f s: client gave the link up %.2f s after the cut, the stream saw its reset %.2f s after;"
            + " a new stream echoed %.2f s after link up",
        (upAt - downAt) / 1e9, noticed, (r.endNanos() - downAt) / 1e9, back);
    // With stream data queued on the link, the deadline must still end it: the application
    // learns of the dead path after 3 keepalives, not when TCP gives up (~15 min) or the path
    // comes back.
    assertThat(lostAt)
        .as(
            "client gave the dead link up %.2f s after the cut, the link being down for %.1f s; client:%n%s",
            noticed, (upAt - downAt) / 1e9, client.output())
        .isLessThan(upAt);
    assertThat(noticed)
        .as("seconds from the cut to the client giving the link up")
        .isBetween(1.0, DEAD_MS / 1000.0 + 1.5);
    // Reconnect attempts fail at once while the link is down (no route); with a 250 ms backoff
    // doubling from the loss (~3 s) the next attempt after link up comes within ~2.4 s.
    assertThat(back).as("seconds from link up to a working stream").isLessThan(3.5);
    client.awaitLine(
        mark, Duration.ofSeconds(2), "link up to"); // its log line may come after the echo
    assertThat(client.count("link up to")).as("links").isEqualTo(links + 1);
  }

  @Test
  void droppedPacketsOnAnIdleLinkAreNoticedAndTheClientReconnects() throws Exception {
    assumeTrue(Netns.tool("tc") != null, "tc (iproute2) is not installed");
    reachableAfter(System.nanoTime(), Duration.ofSeconds(10));
    int links = client.count("link up to");
    long mark = System.nanoTime(), dropAt, liftAt;
    long dropMs = DEAD_MS + 2000;
    try {
      tcOrSkip(net.a, "qdisc", "add", "dev", net.linkA, "clsact");
      dropAt = System.nanoTime();
      for (String dir : List.of("egress", "ingress")) {
        dropAll(dir);
      }
      Thread.sleep(dropMs);
    } finally {
      quietly(() -> net.tc(net.a, "qdisc", "del", "dev", net.linkA, "clsact"));
      liftAt = System.nanoTime();
    }
    long lostAt = client.awaitLine(mark, Duration.ofSeconds(1), LINK_GONE);
    double noticed = (lostAt - dropAt) / 1e9;
    double back = reachableAfter(liftAt, Duration.ofSeconds(20));
    report(
        "drop %.1f s: client gave the link up %.2f s after drops began; a new stream echoed %.2f s after they ended",
        (liftAt - dropAt) / 1e9, noticed, back);
    assertThat(noticed)
        .as("seconds from the first drop to the client giving the link up")
        .isBetween(1.0, DEAD_MS / 1000.0 + 1.5);
    // The attempt under way when drops end waits for its SYN's next retransmission (1 s, then 2 s
    // later), or for the next backoff.
    assertThat(back).as("seconds from the end of drops to a working stream").isLessThan(8.0);
    client.awaitLine(
        mark, Duration.ofSeconds(2), "link up to"); // its log line may come after the echo
    assertThat(client.count("link up to")).as("links").isEqualTo(links + 1);
  }

  /** A filter on A's end of the link that drops every packet going {@code dir}. */
  private static void dropAll(String dir) throws Exception {
    try {
      net.tc(net.a, "filter", "add", "dev", net.linkA, dir, "matchall", "action", "drop");
    } catch (IOException noMatchall) {
      // Classic BPF "ret #2": TC_ACT_SHOT in direct-action mode (cls_bpf only, no gact).
      tcOrSkip(net.a, "filter", "add", "dev", net.linkA, dir, "bpf", "da", "bytecode", "1,6 0 0 2");
    }
  }

  // ---- helpers
  // -----------------------------------------------------------------------------------

  /** The output of the ett processes, for a failure message. */
  private static String logs() {
    return "\nclient:\n" + client.output() + "server:\n" + server.output();
  }

  private static void tcOrSkip(String ns, String... args) throws Exception {
    try {
      net.tc(ns, args);
    } catch (IOException e) {
      Assumptions.abort("this kernel or tc cannot do it: " + e.getMessage());
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  private static void quietly(Action a) {
    try {
      a.run();
    } catch (Exception ignored) {
      // cleaning up after a failure
    }
  }

  private static void report(String format, Object... args) {
    System.out.println("NetnsFaultsTest: " + String.format(Locale.ROOT, format, args));
  }

  /**
   * Seconds from {@code sinceNanos} until a new stream through the forward echoes a line; tries
   * again every 50 ms (a stream that waits for a link attempt that then fails is refused).
   */
  static double reachableAfter(long sinceNanos, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Socket s = Io.connect(forward)) {
        s.setSoTimeout(
            (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
        if (Io.readLine(s).equals("ping")) {
          return (System.nanoTime() - sinceNanos) / 1e9;
        }
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(
        "no stream got through within " + timeout + "; client:\n" + client.output(), last);
  }

  enum Outcome {
    INTACT,
    RESET,
    TRUNCATED
  }

  /** How an echo ended, and when (System.nanoTime). */
  record Echoed(Outcome outcome, long received, String detail, long endNanos) {}

  static Echoed echoUnchecked(Socket s, long size, long bytesPerSecond) {
    try {
      return echo(s, size, bytesPerSecond);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes {@code size} bytes of {@link TestTarget#pattern} (paced to {@code bytesPerSecond}, 0 =
   * as fast as the path takes them), half-closes, and reads the echo, checking every byte: throws
   * on a changed byte; returns INTACT (all bytes, then EOF), RESET (an error while reading or
   * writing) or TRUNCATED (EOF before all bytes, and no error: the failure this test exists to
   * catch).
   *
   * <p>A reset is reported once, to whichever call on the socket comes first (Linux hands the
   * pending ECONNRESET to one call and clears it; the next read sees the end of the stream): when
   * the writer, blocked in write, takes it, the reader sees EOF. So an EOF short of the data counts
   * as a reset when the writer failed.
   */
  static Echoed echo(Socket s, long size, long bytesPerSecond)
      throws IOException, InterruptedException {
    AtomicReference<IOException> writeError = new AtomicReference<>();
    Thread writer =
        Thread.ofPlatform()
            .daemon()
            .name("netns-echo-writer")
            .start(
                () -> {
                  byte[] buf = new byte[16 * 1024];
                  long start = System.nanoTime();
                  try {
                    OutputStream out = s.getOutputStream();
                    for (long off = 0; off < size; ) {
                      int n = (int) Math.min(buf.length, size - off);
                      for (int i = 0; i < n; i++) {
                        buf[i] = TestTarget.pattern(off + i);
                      }
                      out.write(buf, 0, n);
                      off += n;
                      if (bytesPerSecond > 0) {
                        long due = start + off * 1_000_000_000L / bytesPerSecond;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                      }
                    }
                    s.shutdownOutput();
                  } catch (IOException e) {
                    writeError.set(e);
                  } catch (InterruptedException e) {
                    // the test is over
                  }
                });
    InputStream in = s.getInputStream();
    byte[] buf = new byte[64 * 1024];
    long off = 0;
    try {
      for (int n; (n = in.read(buf)) != -1; ) {
        for (int i = 0; i < n; i++) {
          if (buf[i] != TestTarget.pattern(off + i)) {
            throw new AssertionError("changed byte at offset " + (off + i) + " of the echo");
          }
        }
        off += n;
      }
    } catch (IOException e) {
      return new Echoed(Outcome.RESET, off, e.toString(), System.nanoTime());
    } finally {
      writer.join(5000);
    }
    long end = System.nanoTime();
    if (off == size) {
      return new Echoed(Outcome.INTACT, off, "EOF", end);
    }
    IOException w = writeError.get();
    return w != null
        ? new Echoed(Outcome.RESET, off, "EOF after the writer got " + w, end)
        : new Echoed(Outcome.TRUNCATED, off, "EOF", end);
  }
}
