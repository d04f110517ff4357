package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.policy.Limits;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: a client over its concurrent-stream or new-streams-per-second limit gets its
 * stream refused with a code and reason that say which, the audit trail says so too, and the slot
 * comes back when a stream ends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsEndToEndTest {

  @Test
  void theServersDefaultConcurrentStreamLimitRefusesTheNextStreamUntilOneEnds(@TempDir Path dir)
      throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      int port = echo.address().getPort();
      t.writeAuthorized("alice");
      t.startServer(List.of("accept 127.0.0.1:" + port), new Limits(2, 0, 0));
      t.awaitLink("alice");
      AnyForward f = t.front("alice", Destination.ofName("127.0.0.1", port));
      try (Socket one = Io.connect(f.address);
          Socket two = Io.connect(f.address)) {
        for (Socket s : List.of(one, two)) {
          s.getOutputStream().write("ping".getBytes());
          assertThat(Io.readFully(s.getInputStream(), 4)).isEqualTo("ping".getBytes());
        }
        f.assertRefused(RefuseCode.TOO_MANY_STREAMS);
        Map<String, Object> refused = t.nthEvent("stream_refused", 0);
        assertThat(refused)
            .containsEntry("end", "limit")
            .containsEntry("code", "TOO_MANY_STREAMS")
            .containsEntry("resolved", null);
        assertThat(refused.get("reason"))
            .isEqualTo("client limit: 2 streams open (limit streams=2)");
        one.close();
        t.nthEvent("stream_closed", 0);
      }
      f.assertEchoes();
    }
  }

  @Test
  void aClientsOwnRateLimitRefusesStreamsBeyondItsBurst(@TempDir Path dir) throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      int port = echo.address().getPort();
      t.writeAuthorized("carol rate=1 burst=2", "dave");
      t.startServer(List.of("accept 127.0.0.1:" + port), new Limits(0, 100, 0));
      t.awaitLink("carol");
      t.awaitLink("dave");
      AnyForward carol = t.front("carol", Destination.ofName("127.0.0.1", port));
      carol.assertEchoes();
      carol.assertEchoes();
      carol.assertRefused(RefuseCode.GENERAL);
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat(refused)
          .containsEntry("client", "carol")
          .containsEntry("end", "limit")
          .containsEntry("code", "GENERAL");
      assertThat((String) refused.get("reason")).contains("more than 1 new streams per second");
      // dave has the server's default (100/s): the same three streams go through.
      AnyForward dave = t.front("dave", Destination.ofName("127.0.0.1", port));
      for (int i = 0; i < 3; i++) {
        dave.assertEchoes();
      }
      // A second later carol has a token again.
      PolicyTunnel.sleep(java.time.Duration.ofMillis(1100));
      carol.assertEchoes();
    }
  }

  @Test
  void aBandwidthCapSlowsTheClientInBothDirectionsWithoutLosingAByte(@TempDir Path dir)
      throws Exception {
    // 1 MiB/s for erin (one second's worth may go at once); 4 MiB each way must take >= ~2.5 s
    // in total, and arrive whole. frank, with no cap, moves the same at full speed meanwhile.
    try (TestTarget sink =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.SINK);
        TestTarget source =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.SOURCE);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      t.writeAuthorized("erin bandwidth=1m", "frank");
      t.startServer(
          List.of(
              "accept 127.0.0.1:" + sink.address().getPort(),
              "accept 127.0.0.1:" + source.address().getPort()),
          new Limits(0, 0, 0));
      t.awaitLink("erin");
      t.awaitLink("frank");
      AnyForward up = t.front("erin", Destination.ofName("127.0.0.1", sink.address().getPort()));
      AnyForward down =
          t.front("erin", Destination.ofName("127.0.0.1", source.address().getPort()));
      AnyForward free =
          t.front("frank", Destination.ofName("127.0.0.1", source.address().getPort()));

      long t0 = System.nanoTime();
      try (Socket s = Io.connect(up.address)) {
        String sent = Io.pushRandom(s, 2L << 20, 3);
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
      try (Socket s = Io.connect(down.address)) {
        assertThat(Io.pullPattern(s, 2L << 20)).isEqualTo(2L << 20);
      }
      double capped = (System.nanoTime() - t0) / 1e9;

      long t1 = System.nanoTime();
      try (Socket s = Io.connect(free.address)) {
        assertThat(Io.pullPattern(s, 4L << 20)).isEqualTo(4L << 20);
      }
      double uncapped = (System.nanoTime() - t1) / 1e9;

      // 4 MiB at 1 MiB/s with a 1 MiB bucket: at least ~3 s, allow scheduling slack below.
      assertThat(capped).as("seconds for 4 MiB at 1 MiB/s").isGreaterThan(2.5);
      assertThat(uncapped).as("seconds for 4 MiB uncapped").isLessThan(capped / 2);
    }
  }
}
