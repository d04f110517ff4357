package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenPolicyTest {
  private static ListenPolicy rules(String... r) {
    return new ListenPolicy(Arrays.stream(r).map(ListenRule::parse).toList());
  }

  private static InetAddress ip(String s) {
    return ListenRule.address(s);
  }

  @ParameterizedTest(name = "{0} allows {1}:{2}: {3}")
  @CsvSource({
    "127.0.0.1:8080, 127.0.0.1, 8080, true",
    "127.0.0.1:8080, 127.0.0.1, 8081, false",
    "*:8080, 127.0.0.1, 8080, true",
    "*:8080, 127.0.0.2, 8080, true",
    "*:8080, 0.0.0.0, 8080, false",
    "*:*, 192.168.1.5, 5000, false",
    "0.0.0.0:10000-10100, 0.0.0.0, 10022, true",
    "0.0.0.0:10000-10100, 0.0.0.0, 9999, false",
    "*:*, 127.0.0.1, 80, false",
    "*:1-2000, 127.0.0.1, 80, false",
    "*:1-2000, 127.0.0.1, 1500, true",
    "*:80, 127.0.0.1, 80, true",
    "0.0.0.0:80, 0.0.0.0, 80, true",
    "*:*, 127.0.0.1, 0, true",
    "*:80, 127.0.0.1, 0, true",
    "*:1-1000, 127.0.0.1, 0, false",
    "[::1]:8080, ::1, 8080, true",
    "*:8080, ::1, 8080, true",
  })
  void aRuleAllowsOnlyWhatItNames(String rule, String address, int port, boolean allowed) {
    assertThat(
            ListenRule.parse(rule)
                .allows(
                    ListenRule.address(address.contains(":") ? "[" + address + "]" : address),
                    port))
        .isEqualTo(allowed);
  }

  @Test
  void firstMatchingRuleDecidesAndNamesItsPool() {
    ListenPolicy p = rules("127.0.0.1:8080 pool web", "*:*");
    ListenPolicy.Verdict v = p.check("alice", ip("127.0.0.1"), 8080);
    assertThat(v.allowed()).isTrue();
    assertThat(v.number()).isEqualTo(1);
    assertThat(v.pool()).contains("web");
    assertThat(v.reason())
        .isEqualTo("allowed by client alice rule 1 'listen 127.0.0.1:8080 pool web'");
    assertThat(p.check("alice", ip("127.0.0.1"), 9000).number()).isEqualTo(2);
  }

  @Test
  void nothingMatchedIsRefusedWithAHint() {
    assertThat(ListenPolicy.NONE.check("bob", ip("127.0.0.1"), 8080).reason())
        .isEqualTo("client bob has no listen rule (reverse forwarding is refused by default)");
    ListenPolicy.Verdict v = rules("*:*").check("bob", ip("0.0.0.0"), 10022);
    assertThat(v.allowed()).isFalse();
    assertThat(v.reason())
        .isEqualTo(
            "no listen rule of client bob allows 0.0.0.0:10022 (a non-loopback address needs a rule"
                + " that names it; '*' means loopback only)");
    assertThat(rules("*:*").check("bob", ip("127.0.0.1"), 22).reason())
        .endsWith("(a port below 1024 needs a rule that names that single port)");
  }

  @Test
  void namesAndBadWordsAreRefusedWithWhatWasExpected() {
    assertThatThrownBy(() -> ListenRule.parse("localhost:80"))
        .hasMessageContaining("names are not allowed");
    assertThatThrownBy(() -> ListenRule.parse("127.0.0.1"))
        .hasMessageContaining("expected: HOST:PORTS");
    assertThatThrownBy(() -> ListenRule.parse("127.0.0.1:80 pool"))
        .hasMessageContaining("expected: listen HOST:PORTS [pool NAME]");
    assertThatThrownBy(() -> ListenRule.parse("127.0.0.1:0")).hasMessageContaining("1~65535");
  }
}
