package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.HandshakeRejection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: rejected handshakes reach the log at most once a minute, as counts by cause
 * with the address of the last one, so that a flood shows without flooding the log.
 */
class RejectionLogTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void theFirstRejectionIsLoggedAtOnceWithItsCauseAndAddress() {
    RejectionLog log = new RejectionLog();
    RejectionLog.Line line =
        log.record(HandshakeRejection.UNKNOWN_KEY, "192.0.2.1:4242", 5 * SECOND);
    assertThat(line).isNotNull();
    assertThat(line.text())
        .isEqualTo("rejected handshakes: 1 unknown client key; last from 192.0.2.1:4242");
    assertThat(line.capReached()).isFalse();
  }

  @Test
  void furtherRejectionsWithinAMinuteAreCountedAndLoggedTogether() {
    long t0 = 1000 * SECOND; // any origin: System.nanoTime() may be negative, too
    RejectionLog log = new RejectionLog();
    assertThat(log.record(HandshakeRejection.GARBAGE, "192.0.2.1:1", t0)).isNotNull();
    for (int i = 0; i < 300; i++) {
      assertThat(log.record(HandshakeRejection.SOURCE_SHARE, "192.0.2.2:" + i, t0 + SECOND))
          .isNull();
    }
    assertThat(log.record(HandshakeRejection.SILENT, "192.0.2.2:9", t0 + 2 * SECOND)).isNull();
    assertThat(log.record(HandshakeRejection.SILENT, "192.0.2.3:7", t0 + 3 * SECOND)).isNull();
    assertThat(log.flush(t0 + 59 * SECOND)).as("not a minute yet").isNull();

    RejectionLog.Line line = log.flush(t0 + 60 * SECOND);
    assertThat(line.text())
        .isEqualTo(
            "rejected handshakes in the last 60 s: 300 over one source's share of --max-handshakes,"
                + " 2 no preamble within 3 s; last from 192.0.2.3:7");
    assertThat(line.capReached()).isTrue();
    assertThat(log.flush(t0 + 200 * SECOND)).as("counted once").isNull();
    assertThat(log.record(HandshakeRejection.REPLAY, "192.0.2.4:1", t0 + 200 * SECOND).text())
        .isEqualTo(
            "rejected handshakes in the last 140 s: 1 replayed or old message 1; last from 192.0.2.4:1");
  }
}
