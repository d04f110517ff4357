package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: stopping a server (SIGTERM runs {@code Server.shutdown}) lets open streams
 * finish within the drain deadline, accepts nothing new, and resets what is still open after it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulShutdownTest {

  @Test
  void anOpenStreamFinishesWhileTheServerDrains() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SINK)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (Socket s = Io.connect(t.forward)) {
        s.getOutputStream().write(new byte[64 * 1024]); // the stream is open and busy
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.server.streamCount() == 0 && System.nanoTime() < until) {
          Thread.sleep(10); // the server has the stream (its OPEN may still be on the way)
        }
        CompletableFuture<Void> stopped =
            CompletableFuture.runAsync(() -> t.server.shutdown(Duration.ofSeconds(10)));
        Thread.sleep(300);
        assertThat(stopped).isNotDone(); // waiting for our stream
        assertRefusesNewConnections(t);
        Io.pushRandom(s, 1 << 20, 5); // more bytes, then our FIN
        // The sink's SHA-256 covers every byte: the 64 KiB of zeros, then what pushRandom sent.
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(new byte[64 * 1024]);
        java.util.Random r = new java.util.Random(5);
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < 16; i++) {
          r.nextBytes(chunk);
          sha.update(chunk);
        }
        assertThat(Io.readLine(s)).isEqualTo(java.util.HexFormat.of().formatHex(sha.digest()));
        stopped.get(5, TimeUnit.SECONDS); // the last stream ended: the server stopped early
      }
      t.server = null; // already stopped
    }
  }

  @Test
  void aStreamStillOpenAfterTheDeadlineIsReset() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (Socket s = Io.connect(t.forward)) {
        s.getOutputStream().write("ping".getBytes());
        assertThat(Io.readFully(s.getInputStream(), 4)).isEqualTo("ping".getBytes());
        long t0 = System.nanoTime();
        t.server.shutdown(Duration.ofMillis(500));
        assertThat((System.nanoTime() - t0) / 1e6).isGreaterThanOrEqualTo(450);
        int r;
        try {
          r = s.getInputStream().read();
        } catch (SocketException reset) {
          r = -1;
        }
        assertThat(r).as("the application sees its stream end, not hang").isEqualTo(-1);
      }
      t.server = null;
    }
  }

  private static void assertRefusesNewConnections(Tunnel t) {
    boolean refused;
    try (Socket s = new Socket()) {
      s.connect(t.serverAddress, 1000);
      refused = false;
    } catch (IOException e) {
      refused = true;
    }
    assertThat(refused).as("no new links once shutting down").isTrue();
  }
}
