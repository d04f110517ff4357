package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import dev.ett.testing.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: a client whose handshake fails says what it saw — no answer in time, the
 * connection closed, a name that does not resolve — and that it will retry, instead of guessing
 * that a key is wrong.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientHandshakeErrorsTest {
  private static final LinkConfig FAST =
      LinkConfig.defaults().withHandshakeTimeout(Duration.ofSeconds(1));

  private static Client client(InetSocketAddress server) {
    return new Client(
        new Client.Options(
            server, X25519.generate().publicKey(), X25519.generate(), Suite.AESGCM, FAST, 16));
  }

  private static String firstFailure(Client c) throws InterruptedException {
    c.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (c.lastFailure().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no failure reported");
      }
      Thread.sleep(20);
    }
    return c.lastFailure();
  }

  /** A listener that accepts and then does {@code what} with each connection. */
  private static ServerSocket listener(SocketAction what) throws IOException {
    ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    List<Socket> held = new CopyOnWriteArrayList<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                while (true) {
                  Socket s = ss.accept();
                  held.add(s);
                  Thread.ofVirtual().start(() -> what.on(s));
                }
              } catch (IOException closed) {
                held.forEach(ClientHandshakeErrorsTest::closeQuietly);
              }
            });
    return ss;
  }

  interface SocketAction {
    void on(Socket s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersIsReportedAsSuch() throws Exception {
    try (ServerSocket silent = listener(s -> {});
        Client c =
            client(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()))) {
      assertThat(firstFailure(c)).isEqualTo("handshake failed: no handshake answer within 1 s");
    }
  }

  @Test
  void aServerThatClosesTheConnectionIsReportedAsSuchWithoutBlamingAKey() throws Exception {
    try (ServerSocket closing =
            listener(
                s -> {
                  try {
                    s.getInputStream().readNBytes(8 + 2 + 112); // preamble and message 1
                  } catch (IOException e) {
                    // closed anyway
                  }
                  closeQuietly(s);
                });
        Client c =
            client(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), closing.getLocalPort()))) {
      assertThat(firstFailure(c))
          .startsWith("handshake failed: connection closed before the handshake finished")
          .doesNotContain("key");
    }
  }

  @Test
  void aServerNameThatDoesNotResolveIsSaidSoWithTheRetry() throws Exception {
    try (LogCapture log = new LogCapture();
        Client c = client(InetSocketAddress.createUnresolved("nosuchhost.invalid", 7000))) {
      assertThat(firstFailure(c)).isEqualTo("cannot resolve nosuchhost.invalid");
      String line = log.await(l -> l.contains("nosuchhost.invalid"), Duration.ofSeconds(5));
      assertThat(line)
          .matches(".* cannot resolve nosuchhost\\.invalid \\(retrying in [0-9.]+ s\\)")
          .doesNotContain("unresolved");
    }
  }
}
