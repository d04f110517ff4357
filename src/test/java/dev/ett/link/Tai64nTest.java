package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the timestamps a client puts in message 1 never repeat within one process, so
 * that two links starting in the same clock tick ({@code --links}) are not refused as replays.
 */
class Tai64nTest {
  @Test
  void timestampsInOneTickAreStrictlyIncreasing() {
    Instant tick = Instant.now().plusSeconds(3600); // later than anything next() gave so far
    byte[] a = Tai64n.encode(Tai64n.nextNanos(tick));
    byte[] b = Tai64n.encode(Tai64n.nextNanos(tick));
    byte[] c = Tai64n.encode(Tai64n.nextNanos(tick.minusSeconds(1))); // the clock stepped back
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
    Instant later = Instant.now().plusSeconds(7200);
    assertThat(Tai64n.nextNanos(later)).isEqualTo(later);
  }
}
