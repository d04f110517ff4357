package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientLimitsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private void advanceMillis(long ms) {
    now.addAndGet(ms * 1_000_000L);
  }

  @Test
  void concurrentStreamsAreCountedUntilReleased() {
    ClientLimits l = new ClientLimits(new Limits(2, 0, 0), now::get);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.TOO_MANY_STREAMS);
    assertThat(l.describe(ClientLimits.Admission.TOO_MANY_STREAMS))
        .isEqualTo("client limit: 2 streams open (limit streams=2)");
    l.release();
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    assertThat(l.openStreams()).isEqualTo(2);
  }

  @Test
  void theRateAllowsABurstThenRefillsWithTime() {
    ClientLimits l = new ClientLimits(new Limits(0, 2, 3), now::get);
    for (int i = 0; i < 3; i++) {
      assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    }
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.RATE_EXCEEDED);
    advanceMillis(499);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.RATE_EXCEEDED);
    advanceMillis(1);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    advanceMillis(60_000); // a long quiet spell refills only up to the burst
    for (int i = 0; i < 3; i++) {
      assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    }
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.RATE_EXCEEDED);
  }

  @Test
  void aRefusedStreamTakesNoSlotAndNoToken() {
    ClientLimits l = new ClientLimits(new Limits(1, 1, 0), now::get);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.ADMITTED);
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.TOO_MANY_STREAMS);
    l.release();
    assertThat(l.openStreams()).isZero();
    assertThatThrownBy(l::release).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void newLimitsApplyToTheNextStream() {
    ClientLimits l = new ClientLimits(Limits.UNLIMITED, now::get);
    for (int i = 0; i < 10; i++) {
      l.tryOpen();
    }
    l.setLimits(new Limits(5, 0, 0));
    assertThat(l.tryOpen()).isEqualTo(ClientLimits.Admission.TOO_MANY_STREAMS);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          streams=5 rate=2      | 5  | 2  | -1 | 2
          rate=10               | -1 | 10 | -1 | 10
          burst=4 streams=0     | 0  | -1 | 4  | 4
          """)
  void limitWordsParse(String words, int streams, int rate, int burst, int effectiveBurst) {
    Limits l = Limits.parse(List.of(words.split(" ")));
    assertThat(l).isEqualTo(new Limits(streams, rate, burst, Limits.INHERIT));
    assertThat(l.over(Limits.UNLIMITED).effectiveBurst())
        .isEqualTo(effectiveBurst == -1 ? 1 : effectiveBurst);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          speed=3   | limit 'speed=3': unknown name 'speed' (expected: streams, rate, burst or bandwidth)
          rate=-1   | limit 'rate=-1': value '-1' (expected: 0 (no limit) ~ 999999999)
          rate=     | limit 'rate=': value '' (expected: 0 (no limit) ~ 999999999)
          """)
  void badLimitWordsSayWhatWasExpected(String word, String message) {
    assertThatThrownBy(() -> Limits.parse(List.of(word))).hasMessage(message);
  }

  @Test
  void clientLimitsOverrideTheServersFieldByField() {
    Limits server = new Limits(100, 10, 0);
    assertThat(Limits.parse(List.of("rate=1")).over(server)).isEqualTo(new Limits(100, 1, 0));
    assertThat(Limits.INHERIT_ALL.over(server)).isEqualTo(server);
  }
}
