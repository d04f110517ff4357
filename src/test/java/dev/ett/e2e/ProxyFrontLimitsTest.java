package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: a proxy port's admission control on real sockets — over the cap, the oldest
 * connection still without a complete request makes room for a new one, and a client that never
 * completes its request is closed at the deadline — without any server: nothing here reaches the
 * link.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyFrontLimitsTest {
  @Test
  void overTheCapTheOldestUnfinishedRequestMakesRoomAndSilentOnesTimeOut() throws Exception {
    Client client =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", 9),
                X25519.generate().publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                16));
    ProxyFront front =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0),
            client,
            null,
            new ProxyFront.Limits(2, Duration.ofMillis(700)));
    try {
      InetSocketAddress a = front.start();
      try (Socket one = Io.connect(a);
          Socket two = Io.connect(a)) {
        one.getOutputStream().write(new byte[] {5, 1}); // half a SOCKS5 greeting, then silence
        Thread.sleep(200); // the front has seen it
        try (Socket three = Io.connect(a)) {
          // Over the cap: the oldest connection that has sent nothing (two) makes room for three.
          two.setSoTimeout(2000);
          assertThat(two.getInputStream().read())
              .as("the silent one, closed to make room")
              .isEqualTo(-1);
          three.setSoTimeout(300);
          try {
            three.getInputStream().read();
            throw new AssertionError("the new connection was closed");
          } catch (SocketTimeoutException expected) {
            // served (waiting for its request)
          }
          // Both run into the request deadline (700 ms here; shorter than the 3 s for silence).
          one.setSoTimeout(3000);
          long t0 = System.nanoTime();
          assertThat(one.getInputStream().read()).isEqualTo(-1);
          three.setSoTimeout(3000);
          assertThat(three.getInputStream().read()).isEqualTo(-1);
          assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        }
      }
    } finally {
      front.close();
      client.close();
    }
  }

  @Test
  void aClientTricklingItsRequestOneByteAtATimeIsClosedAtTheDeadline() throws Exception {
    // Slowloris: the deadline runs from accept, so bytes that keep arriving do not extend it.
    Client client =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", 9),
                X25519.generate().publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                16));
    ProxyFront front =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0),
            client,
            null,
            new ProxyFront.Limits(16, Duration.ofMillis(700)));
    try {
      InetSocketAddress a = front.start();
      try (Socket slow = Io.connect(a)) {
        byte[] request =
            "GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes();
        long t0 = System.nanoTime();
        java.util.concurrent.CompletableFuture<Long> closedAfter =
            new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    slow.getInputStream().readAllBytes(); // an error status line, or nothing
                  } catch (java.io.IOException reset) {
                    // a reset is a close, too
                  }
                  closedAfter.complete((System.nanoTime() - t0) / 1_000_000);
                });
        for (int i = 0; i < request.length && !closedAfter.isDone(); i++) {
          try {
            slow.getOutputStream().write(request[i]); // one byte every 150 ms
          } catch (java.io.IOException reset) {
            break;
          }
          Thread.sleep(150);
        }
        assertThat(closedAfter.get(5, TimeUnit.SECONDS))
            .as("ms until the front closed it")
            .isLessThan(2000L);
      }
    } finally {
      front.close();
      client.close();
    }
  }
}
