package dev.ett.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the environment systemd hands a service is read as sd_notify(3) describes,
 * and the messages are single datagrams of KEY=VALUE lines that no status text can add to.
 */
class SdNotifyTest {
  private static final long PID = 4242;

  @Test
  void withoutNotifySocketThereIsNothingToTell() {
    assertThat(SdNotify.fromEnvironment(Map.of(), PID)).isEmpty();
    assertThat(SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", ""), PID)).isEmpty();
    assertThat(SdNotify.fromEnvironment(Map.of("WATCHDOG_USEC", "1000000"), PID)).isEmpty();
  }

  @Test
  void aPathIsUsedAsItIs() {
    SdNotify n =
        SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/run/systemd/notify"), PID).orElseThrow();
    assertThat(n.address()).isEqualTo("/run/systemd/notify");
    assertThat(n.watchdogEnabled()).isFalse();
  }

  @Test
  void anAbstractSocketsAtSignStandsForTheNulByte() {
    SdNotify n =
        SdNotify.fromEnvironment(
                Map.of("NOTIFY_SOCKET", "@/org/freedesktop/systemd1/notify/1"), PID)
            .orElseThrow();
    assertThat(n.address()).isEqualTo("\0/org/freedesktop/systemd1/notify/1");
  }

  @Test
  void aRelativePathVsockOrBareAtSignIsRefusedNamingTheValue() {
    for (String bad : new String[] {"notify", "vsock:2:1234", "@"}) {
      assertThatThrownBy(() -> SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", bad), PID))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "NOTIFY_SOCKET: " + bad + " (expected: an absolute path or an @abstract name)");
    }
  }

  @Test
  void aPathLongerThanSunPathIsRefused() {
    String longPath = "/" + "x".repeat(107);
    assertThatThrownBy(() -> SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", longPath), PID))
        .hasMessage("NOTIFY_SOCKET: 108 bytes long (expected: at most 107)");
  }

  @Test
  void theWatchdogPingsAtHalfItsTimeout() {
    SdNotify n =
        SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "400000"), PID)
            .orElseThrow();
    assertThat(n.watchdog()).isEqualTo(Duration.ofMillis(400));
    assertThat(n.pingInterval()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aWatchdogForOurPidIsOursAndOneForAnotherPidIsNot() {
    Map<String, String> ours =
        Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "4242");
    assertThat(SdNotify.fromEnvironment(ours, PID).orElseThrow().watchdogEnabled()).isTrue();
    Map<String, String> theirs =
        Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "1");
    SdNotify n = SdNotify.fromEnvironment(theirs, PID).orElseThrow();
    assertThat(n.watchdogEnabled()).isFalse();
    assertThat(n.address()).as("readiness is still ours to report").isEqualTo("/n");
  }

  @Test
  void aMalformedWatchdogVariableIsRefusedNamingIt() {
    assertThatThrownBy(
            () ->
                SdNotify.fromEnvironment(
                    Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "30s"), PID))
        .hasMessage("WATCHDOG_USEC: 30s (expected: a positive number of microseconds)");
    assertThatThrownBy(
            () ->
                SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "0"), PID))
        .hasMessage("WATCHDOG_USEC: 0 (expected: a positive number of microseconds)");
    assertThatThrownBy(
            () ->
                SdNotify.fromEnvironment(
                    Map.of("NOTIFY_SOCKET", "/n", "WATCHDOG_USEC", "1", "WATCHDOG_PID", "me"), PID))
        .hasMessage("WATCHDOG_PID: me (expected: a process id)");
  }

  @Test
  void messagesAreKeyValueLines() {
    assertThat(SdNotify.ready("listening on 127.0.0.1:7000", 99))
        .isEqualTo("READY=1\nSTATUS=listening on 127.0.0.1:7000\nMAINPID=99");
    assertThat(SdNotify.reloading(123456789, "reloading (SIGHUP)"))
        .isEqualTo("RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading (SIGHUP)");
    assertThat(SdNotify.stopping("draining")).isEqualTo("STOPPING=1\nSTATUS=draining");
    assertThat(SdNotify.status("link up")).isEqualTo("STATUS=link up");
    assertThat(SdNotify.WATCHDOG).isEqualTo("WATCHDOG=1");
  }

  @Test
  void aStatusCannotAddAnAssignment() {
    assertThat(SdNotify.status("bad\nREADY=1\r\u2028x")).isEqualTo("STATUS=bad READY=1  x");
  }

  @Test
  void monotonicTimeIsInMicroseconds() {
    assertThat(SdNotify.monotonicUsec(5_000_123_999L)).isEqualTo(5_000_123L);
  }
}
