package dev.ett.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Goal of these tests: a failing or slow sink is counted and reported, never thrown at callers. */
class AuditWriterTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);

  private static AuditEvent.LinkUp event(long n) {
    return new AuditEvent.LinkUp(CLOCK.instant(), n, "c" + n, "f", "r", "s");
  }

  /** An output that fails with "No space left on device" while {@code full} is set. */
  private static final class Disk extends OutputStream {
    final AtomicBoolean full = new AtomicBoolean();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      if (full.get()) {
        throw new IOException("No space left on device");
      }
      bytes.write(b, off, len);
    }

    synchronized List<Map<String, Object>> lines() {
      return bytes.toString(StandardCharsets.UTF_8).lines().map(JsonLines::parse).toList();
    }
  }

  @Test
  void aFullDiskCountsLostEventsAndTheTrailSaysSoWhenItRecovers() throws Exception {
    Disk disk = new Disk();
    AtomicInteger opens = new AtomicInteger();
    AuditWriter w =
        new AuditWriter(
            "disk",
            () -> {
              opens.incrementAndGet();
              return disk;
            },
            100,
            CLOCK);
    try {
      w.record(event(1));
      assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
      disk.full.set(true);
      for (int i = 0; i < 5; i++) {
        w.record(event(100 + i)); // never throws
      }
      assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
      assertThat(w.failed()).isEqualTo(5);
      disk.full.set(false);
      w.record(event(2));
      assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
    } finally {
      w.close();
    }
    List<Map<String, Object>> lines = disk.lines();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).containsEntry("link", 1L);
    assertThat(lines.get(1))
        .containsEntry("event", "audit_gap")
        .containsEntry("dropped", 0L)
        .containsEntry("failed", 5L)
        .containsEntry("time", "2025-01-02T03:04:05Z");
    assertThat(lines.get(2)).containsEntry("link", 2L);
    assertThat(w.written()).isEqualTo(2);
    assertThat(opens.get()).as("the sink is reopened after a failure").isGreaterThan(1);
  }

  @Test
  void aStalledSinkDropsEventsBeyondTheQueueInsteadOfBlocking() throws Exception {
    Object gate = new Object();
    AtomicBoolean stalled = new AtomicBoolean(true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OutputStream slow =
        new OutputStream() {
          @Override
          public void write(int b) {
            out.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            synchronized (gate) {
              while (stalled.get()) {
                try {
                  gate.wait();
                } catch (InterruptedException e) {
                  throw new IOException(e);
                }
              }
            }
            out.write(b, off, len);
          }
        };
    AuditWriter w = new AuditWriter("slow", () -> slow, 10, CLOCK);
    try {
      long start = System.nanoTime();
      for (int i = 0; i < 1000; i++) {
        w.record(event(i));
      }
      assertThat(System.nanoTime() - start)
          .as("record never waits for the sink")
          .isLessThan(TimeUnit.SECONDS.toNanos(2));
      assertThat(w.dropped()).isGreaterThanOrEqualTo(1000 - 10 - 512);
      synchronized (gate) {
        stalled.set(false);
        gate.notifyAll();
      }
      w.record(event(-1));
      assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
    } finally {
      w.close();
    }
    List<Map<String, Object>> lines =
        out.toString(StandardCharsets.UTF_8).lines().map(JsonLines::parse).toList();
    // Gap lines may split the count (a drop can race the batch being written); together they
    // account for every dropped event.
    long inGaps =
        lines.stream()
            .filter(l -> "audit_gap".equals(l.get("event")))
            .mapToLong(l -> (Long) l.get("dropped"))
            .sum();
    assertThat(inGaps).isEqualTo(w.dropped());
  }

  @Test
  void reopenClosesTheSinkAndOpensItAgainBeforeTheNextWrite() throws Exception {
    AtomicInteger opens = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    AuditWriter w =
        new AuditWriter(
            "file",
            () -> {
              opens.incrementAndGet();
              return new ByteArrayOutputStream() {
                @Override
                public void close() {
                  closes.incrementAndGet();
                }
              };
            },
            10,
            CLOCK);
    w.record(event(1));
    assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
    w.reopen();
    w.record(event(2));
    assertThat(w.awaitWritten(5, TimeUnit.SECONDS)).isTrue();
    w.close();
    assertThat(opens.get()).isEqualTo(2);
    assertThat(closes.get()).isEqualTo(2);
  }
}
