package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostParserTest {

  // Goal of this test: every spelling getaddrinfo would read as an address is read as that
  // address here, without DNS, so a policy sees the address and not a "name".
  @ParameterizedTest(name = "{0} is the address {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          127.0.0.1            | 127.0.0.1
          127.1                | 127.0.0.1
          127.0.1              | 127.0.0.1
          2130706433           | 127.0.0.1
          0x7f.1               | 127.0.0.1
          0X7F.0.0.1           | 127.0.0.1
          0177.0.0.1           | 127.0.0.1
          0x7f000001           | 127.0.0.1
          127.000.0.01         | 127.0.0.1
          0                    | 0.0.0.0
          4294967295           | 255.255.255.255
          10.0x10203           | 10.1.2.3
          [::ffff:127.0.0.1]   | 127.0.0.1
          ::ffff:7f00:1        | 127.0.0.1
          [::127.0.0.1]        | 127.0.0.1
          [::]                 | [::]
          ::1                  | [::1]
          [::1]                | [::1]
          [2001:DB8::1]        | [2001:db8::1]
          """)
  void numericSpellingsBecomeTheAddressTheyDenote(String host, String expected) {
    Host parsed = HostParser.parse(host);
    assertThat(parsed).isInstanceOf(Host.Address.class);
    assertThat(parsed.toString()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} is the name {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          example.com          | example.com
          Example.COM.         | example.com
          localhost            | localhost
          127.0.0.1.nip.io     | 127.0.0.1.nip.io
          0x7f.example         | 0x7f.example
          a-b.c-d.io           | a-b.c-d.io
          1e100.net            | 1e100.net
          """)
  void hostNamesStayNamesLowercasedWithoutTrailingDot(String host, String expected) {
    assertThat(HostParser.parse(host)).isEqualTo(new Host.Name(expected));
  }

  @ParameterizedTest(name = "{0} is refused: {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          1.2.3.4.5            | 5 parts (expected: 1~4)
          256.1.1.1            | part '256' is 256 (expected: 0~255)
          1.16777216           | (expected: 0~16777215)
          4294967296           | is 4294967296 (expected: 0~4294967295)
          0x100000000          | is 4294967296 (expected: 0~4294967295)
          08.1.1.1             | part '08' is not octal
          0x.1                 | part '0x' has no digits
          1..2                 | has no digits
          127.0.0.1.           | trailing dot
          [::1                 | expected: an IPv6 address in brackets
          fe80::1%eth0         | has a zone id
          [fe80::1%25eth0]     | has a zone id
          1:2:3:4:5:6:7:8:9    | is not an IPv6 address
          ::g                  | is not an IPv6 address
          foo_bar.com          | character '_'
          -foo.com             | starts or ends with '-'
          a..b                 | label of 0 characters
          exa mple.com         | character ' '
          é.com                | character '\\u00e9'
          """)
  void malformedHostsAreRefusedWithTheReason(String host, String reason) {
    assertThatThrownBy(() -> HostParser.parse(host))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @ParameterizedTest(name = "length {0}")
  @CsvSource(
      delimiter = '|',
      value = {"64 | label of 64 characters", "254 | 254 characters (expected: 1~253)"})
  void overlongNamesAndLabelsAreRefused(int length, String reason) {
    String name = length == 64 ? "a".repeat(64) + ".com" : ("a".repeat(62) + ".").repeat(4) + "ab";
    assertThat(name.length()).isEqualTo(length == 64 ? 68 : 254);
    assertThatThrownBy(() -> HostParser.parse(name)).hasMessageContaining(reason);
  }

  @org.junit.jupiter.api.Test
  void emptyHostIsRefused() {
    assertThatThrownBy(() -> HostParser.parse(""))
        .hasMessage("host: '' (expected: a host name or an IP address)");
  }

  @org.junit.jupiter.api.Test
  void addressesAreNormalizedWithoutScopeOrName() throws Exception {
    InetAddress mapped = InetAddress.getByAddress("x", Addresses.parseIpv6("::ffff:10.0.0.1"));
    assertThat(Addresses.normalize(mapped).getAddress()).containsExactly(10, 0, 0, 1);
    assertThat(Addresses.normalize(InetAddress.getByName("::1")).getAddress()).hasSize(16);
  }
}
