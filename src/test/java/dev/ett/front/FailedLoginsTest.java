package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Goal of this test: failed logins make one line, then one summary a minute with counts. */
class FailedLoginsTest {
  @Test
  void theFirstFailureIsLoggedAndTheRestAreCountedByAddress() {
    FailedLogins log = new FailedLogins("-D 127.0.0.1:1080");
    assertThat(log.onFailure("127.0.0.1"))
        .startsWith("-D 127.0.0.1:1080: failed login from 127.0.0.1 (");
    for (int i = 0; i < 26_044; i++) {
      assertThat(log.onFailure("127.0.0.1")).isNull();
    }
    for (int i = 0; i < 3; i++) {
      assertThat(log.onFailure("10.0.0." + i)).isNull();
    }
    assertThat(log.onFailure("10.0.0.1")).isNull();
    assertThat(log.endOfWindow())
        .isEqualTo(
            "-D 127.0.0.1:1080: 26048 more failed logins in the last minute, from 127.0.0.1 (26044),"
                + " 10.0.0.1 (2), 10.0.0.0 (1), 10.0.0.2 (1)");
    // Still coming: the window stays open, and the next minute gets its own line.
    assertThat(log.onFailure("127.0.0.1")).isNull();
    assertThat(log.endOfWindow())
        .endsWith(": 1 more failed login in the last minute, from 127.0.0.1 (1)");
    // A quiet minute closes the window: the next failure is logged at once again.
    assertThat(log.endOfWindow()).isNull();
    assertThat(log.onFailure("127.0.0.1")).contains("failed login from 127.0.0.1");
  }

  @Test
  void aSummaryNamesTheBusiestAddressesAndSumsTheRest() {
    FailedLogins log = new FailedLogins("-D x");
    log.onFailure("first");
    for (int i = 0; i < FailedLogins.MAX_SOURCES + 50; i++) {
      log.onFailure("10.0." + (i >> 8) + "." + (i & 0xff));
      log.onFailure("10.0.0.7");
    }
    String summary = log.endOfWindow();
    assertThat(summary)
        .startsWith(
            "-D x: "
                + 2 * (FailedLogins.MAX_SOURCES + 50)
                + " more failed logins in the last minute, from 10.0.0.7 (");
    assertThat(summary.split(", "))
        .as("the count, then the addresses")
        .hasSize(1 + FailedLogins.NAMED);
    assertThat(summary)
        .endsWith(
            " and other addresses ("
                + (FailedLogins.MAX_SOURCES + 50 - (FailedLogins.NAMED - 1) - 1)
                + ")");
  }
}
