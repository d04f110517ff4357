package dev.ett.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the order in which a client tries its servers and their keys — the first
 * that answers, the next on a failure, backoff only once a whole round failed, a lost server tried
 * last, link k of --links preferring server k.
 */
class ServerListTest {
  private static final byte[] K1 = key(1), K2 = key(2), K3 = key(3);

  private static byte[] key(int b) {
    byte[] k = new byte[32];
    k[0] = (byte) b;
    return k;
  }

  private static ServerList.Server server(int port, byte[]... keys) {
    return new ServerList.Server(
        InetSocketAddress.createUnresolved("127.0.0.1", port), "127.0.0.1:" + port, List.of(keys));
  }

  private static ServerList list(ServerList.Order order) {
    return new ServerList(List.of(server(1, K1), server(2, K1, K2), server(3, K3)), order);
  }

  @Test
  void anOrderedListIsTriedServerByServerAndKeyByKeyThenBacksOff() {
    ServerList.Cursor c = list(ServerList.Order.ORDERED).cursor(0, new Random(1));
    List<String> tried = new ArrayList<>();
    boolean more;
    do {
      tried.add(c.current().toString());
      more = c.failed();
    } while (more);
    assertThat(tried)
        .containsExactly(
            "127.0.0.1:1", "127.0.0.1:2 (key 1)", "127.0.0.1:2 (key 2)", "127.0.0.1:3");
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:1"); // the next round from the top
  }

  @Test
  void aServerThatCannotBeReachedIsNotTriedWithItsOtherKey() {
    ServerList.Cursor c = list(ServerList.Order.ORDERED).cursor(1, new Random(1));
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:2 (key 1)");
    assertThat(c.failed(false)).isTrue();
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:3");
    assertThat(c.failed(false)).isTrue();
    assertThat(c.failed(false)).isFalse(); // 1 tried too: the round is over
  }

  @Test
  void aLostServerIsTriedLastAndTheRoundStartsAfresh() {
    ServerList.Cursor c = list(ServerList.Order.ORDERED).cursor(0, new Random(1));
    c.succeeded();
    c.lost();
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:2 (key 1)");
    assertThat(c.onPreferred()).isFalse();
    assertThat(c.failed()).isTrue(); // key 2 of the same server
    assertThat(c.failed()).isTrue(); // server 3
    assertThat(c.failed()).isTrue(); // server 1, the lost one, last
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:1");
    assertThat(c.failed()).isFalse(); // the round is over: back off
  }

  @Test
  void linkKPrefersServerKModuloTheirNumber() {
    ServerList l = list(ServerList.Order.ORDERED);
    assertThat(l.cursor(1, new Random()).current().server().name()).isEqualTo("127.0.0.1:2");
    assertThat(l.cursor(4, new Random()).current().server().name()).isEqualTo("127.0.0.1:2");
    assertThat(l.cursor(2, new Random()).preferred().name()).isEqualTo("127.0.0.1:3");
  }

  @Test
  void failingBackPointsAtThePreferredServerAndAFailedAttemptRestoresThePosition() {
    ServerList.Cursor c = list(ServerList.Order.ORDERED).cursor(0, new Random());
    c.lost();
    int[] mark = c.mark();
    c.toPreferred();
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:1");
    c.reset(mark);
    assertThat(c.current().toString()).isEqualTo("127.0.0.1:2 (key 1)");
  }

  @Test
  void aRandomOrderStartsOnEveryServerOverSeveralStarts() {
    ServerList l = list(ServerList.Order.RANDOM);
    Random r = new Random(42);
    Set<String> first = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      first.add(l.cursor(0, r).current().server().name());
    }
    assertThat(first).containsExactlyInAnyOrder("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
    assertThat(l.cursor(0, r).onPreferred()).isTrue(); // random prefers none: no fail-back
  }

  @Test
  void aServerTakesOneOrTwoKeys() {
    assertThatThrownBy(() -> server(1, K1, K2, K3))
        .hasMessage("server 127.0.0.1:1: 3 keys (expected: 1~2)");
    assertThatThrownBy(() -> server(1, new byte[31]))
        .hasMessage("server 127.0.0.1:1: key of 31 bytes (expected: 32)");
  }

  @Test
  void keysNeverAppearInNames() {
    assertThat(list(ServerList.Order.ORDERED).toString())
        .isEqualTo("127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3 (ordered)");
  }
}
