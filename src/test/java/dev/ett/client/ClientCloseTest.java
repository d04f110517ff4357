package dev.ett.client;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
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
    KeyPair serverKey = X25519.generate();
    InetSocketAddress nobody;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      nobody = (InetSocketAddress) s.getLocalSocketAddress(); // closed again: nothing listens
    }
    Client client =
        new Client(
            new Client.Options(
                nobody,
                serverKey.publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                8));
    client.start();
    client.close();
    assertThatCode(client::close).doesNotThrowAnyException();
  }

  @Test
  void aClientNeverStartedClosesTwiceToo() {
    Client client =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", 9),
                X25519.generate().publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                8));
    client.close();
    assertThatCode(client::close).doesNotThrowAnyException();
  }
}
