package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: on a bad path (delay and jitter, a slow link, a cut) every stream either
 * delivers every byte in order, checked at both ends, or fails with a reset the application sees;
 * and after a cut the client is back within 2 seconds. Bit flips and stalls are covered by
 * LinkIntegrityTest and LinkLifeTest.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChaosTest {

  /** A tunnel whose client reaches its server through a chaos proxy. */
  private static Tunnel throughChaos(TestTarget.Mode mode, ChaosProxy[] proxy) throws Exception {
    Tunnel t = Tunnel.start(mode);
    t.awaitLink(Duration.ofSeconds(10));
    proxy[0] = new ChaosProxy(t.serverAddress);
    t.front.close();
    t.client.close();
    t.startClient(t.clientKey, t.serverKey.publicKey(), proxy[0].address());
    t.awaitLink(Duration.ofSeconds(10));
    return t;
  }

  @Test
  void delayAndJitterDeliverEveryByteInOrder() throws Exception {
    ChaosProxy[] p = new ChaosProxy[1];
    try (Tunnel t = throughChaos(TestTarget.Mode.SINK, p);
        ChaosProxy proxy = p[0]) {
      proxy.delayMillis = 2;
      proxy.jitterMillis = 5;
      try (Socket s = Io.connect(t.forward)) {
        String sent = Io.pushRandom(s, 4L << 20, 11);
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
    }
  }

  @Test
  void aThrottledPathDeliversEveryByteInOrder() throws Exception {
    ChaosProxy[] p = new ChaosProxy[1];
    try (Tunnel t = throughChaos(TestTarget.Mode.SOURCE, p);
        ChaosProxy proxy = p[0]) {
      proxy.bytesPerSecond = 2L << 20;
      try (Socket s = Io.connect(t.forward)) {
        assertThat(Io.pullPattern(s, 3L << 20)).isEqualTo(3L << 20);
      }
    }
  }

  @Test
  void aCutResetsTheStreamsAndTheClientIsBackWithinTwoSeconds() throws Exception {
    ChaosProxy[] p = new ChaosProxy[1];
    try (Tunnel t = throughChaos(TestTarget.Mode.SOURCE, p);
        ChaosProxy proxy = p[0]) {
      proxy.bytesPerSecond = 4L << 20; // slow enough that the cut lands mid-transfer
      long size = 64L << 20;
      long got;
      try (Socket s = Io.connect(t.forward)) {
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    Thread.sleep(400);
                    proxy.cutAll();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        try {
          got = Io.pullPattern(s, size); // every byte checked; AssertionError on corruption
        } catch (SocketException reset) {
          got = -1;
        }
      }
      assertThat(got)
          .as("the application sees a reset (-1 here), never a clean short read")
          .isEqualTo(-1);
      long cutAt = System.nanoTime();
      while (t.client.linksEstablished() < 2
          && System.nanoTime() - cutAt < TimeUnit.SECONDS.toNanos(5)) {
        Thread.sleep(10);
      }
      double seconds = (System.nanoTime() - cutAt) / 1e9;
      assertThat(t.client.linksEstablished()).isEqualTo(2);
      assertThat(seconds).as("seconds to a new link after the cut").isLessThan(2.0);
      proxy.bytesPerSecond = 0;
      try (Socket s = Io.connect(t.forward)) {
        assertThat(Io.pullPattern(s, 1 << 20)).isEqualTo(1 << 20);
      }
    }
  }
}
