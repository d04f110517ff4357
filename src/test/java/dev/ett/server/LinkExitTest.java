package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.wire.Destination;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinkExitTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      textBlock =
          """
          fin                                  | false | fin         | -
          reset by peer: cancelled             | false | reset       | client
          reset by peer: timed out             | false | timeout     | client
          reset: reset by the far end          | false | reset       | destination
          reset: cancelled                     | false | reset       | destination
          reset: protocol error                | false | reset       | server
          reset: timed out                     | false | timeout     | server
          link closed                          | false | link_closed | -
          link closed                          | true  | policy      | server
          """)
  void theMuxsWordsBecomeAnEndAndASide(String how, boolean revoked, String end, String by) {
    assertThat(LinkExit.endAndSide(how, revoked)).containsExactly(end, by);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          example.com        | example.com:443
          127.1              | 127.1:443
          ::ffff:127.0.0.1   | [::ffff:127.0.0.1]:443
          [::1]              | [::1]:443
          """)
  void namesAreShownAsSentWithTheirPortUnambiguous(String name, String text) {
    assertThat(LinkExit.text(Destination.ofName(name, 443))).isEqualTo(text);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          10.0.0.1              | 10.0.0.1:22
          0:0:0:0:0:0:0:1       | [::1]:22
          2001:db8:0:0:0:0:0:1  | [2001:db8::1]:22
          """)
  void addressesAreShownInTheirShortForm(String address, String text) throws Exception {
    assertThat(LinkExit.text(Destination.of(InetAddress.getByName(address), 22))).isEqualTo(text);
  }
}
