package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyParserTest {

  /** Each rule as "ACTION target ports", e.g. "ACCEPT 10.0.0.0/8 22,80". */
  private static String summary(Policy p) {
    return p.rules().stream()
        .map(
            r ->
                r.action()
                    + " "
                    + r.target()
                    + " "
                    + r.ports().stream().map(Object::toString).collect(Collectors.joining(",")))
        .collect(Collectors.joining(" | "));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = ';',
      quoteCharacter = '"',
      textBlock =
          """
          accept *:*                                  ; ACCEPT * *
          reject *                                    ; REJECT * *
          ACCEPT  10.0.0.0/8 : 22 , Reject *:*        ; ACCEPT 10.0.0.0/8 22 | REJECT * *
          accept 10.0.0.0/8:22,80,443-445, reject *:* ; ACCEPT 10.0.0.0/8 22,80,443-445 | REJECT * *
          accept 10.0.0.0 / 255.0.0.0 : 20 - 25       ; ACCEPT 10.0.0.0/8 20-25
          accept 0.0.0.0/0:443                        ; ACCEPT 0.0.0.0/0 443
          accept 192.168.1.7                          ; ACCEPT 192.168.1.7/32 *
          accept [::1]:22                             ; ACCEPT [::1]/128 22
          accept [2001:DB8::]/32:*                    ; ACCEPT [2001:db8::]/32 *
          accept [::ffff:10.0.0.0]/104                ; ACCEPT 10.0.0.0/8 *
          accept private:*, reject *4, accept *6:443  ; ACCEPT private * | REJECT *4 * | ACCEPT *6 443
          accept Example.COM.:443                     ; ACCEPT example.com 443
          accept *.example.com                        ; ACCEPT *.example.com *
          accept localhost:8080,8443                  ; ACCEPT localhost 8080,8443
          """)
  void parsesRulesInOrder(String text, String expected) {
    assertThat(summary(Policy.parse(text))).isEqualTo(expected);
  }

  @Test
  void ruleKeepsItsOriginalTextAndOneBasedIndex() {
    Policy p = Policy.parse("accept 10.0.0.0/8:22, 80 ,reject  *:*");
    assertThat(p.rules())
        .extracting(Rule::index, Rule::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, "accept 10.0.0.0/8:22, 80"),
            org.assertj.core.groups.Tuple.tuple(2, "reject  *:*"));
  }

  @Test
  void blankTextIsTheEmptyPolicy() {
    assertThat(Policy.parse("  ").rules()).isEmpty();
    assertThat(Policy.parse("").isEmpty()).isTrue();
  }

  @Test
  void webPresetAcceptsHttpAndHttps() {
    assertThat(summary(Policy.preset("web"))).isEqualTo("ACCEPT * 80 | ACCEPT * 443");
    assertThatThrownBy(() -> Policy.preset("ssh"))
        .hasMessage("preset: 'ssh' (expected: one of [web])");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = ';',
      quoteCharacter = '"',
      textBlock =
          """
          allow *:*                   ; 'allow *:*': expected 'accept' or 'reject'
          accept                      ; rule 1 'accept': missing target
          accept *:*,                 ; empty rule at character 12
          accept *:*,, reject *:*     ; empty rule at character 12
          accept example.com, 80      ; '80': expected 'accept' or 'reject' (a comma continues the port list only after TARGET:PORTS
          accept *:0                  ; rule 1 'accept *:0': port 0 (expected: 1~65535)
          accept *:70000              ; port 70000 (expected: 1~65535)
          accept *:443-80             ; port range 443-80 is reversed
          accept *:http               ; port 'http' (expected: *, N or N-M
          accept *:22,x               ; port 'x'
          accept *:                   ; port ''
          accept 10.0.0.0/33          ; prefix 33 (expected: 0~32)
          accept 10.1.0.0/8           ; has bits set past the prefix (expected: 10.0.0.0/8)
          accept 10.0.0.0/255.0.255.0 ; netmask 255.0.255.0 is not contiguous
          accept 127.1                ; '127.1': not an IPv4 address (expected: a.b.c.d
          accept 0177.0.0.1           ; bad IPv4 part '0177' (expected: decimal 0~255 without leading zeros)
          accept 300.0.0.1            ; IPv4 part 300 (expected: 0~255)
          accept ::1:22               ; an IPv6 address must be in brackets
          accept [::1                 ; missing ']'
          accept [::1]x               ; unexpected 'x' after ']'
          accept [fe80::1%eth0]       ; has a zone id
          accept [::1]/129            ; prefix 129 (expected: 0~128)
          accept [1::2::3]            ; not an IPv6 address
          accept foo bar              ; unknown protocol "bar" (expected: tls, http, http2, ssh)
          accept foo_bar.com          ; character '_'
          accept *.                   ; name: '' (expected: a host name)
          accept foo.*.com            ; target 'foo.*.com' (expected: *, *4, *6, private
          """)
  void badPoliciesAreRefusedNamingTheTokenAndWhatWasExpected(String text, String message) {
    assertThatThrownBy(() -> Policy.parse(text))
        .isInstanceOf(PolicyParseException.class)
        .hasMessageContaining(message);
  }

  @Test
  void errorsNameTheRuleByPosition() {
    assertThatThrownBy(() -> Policy.parse("accept *:80, accept *:443, accept *:eighty"))
        .hasMessage(
            "rule 3 'accept *:eighty': port 'eighty' (expected: *, N or N-M with 1 <= N <= M <="
                + " 65535)");
  }

  @Test
  void policyPrintsAsItsRules() {
    assertThat(Policy.parse("accept *:80 , reject *:*").toString())
        .isEqualTo("accept *:80, reject *:*");
    assertThat(List.of(Policy.parse("accept *:80").rules().get(0).toString()))
        .containsExactly("rule 1 'accept *:80'");
  }
}
