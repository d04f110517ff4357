package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: on a proxy port at its cap, connections that carry streams are never closed to
 * make room — only ones still without a complete request, silent ones first — and when every
 * connection carries a stream, a new one is closed at accept. A silent connection is closed after 3
 * s even when the request deadline is longer.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyFrontAdmissionTest {
  /** Requests handed off, their sockets held open as a stream would hold them. */
  private final List<FrontFuzzing.Open> handedOff = new CopyOnWriteArrayList<>();

  private ProxyFront front(Client client, ProxyFront.Limits limits) {
    return new ProxyFront(
        new ProxySpec("127.0.0.1", 0),
        client,
        (destination, socket, listener, zeroRtt) ->
            handedOff.add(new FrontFuzzing.Open(destination, listener, zeroRtt)),
        null,
        limits);
  }

  private static Client client() {
    return new Client(
        new Client.Options(
            new InetSocketAddress("127.0.0.1", 9),
            X25519.generate().publicKey(),
            X25519.generate(),
            Suite.AESGCM,
            LinkConfig.defaults(),
            16));
  }

  private static Socket connect(InetSocketAddress a) throws IOException {
    Socket s = new Socket();
    s.connect(a, 3000);
    return s;
  }

  private static void request(Socket s) throws IOException {
    s.getOutputStream().write(HexFormat.of().parseHex("050100" + "05010001" + "c0000201" + "0050"));
  }

  private static boolean openAfter(Socket s, int ms) throws IOException {
    s.setSoTimeout(ms);
    try {
      return s.getInputStream().read() != -1;
    } catch (SocketTimeoutException stillOpen) {
      return true;
    } catch (IOException reset) {
      return false;
    }
  }

  private void awaitHandedOff(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (handedOff.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(handedOff).hasSize(n);
  }

  @Test
  void connectionsCarryingStreamsAreNeverClosedToMakeRoom() throws Exception {
    Client client = client();
    ProxyFront front = front(client, new ProxyFront.Limits(2, Duration.ofSeconds(10)));
    try {
      InetSocketAddress a = front.start();
      try (Socket streaming = connect(a);
          Socket silent = connect(a)) {
        request(streaming);
        awaitHandedOff(1);
        try (Socket next = connect(a)) {
          assertThat(openAfter(silent, 2000)).as("the silent one made room").isFalse();
          request(next);
          awaitHandedOff(2);
          try (Socket over = connect(a)) {
            assertThat(openAfter(over, 2000))
                .as("nothing to make room: closed at accept")
                .isFalse();
          }
          assertThat(openAfter(streaming, 200)).isTrue();
          assertThat(openAfter(next, 200)).isTrue();
        }
      }
    } finally {
      front.close();
      client.close();
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterThreeSeconds() throws Exception {
    Client client = client();
    ProxyFront front = front(client, new ProxyFront.Limits(16, Duration.ofSeconds(10)));
    try {
      InetSocketAddress a = front.start();
      try (Socket silent = connect(a);
          Socket talking = connect(a)) {
        talking.getOutputStream().write(new byte[] {5}); // the start of a greeting
        long t0 = System.nanoTime();
        silent.setSoTimeout(6000);
        assertThat(silent.getInputStream().read()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0))
            .isBetween(Duration.ofMillis(2500), Duration.ofMillis(5000));
        assertThat(openAfter(talking, 100)).as("it spoke: the request deadline applies").isTrue();
      }
    } finally {
      front.close();
      client.close();
    }
  }
}
