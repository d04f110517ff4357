package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the timestamps a client puts in message 1 never repeat within one process, so
 * that two links starting in the same clock tick ({@code --links}) are not refused as replays.
 */
class Tai64nTest {
  @Test
  void timestampsInOneTickAreStrictlyIncreasing() {
    AtomicLong last = new AtomicLong(); // not the process's: see Tai64n.nextNanos
    Instant tick = Instant.now();
    byte[] a = Tai64n.encode(Tai64n.nextNanos(last, tick));
    byte[] b = Tai64n.encode(Tai64n.nextNanos(last, tick));
    byte[] c =
        Tai64n.encode(Tai64n.nextNanos(last, tick.minusSeconds(1))); // the clock stepped back
    assertThat(Tai64n.compare(b, a)).isPositive();
    assertThat(Tai64n.compare(c, b)).isPositive();
  }

  @Test
  void manyTimestampsInARowNeverRepeat() {
    byte[] prev = Tai64n.next();
    for (int i = 0; i < 10_000; i++) {
      byte[] t = Tai64n.next();
      assertThat(Tai64n.compare(t, prev)).isPositive();
      prev = t;
    }
  }

  @Test
  void aTimestampIsTheClockWhenTheClockMovedOn() {
    AtomicLong last = new AtomicLong();
    Tai64n.nextNanos(last, Instant.now());
    Instant later = Instant.now().plusSeconds(7200);
    assertThat(Tai64n.nextNanos(last, later)).isEqualTo(later);
  }
}
