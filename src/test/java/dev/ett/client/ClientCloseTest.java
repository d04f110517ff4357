package dev.ett.client;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal: closing a client is idempotent. A front, a shutdown hook and a test's clean-up may each
 * close the same client; the second close threw RejectedExecutionException (its event loop was
 * already shut down), which turned a clean exit into a stack trace.
 */
@Timeout(30)
class ClientCloseTest {
  @Test
  void closingAClientTwiceIsQuietTheSecondTime() throws Exception {
    InetSocketAddress nobody;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = (InetSocketAddress) s.getLocalSocketAddress(); // closed again: nothing listens
    }
    Client client = clientOf(nobody);
    client.start();
    client.close();
    assertThatCode(client::close).doesNotThrowAnyException();
  }

  @Test
  void aClientNeverStartedClosesTwiceToo() {
    Client client = clientOf(new InetSocketAddress("127.0.0.1", 9));
    client.close();
    assertThatCode(client::close).doesNotThrowAnyException();
  }

  private static Client clientOf(InetSocketAddress server) {
    return new Client(
        new Client.Options(
            server,
            X25519.generate().publicKey(),
            X25519.generate(),
            Suite.AESGCM,
            LinkConfig.defaults(),
            8));
  }
}
