package dev.ett.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Goal of this test: the per-stream window accounting of PROTOCOL.md §6, without Netty. */
class WindowCounterTest {
  @Test
  void receivingMoreThanTheWindowIsRefused() {
    WindowCounter w = new WindowCounter(100);
    assertThat(w.onReceived(60)).isTrue();
    assertThat(w.onReceived(40)).isTrue();
    assertThat(w.onReceived(1)).isFalse();
    assertThat(w.available()).isZero();
  }

  @Test
  void creditGoesBackOnceHalfTheWindowWasConsumed() {
    WindowCounter w = new WindowCounter(100);
    w.onReceived(100);
    assertThat(w.onConsumed(49)).isZero();
    assertThat(w.onConsumed(1)).isEqualTo(50);
    assertThat(w.available()).isEqualTo(50);
    assertThat(w.onConsumed(50)).isEqualTo(50);
    assertThat(w.available()).isEqualTo(100);
  }

  @Test
  void consumingMoreThanWasReceivedIsOurBug() {
    WindowCounter w = new WindowCounter(100);
    w.onReceived(10);
    assertThatThrownBy(() -> w.onConsumed(11)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void negativeReceiveIsRefused() {
    assertThat(new WindowCounter(100).onReceived(-1)).isFalse();
  }

  @Test
  void sendWindowGrowsWithUpdatesAndRefusesOverflow() {
    SendWindow s = new SendWindow(10);
    s.consume(10);
    assertThat(s.available()).isZero();
    assertThat(s.onWindowUpdate(5)).isTrue();
    assertThat(s.available()).isEqualTo(5);
    assertThat(s.onWindowUpdate(Integer.MAX_VALUE - 5)).isTrue();
    assertThat(s.onWindowUpdate(1)).as("past 2^31-1").isFalse();
    assertThat(s.onWindowUpdate(0)).isFalse();
  }

  @Test
  void sendingPastTheCreditIsOurBug() {
    SendWindow s = new SendWindow(10);
    assertThatThrownBy(() -> s.consume(11)).isInstanceOf(IllegalStateException.class);
  }
}
