package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.link.LinkConfig;
import dev.ett.link.RecordLayer;
import dev.ett.wire.Frame;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: a link lives long and survives its path. Keys change under load without a
 * byte lost; a path that goes silent is noticed by keepalive and the client builds a new link; a
 * stream whose application does not read never holds up the others.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LinkLifeTest {

  @Test
  void keysRotateDuringABulkTransferWithoutLosingAByte() throws Exception {
    LinkConfig tiny = LinkConfig.defaults().withRekey(64 * 1024, Duration.ofMillis(200));
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SINK, null, tiny)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (Socket s = Io.connect(t.forward)) {
        String sent = Io.pushRandom(s, 64L << 20, 7);
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
      int[] counters =
          onLoop(
              t,
              () ->
                  t.client.currentMux().channel().pipeline().get(RecordLayer.class).keyCounters());
      // {REKEYs sent, REKEYs received, KEYX completed}
      // 64 MiB at one REKEY per 64 KiB is ~1024, fewer where a KEYX replaced the key first.
      assertThat(counters[0]).as("rekeys sent").isGreaterThanOrEqualTo(500);
      assertThat(counters[2]).as("key exchanges").isGreaterThanOrEqualTo(1);
    }
  }

  /**
   * As OpenSSH's rekey.sh: a volume rekey every 4 KiB and a fresh key exchange every second during
   * a 1 GiB transfer. Every byte arrives (SHA-256 at both ends) and the counts say the keys really
   * turned over that often.
   */
  @Test
  @Timeout(value = 170, unit = TimeUnit.SECONDS)
  void aGibibyteCrossesWithKeysRotatingEveryFourKibibytesAndEverySecond() throws Exception {
    long size = 1L << 30;
    int every = 4 * 1024;
    LinkConfig tiny = LinkConfig.defaults().withRekey(every, Duration.ofSeconds(1));
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SINK, null, tiny)) {
      t.awaitLink(Duration.ofSeconds(10));
      long start = System.nanoTime();
      try (Socket s = Io.connect(t.forward)) {
        String sent = Io.pushRandom(s, size, 11);
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
      long seconds = (System.nanoTime() - start) / 1_000_000_000L;
      int[] c =
          onLoop(
              t,
              () ->
                  t.client.currentMux().channel().pipeline().get(RecordLayer.class).keyCounters());
      // {REKEYs sent, REKEYs received, KEYX completed}. The REKEY follows the record that crosses
      // the threshold, and a DATA record here is 4 KiB or more, so (nearly) every record rekeys:
      // at least one per largest possible record's worth of bytes, less the few a KEYX replaced.
      long records = size / Frame.MAX_RECORD_PLAINTEXT;
      System.out.printf(
          "1 GiB in %d s: %d REKEYs sent, %d received, %d KEYX%n", seconds, c[0], c[1], c[2]);
      assertThat((long) c[0])
          .as("volume rekeys sent for 1 GiB in %d s", seconds)
          .isGreaterThanOrEqualTo(records * 9 / 10);
      assertThat((long) c[2])
          .as("key exchanges in %d s", seconds)
          .isGreaterThanOrEqualTo(Math.max(1, seconds - 2));
    }
  }

  @Test
  void clientNoticesASilentPathAndBuildsANewLink() throws Exception {
    LinkConfig fast = LinkConfig.defaults().withKeepalive(Duration.ofMillis(200));
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO, null, fast)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (TamperingProxy proxy = new TamperingProxy(t.serverAddress)) {
        t.front.close();
        t.client.close();
        t.startClient(t.clientKey, t.serverKey.publicKey(), proxy.address());
        t.awaitLink(Duration.ofSeconds(10));
        TunnelEndToEndTest.assertEchoes(t);
        proxy.stallExisting(); // no FIN, no RST: packets just stop
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.client.linksEstablished() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(t.client.linksEstablished()).isEqualTo(2);
        TunnelEndToEndTest.assertEchoes(t);
      }
    }
  }

  @Test
  void aStreamWhoseReaderStallsDoesNotHoldUpAnother() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SOURCE)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (Socket stalled = Io.connect(t.forward);
          Socket flowing = Io.connect(t.forward)) {
        // Ask for far more than any buffer holds, then never read.
        stalled.getOutputStream().write(java.nio.ByteBuffer.allocate(8).putLong(1L << 30).array());
        Thread.sleep(200);
        assertThat(Io.pullPattern(flowing, 50L << 20)).isEqualTo(50L << 20);
      }
    }
  }

  static <T> T onLoop(Tunnel t, java.util.concurrent.Callable<T> c) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    t.client
        .eventLoop()
        .execute(
            () -> {
              try {
                f.complete(c.call());
              } catch (Exception e) {
                f.completeExceptionally(e);
              }
            });
    return f.get(5, TimeUnit.SECONDS);
  }
}
