package dev.ett.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the conn-tls figure measures what it says, i.e. every connection starts with a
 * genuine TLS ClientHello that the exit's parser accepts, and the load generator sends those bytes
 * ahead of its 100 and checks the echo of all of them.
 */
class ConnFirstBytesTest {
  @Test
  void theJdksClientHelloIsOneTlsRecordForBenchExample() throws Exception {
    byte[] hello =
        Bench.clientHello(); // throws unless FirstBytes matches it with SNI bench.example

    assertThat(hello[0]).as("TLS handshake record").isEqualTo((byte) 0x16);
    assertThat(hello[5]).as("ClientHello").isEqualTo((byte) 0x01);
    int recordLength = ((hello[3] & 0xff) << 8) | (hello[4] & 0xff);
    assertThat(hello).hasSize(5 + recordLength);
  }

  @Test
  void everyConnectionSendsTheFirstBytesAheadOfItsHundredAndReadsAllOfThemBack() throws Exception {
    byte[] first = Bench.clientHello();
    List<byte[]> starts = new CopyOnWriteArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread echo = new Thread(() -> echoAll(listener, first.length, starts), "echo");
      echo.setDaemon(true);
      echo.start();
      InetSocketAddress at =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());

      Load.ConnResult r = Load.connections(at, null, first, 2, 0, 300);

      assertThat(r.connections()).isPositive();
      assertThat(starts).isNotEmpty().allSatisfy(s -> assertThat(s).isEqualTo(first));
    }
  }

  /** Echoes every connection until the listener closes, noting each one's first {@code n} bytes. */
  private static void echoAll(ServerSocket listener, int n, List<byte[]> starts) {
    while (true) {
      try (Socket s = listener.accept()) {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] seen = new byte[n + 100];
        int got = 0;
        byte[] buf = new byte[4096];
        for (int r; (r = in.read(buf)) > 0; ) {
          System.arraycopy(buf, 0, seen, got, Math.min(r, seen.length - got));
          got = Math.min(seen.length, got + r);
          out.write(buf, 0, r);
        }
        starts.add(Arrays.copyOf(seen, n));
      } catch (IOException e) {
        if (listener.isClosed()) {
          return;
        }
      }
    }
  }
}
