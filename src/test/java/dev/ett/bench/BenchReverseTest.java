package dev.ett.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the -R figure judges -R against -L as issue 13 states it (within 10 %), and a
 * connection that ends empty, as the open -R bug makes some, is counted instead of ending the run.
 */
class BenchReverseTest {
  @Test
  void reverseWithinTenPercentOfForwardPassesAndJustBelowMisses() {
    Bench.Reverse f = new Bench.Reverse();
    f.bulkL = 1000;
    f.bulkR = 900;
    f.connL = 4000;
    f.connR = 3590;
    var t = Bench.reverseTargets(f);
    assertThat(t.get(0).verdict()).isEqualTo("PASS");
    assertThat(t.get(0).ssh()).isEqualTo("1000 -L");
    assertThat(t.get(1).verdict()).isEqualTo("MISS");
    assertThat(t.get(1).ratio()).isEqualTo("0.90x"); // 0.8975, shown rounded, still a miss
  }

  @Test
  void reverseNotMeasuredSaysWhichFigureWouldMeasureIt() {
    var t = Bench.reverseTargets(new Bench.Reverse());
    assertThat(t).hasSize(2);
    assertThat(t.get(0).verdict()).isEqualTo("n/a (--only reverse)");
  }

  @Test
  void roundsSwapTheOrderOfEachPairEveryOtherRound() {
    assertThat(Bench.roundOrder(0, 2, 2)).containsExactly(0, 1, 2, 3);
    assertThat(Bench.roundOrder(1, 2, 2)).containsExactly(1, 0, 3, 2);
    assertThat(Bench.roundOrder(1, 2, 1)).containsExactly(1, 0, 2);
  }

  @Test
  void connectionsThatEndEmptyAreCountedAndTheOthersStillMeasured() throws Exception {
    // Every other accepted connection is closed at once (a clean EOF before any byte, what the
    // connecting application sees of the -R bug); the others are echoed.
    try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                int n = 0;
                while (!ss.isClosed()) {
                  try (Socket s = ss.accept()) {
                    if (n++ % 2 == 1) {
                      continue;
                    }
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    out.write(in.readNBytes(100));
                    out.flush();
                  } catch (IOException e) {
                    return; // closed at the end of the test
                  }
                }
              },
              "half-empty-echo");
      t.setDaemon(true);
      t.start();
      Load.Failures lost = new Load.Failures();
      Load.ConnResult r =
          Load.connections(
              new InetSocketAddress(ss.getInetAddress(), ss.getLocalPort()),
              null,
              new byte[0],
              1,
              0,
              300,
              lost);
      assertThat(r.connections()).isPositive();
      assertThat(lost.empty.sum()).isPositive();
      assertThat(lost.broken.sum()).isZero();
    }
  }
}
