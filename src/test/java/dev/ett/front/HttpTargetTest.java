package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.wire.Destination;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpTargetTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "http://a.example/, a.example, 80, a.example, /",
    "http://a.example, a.example, 80, a.example, /",
    "HTTP://A.Example:8080/x?y=1#z, a.example, 8080, A.Example:8080, /x?y=1",
    "http://user:pw@a.example:81/p, a.example, 81, a.example:81, /p",
    "http://a.example?q, a.example, 80, a.example, /?q",
  })
  void absoluteFormKeepsNamesAsNames(
      String uri, String host, int port, String authority, String origin) {
    HttpTarget t = HttpTarget.absolute(uri);
    assertThat(t.destination()).isEqualTo(Destination.ofName(host, port));
    assertThat(t.authority()).isEqualTo(authority);
    assertThat(t.originForm()).isEqualTo(origin);
  }

  @org.junit.jupiter.api.Test
  void literalsBecomeAddresses() throws Exception {
    assertThat(HttpTarget.absolute("http://[::1]:8080/").destination())
        .isEqualTo(Destination.of(InetAddress.getByName("::1"), 8080));
    assertThat(HttpTarget.authority("10.0.0.1:443"))
        .isEqualTo(Destination.of(InetAddress.getByName("10.0.0.1"), 443));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://a/",
        "/relative",
        "http://:80/",
        "http://a:0/",
        "http://a:99999/",
        "http://a:x/",
        "http://a b/",
        "http://[::1/",
        "http://[a.b]/"
      })
  void badAbsoluteTargetsAreRejected(String uri) {
    assertThatThrownBy(() -> HttpTarget.absolute(uri)).isInstanceOf(IllegalArgumentException.class);
  }

  @org.junit.jupiter.api.Test
  void aBracketedNameIsHeldToTheWiresRuleForNames() {
    // Outside brackets HTTP's own grammar applies; inside, what is not an IPv6 literal becomes a
    // name and must pass Destination#nameProblem like any other (no control byte, no DEL).
    for (String host : new String[] {"[a\u0001b:]", "[a\u007fb:]", "[a\u0000:]", "[\u00e9:]"}) {
      assertThatThrownBy(() -> HttpTarget.authority(host + ":443"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(
              "(expected: 1~255 characters, each printable ASCII other than space, 0x21~0x7e)");
      assertThatThrownBy(() -> HttpTarget.absolute("http://" + host + "/"))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a.example", "a.example:", ":443", "[::1]", "a:b:c"})
  void connectNeedsHostAndPort(String authority) {
    assertThatThrownBy(() -> HttpTarget.authority(authority))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
