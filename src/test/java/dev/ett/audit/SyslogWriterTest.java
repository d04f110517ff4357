package dev.ett.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: an {@link AuditWriter} to a syslog collector (a scripted one on loopback)
 * holds its events while the collector is down and delivers them in order once it is up, moves to a
 * new connection when the collector hangs up instead of writing into the dead one, and when its
 * queue overflows reports exactly how many events it dropped with an {@code audit_gap} first.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SyslogWriterTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);

  private static AuditEvent.LinkUp event(long n) {
    return new AuditEvent.LinkUp(CLOCK.instant(), n, "c" + n, "f", "r", "s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static AuditWriter writer(int port, int capacity) throws IOException {
    SyslogTarget target = new SyslogTarget("127.0.0.1", port, false, null);
    return new AuditWriter(
        target.toString(),
        () -> target.connect(null),
        new SyslogFormat("local0", "h", 1),
        capacity,
        CLOCK);
  }

  private static ServerSocket collector(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return s;
  }

  /** Reads one octet-counted frame and returns its JSON (MSG), or null at the end of the stream. */
  private static Map<String, Object> frame(InputStream in) throws IOException {
    StringBuilder len = new StringBuilder();
    for (int b; (b = in.read()) != ' '; ) {
      if (b < 0) {
        return null;
      }
      len.append((char) b);
    }
    byte[] body = in.readNBytes(Integer.parseInt(len.toString()));
    String msg = new String(body, StandardCharsets.UTF_8);
    return JsonLines.parse(msg.substring(msg.indexOf(" - {") + 3));
  }

  private static List<Map<String, Object>> frames(InputStream in, int n) throws IOException {
    List<Map<String, Object>> got = new ArrayList<>();
    while (got.size() < n) {
      Map<String, Object> f = frame(in);
      if (f == null) {
        break;
      }
      got.add(f);
    }
    return got;
  }

  @Test
  void eventsWaitForACollectorThatIsDownAndArriveInOrderWhenItIsUp() throws Exception {
    int port = freePort();
    AuditWriter w = writer(port, 100);
    try {
      for (int i = 0; i < 5; i++) {
        w.record(event(i));
      }
      Thread.sleep(300); // a few refused connections
      try (ServerSocket c = collector(port);
          Socket s = c.accept()) {
        assertThat(frames(s.getInputStream(), 5))
            .extracting(f -> ((Number) f.get("link")).longValue())
            .containsExactly(0L, 1L, 2L, 3L, 4L);
      }
      assertThat(w.failed()).isZero();
      assertThat(w.dropped()).isZero();
    } finally {
      w.close();
    }
  }

  @Test
  void aCollectorThatHangsUpIsReconnectedToBeforeTheNextWrite() throws Exception {
    int port = freePort();
    AuditWriter w = writer(port, 100);
    try (ServerSocket c = collector(port)) {
      w.record(event(1));
      try (Socket first = c.accept()) {
        assertThat(frames(first.getInputStream(), 1)).hasSize(1);
      } // the collector closes: a FIN the writer sees before its next write
      Thread.sleep(200);
      w.record(event(2));
      w.record(event(3));
      try (Socket second = c.accept()) {
        assertThat(frames(second.getInputStream(), 2))
            .extracting(f -> f.get("event") + " " + f.get("link"))
            .containsExactly("link_up 2", "link_up 3");
      }
      assertThat(w.failed()).isZero();
    } finally {
      w.close();
    }
  }

  @Test
  void eventsBeyondTheQueueWhileDownAreCountedAndReportedByAGap() throws Exception {
    int port = freePort();
    AuditWriter w = writer(port, 4);
    try {
      for (int i = 0; i < 20; i++) {
        w.record(event(i));
        Thread.sleep(5);
      }
      long dropped = w.dropped();
      assertThat(dropped).as("dropped while down").isPositive();
      try (ServerSocket c = collector(port);
          Socket s = c.accept()) {
        List<Map<String, Object>> got = frames(s.getInputStream(), (int) (20 - dropped) + 1);
        List<Map<String, Object>> gaps =
            got.stream().filter(f -> "audit_gap".equals(f.get("event"))).toList();
        assertThat(gaps).hasSize(1);
        assertThat(((Number) gaps.get(0).get("dropped")).longValue()).isEqualTo(dropped);
        assertThat(((Number) gaps.get(0).get("failed")).longValue()).isZero();
        List<Long> links =
            got.stream()
                .filter(f -> "link_up".equals(f.get("event")))
                .map(f -> ((Number) f.get("link")).longValue())
                .toList();
        assertThat(links).hasSize((int) (20 - dropped)).isSorted();
      }
    } finally {
      w.close();
    }
  }
}
