package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyTest {

  private static final InetAddress PUBLIC = ip("93.184.215.14");

  private static InetAddress ip(String text) {
    return ((Host.Address) HostParser.parse(text)).address();
  }

  /** A request by address: host string as the client sent it, resolved without DNS. */
  private static Decision byAddress(String policy, String host, int port) {
    return Policy.parse(policy).decide(Request.of(host, port));
  }

  /** A request by name that "DNS" resolved to {@code resolved}. */
  private static Decision byName(String policy, String name, int port, InetAddress resolved) {
    return Policy.parse(policy).decide(Request.of(name, port), resolved);
  }

  // Goal of this test: no spelling of a loopback/unspecified address gets past a wildcard accept,
  // and each is opened by a rule that names its range.
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "0x7f000001",
        "[::ffff:127.0.0.1]",
        "::ffff:7f00:1",
        "[::127.0.0.1]"
      })
  void loopbackSpellingsAreRefusedByWildcardAndAcceptedByTheirRange(String host) {
    assertThat(byAddress("accept *:*", host, 80).accepted()).isFalse();
    assertThat(byAddress("accept *4:*", host, 80).accepted()).isFalse();
    assertThat(byAddress("accept 127.0.0.0/8:*", host, 80).accepted()).isTrue();
    assertThat(byAddress("accept private:*", host, 80).accepted()).isTrue();
  }

  @ParameterizedTest(name = "{0} opened by {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          [::]      | accept [::]
          ::1       | accept [::1]:*
          0.0.0.0   | accept 0.0.0.0/8
          0         | accept 0.0.0.0
          10.9.8.7  | accept 10.0.0.0/8
          fd00::1   | accept [fd00::]/8
          [::ffff:0:127.0.0.1] | accept [::ffff:0:0:0]/96
          [::ffff:0:a00:5]     | accept [::ffff:0:0:0]/96:80
          """)
  void unspecifiedAndPrivateAddressesNeedAnExplicitRule(String host, String opening) {
    assertThat(byAddress("accept *:*", host, 80).accepted()).isFalse();
    assertThat(byAddress("accept *6, accept *4", host, 80).accepted()).isFalse();
    assertThat(byAddress(opening, host, 80).accepted()).isTrue();
  }

  @Test
  void aMappedAddressFromDnsIsJudgedAsIpv4() throws Exception {
    InetAddress mapped =
        InetAddress.getByAddress(Addresses.parseIpv6("::ffff:127.0.0.1")); // Inet4 or 6, either
    assertThat(byName("accept *:*", "evil.example", 80, mapped).accepted()).isFalse();
    InetAddress mappedPublic = Addresses.fromBytes(Addresses.parseIpv6("::ffff:8.8.8.8"));
    assertThat(byName("accept *4:*", "dns.example", 80, mappedPublic).accepted()).isTrue();
  }

  @Test
  void wideRangesDoNotOpenPrivateAddresses() {
    assertThat(byAddress("accept 0.0.0.0/0", "10.0.0.1", 22).accepted()).isFalse();
    assertThat(byAddress("accept 0.0.0.0/1", "10.0.0.1", 22).accepted()).isFalse();
    assertThat(byAddress("accept 8.0.0.0/7", "10.0.0.1", 22).accepted()).isFalse();
    assertThat(byAddress("accept 0.0.0.0/0", "8.8.8.8", 22).accepted()).isTrue();
  }

  @Test
  void nameRulesNeverOpenPrivateAddresses() {
    Decision d = byName("accept localhost", "localhost", 80, ip("127.0.0.1"));
    assertThat(d.accepted()).isFalse();
    assertThat(d.rule()).isEmpty();
    assertThat(d.reason())
        .isEqualTo(
            "refused by policy: 127.0.0.1 is special-purpose (loopback, 127.0.0.0/8) and no accept"
                + " rule names it; rule 1 'accept localhost' does not open it");
  }

  @Test
  void aWildcardAcceptIsPassedOverSoALaterExplicitRuleCanOpenAPrivateRange() {
    Decision d = byAddress("accept *:*, accept 10.0.0.0/8:22", "10.0.0.5", 22);
    assertThat(d.accepted()).isTrue();
    assertThat(d.rule().orElseThrow().index()).isEqualTo(2);
    assertThat(byAddress("accept *:*, accept 10.0.0.0/8:22", "10.0.0.5", 23).accepted()).isFalse();
  }

  @Test
  void rejectRulesMatchPrivateAddressesToo() {
    Decision d = byAddress("reject *:*, accept 127.0.0.1", "127.0.0.1", 80);
    assertThat(d.accepted()).isFalse();
    assertThat(d.rule().orElseThrow().index()).isEqualTo(1);
  }

  @Test
  void explicitAddressOpensOnlyItsPorts() {
    String policy = "accept 127.0.0.1:8080";
    assertThat(byAddress(policy, "127.0.0.1", 8080).accepted()).isTrue();
    assertThat(byAddress(policy, "127.0.0.1", 8081).accepted()).isFalse();
    assertThat(byAddress(policy, "127.0.0.2", 8080).accepted()).isFalse();
  }

  @Test
  void privateTargetDoesNotMatchPublicAddresses() {
    assertThat(byAddress("accept private:*", "8.8.8.8", 53).accepted()).isFalse();
  }

  @ParameterizedTest(name = "{1} against {0}: {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          accept example.com     | example.com       | true
          accept example.com     | EXAMPLE.com.      | true
          accept example.com     | www.example.com   | false
          accept example.com.    | example.com       | true
          accept *.example.com   | www.example.com   | true
          accept *.example.com   | a.b.example.com   | true
          accept *.example.com   | example.com       | false
          accept *.example.com   | badexample.com    | false
          accept *.Example.Com   | WWW.example.com   | true
          """)
  void nameRulesMatchTheRequestedName(String policy, String name, boolean accepted) {
    assertThat(byName(policy, name, 443, PUBLIC).accepted()).isEqualTo(accepted);
  }

  @Test
  void nameRulesDoNotMatchRequestsByAddress() {
    assertThat(byAddress("accept example.com", "93.184.215.14", 443).accepted()).isFalse();
  }

  @ParameterizedTest(name = "port {0}: {1}")
  @CsvSource({
    "19, false",
    "20, true",
    "22, true",
    "25, true",
    "26, false",
    "80, true",
    "443, true"
  })
  void portRangesAndListsAreInclusive(int port, boolean accepted) {
    assertThat(byAddress("accept *:20-25,80, accept *:443", "8.8.8.8", port).accepted())
        .isEqualTo(accepted);
  }

  @Test
  void ipv6RangesAndFamilyWildcards() {
    assertThat(byAddress("accept [2606:4700::]/32:443", "2606:4700::1111", 443).accepted())
        .isTrue();
    assertThat(byAddress("accept [2606:4700::]/32:443", "2606:4701::1", 443).accepted()).isFalse();
    assertThat(byAddress("accept *6", "2606:4700::1111", 443).accepted()).isTrue();
    assertThat(byAddress("accept *6", "8.8.8.8", 443).accepted()).isFalse();
    assertThat(byAddress("accept *4", "2606:4700::1111", 443).accepted()).isFalse();
    assertThat(byAddress("accept *4", "[::ffff:8.8.8.8]", 443).accepted()).isTrue();
  }

  @Test
  void firstMatchingRuleWins() {
    Decision rejectFirst = byAddress("reject *:25, accept *:*", "8.8.8.8", 25);
    assertThat(rejectFirst.accepted()).isFalse();
    assertThat(rejectFirst.reason()).isEqualTo("refused by policy rule 1 'reject *:25'");

    Decision acceptFirst = byAddress("accept *:*, reject *:25", "8.8.8.8", 25);
    assertThat(acceptFirst.accepted()).isTrue();
    assertThat(acceptFirst.reason()).isEqualTo("accepted by policy rule 1 'accept *:*'");
  }

  @Test
  void emptyPolicyRefusesEverything() {
    Decision d = byAddress("", "8.8.8.8", 443);
    assertThat(d.accepted()).isFalse();
    assertThat(d.rule()).isEmpty();
    assertThat(d.reason()).isEqualTo("refused by policy: no rule matched 8.8.8.8:443");
  }

  @Test
  void webPresetAcceptsOnlyHttpAndHttpsToPublicAddresses() {
    Policy web = Policy.preset("web");
    // Ports 80 and 443 on a public address wait for the first bytes (see ProtocolRuleTest) ...
    assertThat(web.decide(Request.of("8.8.8.8", 443)).awaiting()).isTrue();
    assertThat(web.decide(Request.of("8.8.8.8", 80)).awaiting()).isTrue();
    // ... anything else is refused at once.
    assertThat(web.decide(Request.of("8.8.8.8", 22)).refused()).isTrue();
    assertThat(web.decide(Request.of("127.0.0.1", 443)).refused()).isTrue();
  }

  @Test
  void combinedPolicyNeedsBothToAcceptAndReportsTheDecidingRule() {
    Policy client = Policy.parse("client", "accept *:443, accept *:25");
    Policy global = Policy.parse("global", "reject *:25, accept *:*");
    ExitPolicy both = Policy.combine(client, global);

    Decision ok = both.decide(Request.of("8.8.8.8", 443));
    assertThat(ok.accepted()).isTrue();
    assertThat(ok.reason())
        .isEqualTo("accepted by client rule 1 'accept *:443' and global rule 2 'accept *:*'");
    assertThat(ok.rule().orElseThrow().text()).isEqualTo("accept *:*");

    Decision clientSaysNo = both.decide(Request.of("8.8.8.8", 80));
    assertThat(clientSaysNo.accepted()).isFalse();
    assertThat(clientSaysNo.policy()).isEqualTo("client");

    Decision globalSaysNo = both.decide(Request.of("8.8.8.8", 25));
    assertThat(globalSaysNo.accepted()).isFalse();
    assertThat(globalSaysNo.reason()).isEqualTo("refused by global rule 1 'reject *:25'");
  }

  @Test
  void aClientCannotOpenWhatTheGlobalPolicyDoesNot() {
    ExitPolicy both =
        Policy.combine(
            Policy.parse("client", "accept private:*"), Policy.parse("global", "accept *:*"));
    assertThat(both.decide(Request.of("127.0.0.1", 22)).accepted()).isFalse();
  }

  @Test
  void resolvedAddressMustBeTheRequestedOneForARequestByAddress() {
    assertThatThrownBy(
            () -> Policy.parse("accept *:*").decide(Request.of("8.8.8.8", 53), ip("1.1.1.1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resolved: 1.1.1.1 (expected: 8.8.8.8, the address that was requested)");
    assertThatThrownBy(() -> Policy.parse("accept *:*").decide(Request.of("example.com", 53)))
        .hasMessageContaining("expected: an address; resolve the name and pass it");
  }

  @Test
  void destinationValidatesItsPort() {
    assertThatThrownBy(() -> Request.of("example.com", 70000))
        .hasMessage("port: 70000 (expected: 1~65535)");
  }
}
