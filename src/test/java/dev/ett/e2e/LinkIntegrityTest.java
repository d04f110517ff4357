package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: an attacker on the wire can break a link but never feed a changed byte to an
 * application, and cannot replay a client's handshake.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkIntegrityTest {

  @Test
  void oneFlippedBitTearsTheLinkDownWithoutDeliveringACorruptedByte() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SOURCE)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (TamperingProxy proxy = new TamperingProxy(t.serverAddress)) {
        t.front.close();
        t.client.close();
        t.startClient(t.clientKey, t.serverKey.publicKey(), proxy.address());
        t.awaitLink(Duration.ofSeconds(10));
        proxy.flipServerToClientAt = 200_000; // well past the handshake, inside DATA
        long size = 20L << 20;
        long got;
        try (Socket s = Io.connect(t.forward)) {
          got = Io.pullPattern(s, size); // throws AssertionError on any changed byte
        } catch (SocketException reset) {
          got = -1;
        }
        assertThat(got).as("the stream must end early, by a reset or EOF").isNotEqualTo(size);
      }
    }
  }

  @Test
  void replayedFirstMessageIsRefusedSilently() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      try (TamperingProxy proxy = new TamperingProxy(t.serverAddress)) {
        t.front.close();
        t.client.close();
        t.startClient(t.clientKey, t.serverKey.publicKey(), proxy.address());
        t.awaitLink(Duration.ofSeconds(10));
        byte[] sent = proxy.clientBytes();
        int msg1Length = ((sent[8] & 0xff) << 8) | (sent[9] & 0xff);
        byte[] initiation = Arrays.copyOf(sent, 8 + 2 + msg1Length);

        try (Socket replay = Io.connect(t.serverAddress)) {
          replay.setSoTimeout(5_000);
          replay.getOutputStream().write(initiation);
          InputStream in = replay.getInputStream();
          int r;
          try {
            r = in.read();
          } catch (SocketException reset) {
            r = -1;
          }
          assertThat(r).as("the server closes without a byte of reply").isEqualTo(-1);
        }
        TunnelEndToEndTest.assertEchoes(t); // the genuine link is unharmed
      }
    }
  }
}
