package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.ResetCode;
import io.netty.channel.Channel;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: resource attacks on a server — half-open connections, OPEN floods past the
 * stream limit, rapid OPEN+RESET cycles (HTTP/2 rapid reset, CVE-2023-44487), WINDOW and PING
 * floods, a peer that never reads its answers — each while a legitimate client moves 1 MiB through
 * an echo stream, which must come back intact and at normal speed (well under 5 s on loopback). The
 * attacker is an authorized client (same key) whose link carries raw frames the test writes.
 */
@Timeout(120)
class AttackFloodTest {
  private static final long LEGIT_BYTES = 1 << 20;
  private static final Duration NORMAL_SPEED = Duration.ofSeconds(5);

  /** Echoes 1 MiB through the tunnel's -L port; checks it and how long it took. */
  private static void legitimateEchoWorks(Tunnel t) throws Exception {
    long start = System.nanoTime();
    try (Socket s = Io.connect(t.forward)) {
      Thread reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      readDigest(s.getInputStream(), LEGIT_BYTES, DIGEST);
                    } catch (Exception e) {
                      DIGEST[0] = "failed: " + e;
                    }
                  });
      String sent = Io.pushRandom(s, LEGIT_BYTES, System.nanoTime());
      reader.join(NORMAL_SPEED.toMillis() * 2);
      assertThat(DIGEST[0]).as("echoed bytes").isEqualTo(sent);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(NORMAL_SPEED);
  }

  private static final String[] DIGEST = new String[1];

  private static void readDigest(InputStream in, long size, String[] out) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[64 * 1024];
    long got = 0;
    for (int n; got < size && (n = in.read(buf)) != -1; got += n) {
      sha.update(buf, 0, n);
    }
    out[0] = HexFormat.of().formatHex(sha.digest());
  }

  /** A second client with the tunnel's key, link up, no fronts: the attacker. */
  private static Client attacker(Tunnel t, LinkConfig config) throws Exception {
    Client c =
        new Client(
            new Client.Options(
                t.serverAddress, t.serverKey.publicKey(), t.clientKey, Suite.AESGCM, config, 16));
    c.start().get(5, TimeUnit.SECONDS);
    return c;
  }

  /**
   * Writes {@code count} frames made by {@code frame} on the attacker's link, a record's worth at a
   * time, as fast as the attacker's own connection takes them; stops early when {@code stop} says.
   */
  private static void flood(
      Client attacker, int count, IntFunction<Frame> frame, BooleanSupplier stop) throws Exception {
    Channel ch = attacker.eventLoop().submit(() -> attacker.currentMux().channel()).get();
    int batch = 2000;
    for (int sent = 0; sent < count && ch.isActive() && !stop.getAsBoolean(); sent += batch) {
      int from = sent;
      while (!ch.isWritable() && ch.isActive() && !stop.getAsBoolean()) {
        Thread.sleep(1);
      }
      ch.eventLoop()
          .submit(
              () -> {
                for (int i = from; i < from + batch && i < count; i++) {
                  ch.write(frame.apply(i), ch.voidPromise());
                }
                ch.flush();
              })
          .get();
    }
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void thousandHalfOpenConnectionsAreCappedAndExpireWhileALinkKeepsWorking() throws Exception {
    LinkConfig config = LinkConfig.defaults().withHandshakeTimeout(Duration.ofSeconds(1));
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO, null, config)) {
      t.awaitLink(Duration.ofSeconds(5));
      List<Socket> halfOpen = new ArrayList<>();
      try {
        for (int i = 0; i < 1000; i++) {
          Socket s = new Socket();
          s.connect(t.serverAddress, 5000);
          if (i % 2 == 0) {
            s.getOutputStream()
                .write(new byte[] {'E', 'T', 'T', '!', 1, 1, 0, 0}); // a preamble, then nothing
          }
          halfOpen.add(s);
        }
        assertThat(t.server.unfinishedHandshakes())
            .as("unfinished handshakes")
            .isLessThanOrEqualTo(256);
        await(
            () -> t.server.handshakesRefused() > 0,
            Duration.ofSeconds(5),
            "the cap to close connections");
        legitimateEchoWorks(t);
        // The deadline (1 s here) closes the half-open ones, and the count comes back to zero.
        await(
            () -> t.server.unfinishedHandshakes() == 0,
            Duration.ofSeconds(5),
            "unfinished handshakes to expire");
      } finally {
        for (Socket s : halfOpen) {
          s.close();
        }
      }
      // A new client gets in once the flood has expired.
      try (Client late = attacker(t, config)) {
        assertThat(late.linksEstablished()).isEqualTo(1);
      }
      legitimateEchoWorks(t);
    }
  }

  @Test
  void openFloodPastTheStreamLimitIsRefusedAndTheLinkSurvives() throws Exception {
    LinkConfig config = LinkConfig.defaults().withMaxStreams(64).withMaxPendingOpens(16);
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO, null, config);
        Client a = attacker(t, config)) {
      t.awaitLink(Duration.ofSeconds(5));
      Destination echo =
          Destination.of(InetAddress.getLoopbackAddress(), t.target.address().getPort());
      flood(a, 20_000, i -> new Frame.Open(2 * i + 1, echo), () -> false);
      legitimateEchoWorks(t);
      assertThat(a.eventLoop().submit(() -> a.currentMux().isUsable()).get())
          .as("attacker's link still up")
          .isTrue();
      assertThat(t.server.streamCount()).as("streams on the server").isLessThanOrEqualTo(64);
    }
  }

  @Test
  void rapidOpenResetCyclesLeaveNoStreamBehind() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO);
        Client a = attacker(t, LinkConfig.defaults())) {
      t.awaitLink(Duration.ofSeconds(5));
      Destination echo =
          Destination.of(InetAddress.getLoopbackAddress(), t.target.address().getPort());
      // OPEN n, RESET n, OPEN n+2, RESET n+2 ...: each OPEN starts a connect at the server.
      flood(
          a,
          40_000,
          i -> (i & 1) == 0 ? new Frame.Open(i + 1, echo) : new Frame.Reset(i, ResetCode.CANCEL),
          () -> false);
      legitimateEchoWorks(t);
      await(
          () -> t.server.streamCount() == 0,
          Duration.ofSeconds(10),
          "reset streams to be gone (" + t.server.streamCount() + " left)");
      assertThat(a.eventLoop().submit(() -> a.currentMux().isUsable()).get()).isTrue();
    }
  }

  @Test
  void windowFloodIsHarmless() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO);
        Client a = attacker(t, LinkConfig.defaults())) {
      t.awaitLink(Duration.ofSeconds(5));
      // WINDOW for streams that do not exist, then huge increments: credit past 2^31-1 resets
      // only that stream (PROTOCOL.md §6).
      flood(a, 50_000, i -> new Frame.Window(2 * (i % 1000) + 1, Integer.MAX_VALUE), () -> false);
      legitimateEchoWorks(t);
      assertThat(a.eventLoop().submit(() -> a.currentMux().isUsable()).get()).isTrue();
    }
  }

  @Test
  void pingFloodIsAnsweredWhileThePeerReads() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO);
        Client a = attacker(t, LinkConfig.defaults())) {
      t.awaitLink(Duration.ofSeconds(5));
      flood(a, 50_000, Frame.Ping::new, () -> false);
      legitimateEchoWorks(t);
      assertThat(a.eventLoop().submit(() -> a.currentMux().isUsable()).get()).isTrue();
    }
  }

  /** ~20 s: the PONGs must first fill both ends' socket buffers on loopback. */
  @Test
  @Tag("slow")
  void pingFloodFromAPeerThatNeverReadsLosesItsLinkBeforeMemoryGrows() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO);
        Client a = attacker(t, LinkConfig.defaults())) {
      t.awaitLink(Duration.ofSeconds(5));
      await(() -> t.server.linkCount() == 2, Duration.ofSeconds(5), "two links");
      Channel ch = a.eventLoop().submit(() -> a.currentMux().channel()).get();
      ch.eventLoop().submit(() -> ch.config().setAutoRead(false)).get();
      // Every PING asks for a PONG the attacker never reads. Without a limit the server's
      // outbound buffer would hold them all (40 MB of PONGs for 3M PINGs).
      flood(a, 3_000_000, Frame.Ping::new, () -> t.server.linkCount() < 2);
      await(
          () -> t.server.linkCount() == 1,
          Duration.ofSeconds(10),
          "the server to close the flooding link");
      legitimateEchoWorks(t);
    }
  }
}
