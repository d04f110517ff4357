package dev.ett.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.config.KeyFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal of these tests: a route is a validated list of hops whose errors say what was expected. */
class RouteTest {
  static final byte[] KEY = new byte[32];
  static final byte[] OTHER = new byte[32];

  static {
    KEY[0] = 1;
    OTHER[0] = 2;
  }

  @Test
  void hopParsesHostAndPortWithIpv6InBrackets() {
    assertThat(Hop.parse("relay.example:7000", KEY))
        .satisfies(
            h -> {
              assertThat(h.host()).isEqualTo("relay.example");
              assertThat(h.port()).isEqualTo(7000);
              assertThat(h.destination().isName()).isTrue();
            });
    Hop v6 = Hop.parse("[2001:db8::1]:7000", KEY);
    assertThat(v6.host()).isEqualTo("2001:db8::1");
    assertThat(v6.toString()).isEqualTo("[2001:db8::1]:7000");
    assertThat(v6.destination().isName()).isFalse();
    assertThat(Hop.parse("203.0.113.5:7000", KEY).destination().isName()).isFalse();
  }

  @Test
  void hopRejectsWhatIsNotHostColonPort() {
    assertThatThrownBy(() -> Hop.parse("relay.example", KEY))
        .hasMessageContaining("expected HOST:PORT");
    assertThatThrownBy(() -> Hop.parse("relay.example:", KEY))
        .hasMessageContaining("expected HOST:PORT");
    assertThatThrownBy(() -> Hop.parse("2001:db8::1:7000", KEY))
        .hasMessageContaining("in brackets");
    assertThatThrownBy(() -> Hop.parse("relay:70000", KEY))
        .hasMessage("port: 70000 (expected: 1~65535)");
    assertThatThrownBy(() -> Hop.parse("relay:x", KEY))
        .hasMessageContaining("port x (expected: 1~65535)");
    assertThatThrownBy(() -> Hop.parse("relay:7000", new byte[31]))
        .hasMessage("key: 31 bytes (expected: 32 bytes)");
  }

  @Test
  void aHopNeverShowsItsKey() {
    Hop h = Hop.parse("relay.example:7000", KEY);
    assertThat(h.toString()).isEqualTo("relay.example:7000").doesNotContain(KeyFile.encode(KEY));
    byte[] k = h.key();
    k[0] = 9;
    assertThat(h.key()[0]).as("the hop keeps its own copy").isEqualTo((byte) 1);
  }

  @Test
  void routeNamesHopsFromOne() {
    Route r = new Route(List.of(Hop.parse("a:1", KEY), Hop.parse("b:2", OTHER)));
    assertThat(r.size()).isEqualTo(2);
    assertThat(r.name(2)).isEqualTo("hop 2 (b:2)");
    assertThat(r.toString()).isEqualTo("a:1 -> b:2");
  }

  @Test
  void routeRejectsNoHopsTooManyAndTheSameServerTwiceInARow() {
    assertThatThrownBy(() -> new Route(List.of())).hasMessage("hops: none (expected: 1~8)");
    List<Hop> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(Hop.parse("h" + i + ":7000", KEY));
    }
    assertThatThrownBy(() -> new Route(nine)).hasMessage("hops: 9 (expected: 1~8)");
    List<Hop> twice = Collections.nCopies(2, Hop.parse("a:1", KEY));
    assertThatThrownBy(() -> new Route(twice))
        .hasMessage("hops 1 and 2: both a:1 (expected: a different server)");
  }
}
