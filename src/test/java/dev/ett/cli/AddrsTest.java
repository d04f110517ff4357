package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Goal of these tests: {@code --dns} takes an address with an optional port, and nothing else. */
class AddrsTest {
  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, 127.0.0.1, 53",
    "127.0.0.1:5353, 127.0.0.1, 5353",
    "[::1], 0:0:0:0:0:0:0:1, 53",
    "[::1]:5353, 0:0:0:0:0:0:0:1, 5353",
    "::1, 0:0:0:0:0:0:0:1, 53",
  })
  void aNameServerIsAnAddressWithPort53UnlessGiven(String arg, String address, int port) {
    InetSocketAddress a = Addrs.nameServer(arg, "--dns");
    assertThat(a.getAddress().getHostAddress()).isEqualTo(address);
    assertThat(a.getPort()).isEqualTo(port);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ns.example.test",
        "ns.example.test:53",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:",
        "[::1",
        "[::1]x",
        "127.1"
      })
  void aNameServerThatIsNotAnAddressAndPortIsRefusedWithTheFlagsName(String arg) {
    assertThatThrownBy(() -> Addrs.nameServer(arg, "--dns"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--dns: " + arg + " (");
  }
}
