package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Goal of these tests: the server's own addresses (its interfaces', given here as a value) are
 * closed like special-purpose addresses — {@code accept *:*} and wide ranges do not open them, a
 * rule naming the address itself does — because a stream to them reaches the server's own services
 * from the loopback side, past host firewall rules that guard the external interface.
 */
class OwnAddressesTest {
  /** Public-looking (in no special-purpose block), so only the own-address rule can close them. */
  static final InetAddress OWN4 = ip("93.184.215.14"), OWN6 = ip("[2a00:1450:4001::7]");

  /** A private address on another interface of the same server. */
  static final InetAddress OWN_PRIVATE = ip("10.0.0.5");

  static final OwnAddresses OWN = OwnAddresses.of(OWN4, OWN6, OWN_PRIVATE);

  private static InetAddress ip(String text) {
    return ((Host.Address) HostParser.parse(text)).address();
  }

  private static Decision byAddress(String policy, String host, int port) {
    Request d = Request.of(host, port);
    return Policy.parse(policy).decide(d, ((Host.Address) d.host()).address(), OWN);
  }

  @Test
  void aWildcardAcceptRefusesAnAddressOfThisServer() {
    Decision d = byAddress("accept *:*", "93.184.215.14", 22);
    assertThat(d.accepted()).isFalse();
    assertThat(d.rule()).isEmpty();
    assertThat(d.reason())
        .isEqualTo(
            "refused by policy: 93.184.215.14 is an address of this server; closed unless a rule"
                + " names it; rule 1 'accept *:*' does not open it");
  }

  @Test
  void withoutTheServersAddressesTheSameAddressIsAnOrdinaryPublicOne() {
    Request d = Request.of("93.184.215.14", 22);
    assertThat(Policy.parse("accept *:*").decide(d).accepted()).isTrue();
    assertThat(Policy.parse("accept *:*").decide(d, OWN4, OwnAddresses.NONE).accepted()).isTrue();
  }

  @ParameterizedTest(name = "{0} is closed to ''{1}''")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          93.184.215.14          | accept *4:*
          93.184.215.14          | accept 0.0.0.0/0
          93.184.215.14          | accept 93.184.215.0/24:80
          [::ffff:93.184.215.14] | accept *:*
          [2a00:1450:4001::7]    | accept *6
          [2a00:1450:4001::7]    | accept [2a00:1450:4001::]/64
          10.0.0.5               | accept 10.0.0.0/8
          10.0.0.5               | accept private
          10.0.0.5               | accept 10.0.0.4/30:80
          """)
  void wildcardsWideRangesAndPrivateDoNotOpenIt(String host, String policy) {
    assertThat(byAddress(policy, host, 80).accepted()).isFalse();
    assertThat(byAddress(policy, host, 80).reason()).contains("is an address of this server");
  }

  @ParameterizedTest(name = "{0} is opened by ''{1}''")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          93.184.215.14          | accept 93.184.215.14:80
          93.184.215.14          | accept 93.184.215.14/32
          [::ffff:93.184.215.14] | accept 93.184.215.14:80
          93.184.215.14          | accept [::ffff:93.184.215.14]/128
          [2a00:1450:4001::7]    | accept [2a00:1450:4001::7]:80
          10.0.0.5               | accept 10.0.0.5
          """)
  void aRuleNamingTheAddressItselfOpensIt(String host, String policy) {
    Decision d = byAddress(policy, host, 80);
    assertThat(d.accepted()).as(d.reason()).isTrue();
  }

  @Test
  void aRuleNamingItOpensOnlyItsPortsAndALaterRuleMayDoSoAfterAWildcard() {
    String policy = "accept *:*, accept 93.184.215.14:80";
    Decision d = byAddress(policy, "93.184.215.14", 80);
    assertThat(d.accepted()).isTrue();
    assertThat(d.rule().orElseThrow().index()).isEqualTo(2);
    assertThat(byAddress(policy, "93.184.215.14", 22).accepted()).isFalse();
    assertThat(byAddress(policy, "93.184.215.15", 22).accepted()).isTrue(); // a neighbour
  }

  @Test
  void aRejectRuleStillMatchesFirst() {
    Decision d =
        byAddress("reject 93.184.215.0/24:80, accept 93.184.215.14:80", "93.184.215.14", 80);
    assertThat(d.accepted()).isFalse();
    assertThat(d.rule().orElseThrow().index()).isEqualTo(1);
  }

  @Test
  void aNameThatResolvesToTheServerIsRefusedAndANameRuleDoesNotOpenIt() {
    Decision d =
        Policy.parse("accept *:*, accept evil.example")
            .decide(Request.of("evil.example", 80), OWN4, OWN);
    assertThat(d.accepted()).isFalse();
    assertThat(d.reason()).contains("93.184.215.14 is an address of this server");
  }

  @Test
  void loopbackGivenAsOwnIsLeftToTheSpecialPurposeRule() {
    OwnAddresses withLoopback = OwnAddresses.of(ip("127.0.0.1"), ip("[::1]"), OWN4);
    assertThat(withLoopback).isEqualTo(OwnAddresses.of(OWN4));
    Request d = Request.of("127.0.0.1", 80);
    assertThat(
            Policy.parse("accept 127.0.0.0/8").decide(d, ip("127.0.0.1"), withLoopback).accepted())
        .isTrue();
    assertThat(Policy.parse("accept private").decide(d, ip("127.0.0.1"), withLoopback).accepted())
        .isTrue();
  }

  @Test
  void bothTheClientsAndTheGlobalRulesMustNameIt() {
    Policy named = Policy.parse("global", "accept 93.184.215.14:443");
    Policy wildcard = Policy.parse("client alice", "accept *:*");
    Request d = Request.of("93.184.215.14", 443);
    Decision clientWildcard = Policy.combine(wildcard, named).decide(d, OWN4, OWN);
    assertThat(clientWildcard.accepted()).isFalse();
    assertThat(clientWildcard.policy()).isEqualTo("client alice");
    assertThat(
            Policy.combine(Policy.parse("client alice", "accept 93.184.215.14"), named)
                .decide(d, OWN4, OWN)
                .accepted())
        .isTrue();
  }

  @Test
  void atServerReadsTheAddressesAtEachDecision() {
    AtomicReference<OwnAddresses> current = new AtomicReference<>(OwnAddresses.NONE);
    ExitPolicy policy = Policy.parse("accept *:*").atServer(current::get);
    Request d = Request.of("93.184.215.14", 80);
    assertThat(policy.decide(d).accepted()).isTrue();
    current.set(OwnAddresses.of(OWN4)); // the address was just added to an interface
    assertThat(policy.decide(d).accepted()).isFalse();
    assertThat(policy.decide(d).reason()).contains("is an address of this server");
  }

  @Test
  void ownAddressesAreNormalizedAndPrintedSorted() {
    OwnAddresses own =
        OwnAddresses.of(ip("[2a00:1450:4001::7]"), ip("[::ffff:93.184.215.14]"), ip("10.0.0.5"));
    assertThat(own.contains(OWN4)).isTrue();
    assertThat(own).hasToString("10.0.0.5, 93.184.215.14, 2a00:1450:4001::7");
  }
}
