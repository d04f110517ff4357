package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class MetricsReadingTest {

  /**
   * The CI failure this guards: ett_links (read from the links) said 0 while ett_client_links
   * (derived from an older reading, cached on its own clock) still said 1, in the same scrape.
   */
  @Test
  void aSeriesDerivedFromAReadingAlwaysAgreesWithTheReadingItCameFrom() {
    AtomicInteger links = new AtomicInteger(1);
    AtomicLong clock = new AtomicLong(); // nanoseconds, moved by the test: no sleeps to overrun
    Metrics.Reading<Integer> now = new Metrics.Reading<>(links::get, clock::get);
    AtomicInteger derivations = new AtomicInteger();
    Supplier<String> perClient =
        now.map(
            n -> {
              derivations.incrementAndGet();
              return "client0=" + n;
            });

    long half = Metrics.READING_AGE.toNanos() / 2 + 1;
    assertThat(now.get()).isEqualTo(1); // a scrape reads the links ...
    clock.addAndGet(half);
    assertThat(perClient.get()).isEqualTo("client0=1"); // ... and derives from them a bit later
    links.set(0); // the link goes
    clock.addAndGet(half); // the reading of the links is stale now, the derived one would not be
    assertThat(now.get()).isZero(); // the next scrape reads the links afresh ...
    assertThat(perClient.get()).isEqualTo("client0=0"); // ... and the derived series follows
    assertThat(perClient.get()).isEqualTo("client0=0");
    assertThat(derivations).hasValue(2); // derived once per reading, not once per series
  }
}
