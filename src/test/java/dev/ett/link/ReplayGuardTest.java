package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the replay rule of PROTOCOL.md §4 "Replays" — a recorded message 1 is refused
 * within a server process, and several handshakes under one client key that start at (about) the
 * same instant are all accepted.
 */
class ReplayGuardTest {
  private final ReplayGuard guard = new ReplayGuard();
  private final byte[] alice = key(1);
  private final byte[] bob = key(2);

  private static byte[] key(int n) {
    byte[] k = new byte[32];
    k[0] = (byte) n;
    k[31] = (byte) (n >> 8);
    return k;
  }

  private static byte[] at(long seconds, int nanos) {
    return Tai64n.encode(Instant.ofEpochSecond(seconds, nanos));
  }

  @Test
  void twoHandshakesUnderOneKeyWithTheSameTimestampAreBothAccepted() {
    byte[] t = at(1000, 0);
    assertThat(guard.accept(alice, t, key(10))).isTrue();
    assertThat(guard.accept(alice, t, key(11))).as("same instant, another ephemeral").isTrue();
  }

  @Test
  void aHandshakeAfterANewerOneFromTheSameKeyIsAcceptedWithinTheWindow() {
    assertThat(guard.accept(alice, at(1000, 500), key(10))).isTrue();
    assertThat(guard.accept(alice, at(1000, 100), key(11)))
        .as("sent a little earlier, arrived later (another machine, another link)")
        .isTrue();
    assertThat(guard.accept(alice, at(1000 - 29, 0), key(12))).as("29 s older").isTrue();
  }

  @Test
  void anExactReplayIsRefused() {
    byte[] t = at(1000, 0);
    assertThat(guard.accept(alice, t, key(10))).isTrue();
    assertThat(guard.accept(alice, t, key(10))).isFalse();
  }

  @Test
  void aReplayIsRefusedAfterNewerHandshakesToo() {
    assertThat(guard.accept(alice, at(1000, 0), key(10))).isTrue();
    assertThat(guard.accept(alice, at(1010, 0), key(11))).isTrue();
    assertThat(guard.accept(alice, at(1000, 0), key(10))).as("within the window").isFalse();
    assertThat(guard.accept(alice, at(1100, 0), key(12))).isTrue();
    assertThat(guard.accept(alice, at(1000, 0), key(10))).as("past the window").isFalse();
  }

  @Test
  void aTimestampOlderThanTheWindowIsRefused() {
    assertThat(guard.accept(alice, at(1000, 0), key(10))).isTrue();
    assertThat(guard.accept(alice, at(1000 - 30, 0), key(11)))
        .as("exactly W older: at the floor")
        .isFalse();
    assertThat(guard.accept(alice, at(900, 0), key(12))).isFalse();
  }

  @Test
  void anotherKeyHasItsOwnClockAndMemory() {
    byte[] t = at(1000, 0);
    assertThat(guard.accept(alice, t, key(10))).isTrue();
    assertThat(guard.accept(bob, t, key(10))).isTrue();
    assertThat(guard.accept(bob, at(10, 0), key(11))).as("bob's window is bob's").isFalse();
  }

  @Test
  void oneKeyRemembersAtMostMPairsAndRaisesItsFloorWhenItForgets() {
    int m = ReplayGuard.MAX_PER_KEY;
    for (int i = 0; i < m + 10; i++) {
      assertThat(guard.accept(alice, at(1000, i), key(100 + i))).isTrue();
    }
    assertThat(guard.remembered()).isEqualTo(m);
    // The first ten were forgotten: their replays fall at or below the raised floor.
    for (int i = 0; i < 10; i++) {
      assertThat(guard.accept(alice, at(1000, i), key(100 + i))).as("replay " + i).isFalse();
    }
    // The ones still remembered are refused by their ephemeral.
    assertThat(guard.accept(alice, at(1000, m + 9), key(100 + m + 9))).isFalse();
    assertThat(guard.accept(alice, at(1001, 0), key(5000))).isTrue();
  }

  @Test
  void allKeysTogetherRememberAtMostTheTotal() {
    int perKey = ReplayGuard.MAX_PER_KEY;
    int keys = ReplayGuard.MAX_TOTAL / perKey + 3;
    for (int k = 0; k < keys; k++) {
      for (int i = 0; i < perKey; i++) {
        assertThat(guard.accept(key(1000 + k), at(1000, i), key(i))).isTrue();
      }
      assertThat(guard.remembered()).isLessThanOrEqualTo(ReplayGuard.MAX_TOTAL);
    }
    // Every replay is still refused, remembered or not.
    for (int k = 0; k < keys; k++) {
      for (int i = 0; i < perKey; i += 7) {
        assertThat(guard.accept(key(1000 + k), at(1000, i), key(i))).isFalse();
      }
    }
  }

  @Test
  void isNotFooledByTheCallerChangingItsArrays() {
    byte[] k = key(7);
    byte[] t = at(1000, 0);
    byte[] e = key(10);
    assertThat(guard.accept(k, t, e)).isTrue();
    t[0] = 0;
    e[0] = 99;
    k[0] = 99;
    assertThat(guard.accept(key(7), at(1000, 0), key(10))).isFalse();
  }

  @Test
  void refusesATimestampOrEphemeralOfTheWrongLength() {
    assertThat(guard.accept(alice, new byte[11], key(10))).isFalse();
    assertThat(guard.accept(alice, at(1000, 0), new byte[31])).isFalse();
  }
}
