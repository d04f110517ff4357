package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import dev.ett.inspect.Starts;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Accept rules with a protocol qualifier: grammar, and decisions on a stream's first bytes. */
class ProtocolRuleTest {
  private static final InetAddress PUBLIC =
      ((Host.Address) HostParser.parse("93.184.215.14")).address();

  private static Decision decide(
      String policy, String host, int port, byte[] first, boolean complete) {
    StreamStart start =
        first == null ? StreamStart.NOT_SEEN : StreamStart.of(ByteBuffer.wrap(first), complete);
    return Policy.parse("global", policy)
        .decide(Request.of(host, port), PUBLIC, OwnAddresses.NONE, start);
  }

  private static Decision decide(String policy, String host, int port, byte[] first) {
    return decide(policy, host, port, first, true);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "accept *:443 tls | tls | 443",
        "accept *.example.com:443 TLS | tls | 443",
        "accept *:80 http | http | 80",
        "accept 10.0.0.0/8:22 ssh | ssh | 22",
        "accept [::1]:8080 http2 | http2 | 8080",
        "accept example.com tls | tls | 1",
        "accept *:80,443 tls | tls | 80",
        "accept *:80 , 443-444  tls | tls | 444",
      })
  void anAcceptRuleTakesAProtocolAfterItsLastPort(String text, String word, int port) {
    Rule r = Policy.parse(text).rules().getFirst();
    assertThat(r.protocol()).contains(Protocol.parse(word));
    assertThat(r.ports().stream().anyMatch(p -> p.contains(port))).isTrue();
    assertThat(r.text()).isEqualTo(text.strip());
  }

  @Test
  void rulesWithoutAProtocolHaveNone() {
    assertThat(Policy.parse("accept *:443, reject *:*").rules())
        .allMatch(r -> r.protocol().isEmpty());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "accept *:443 tsl | unknown protocol \"tsl\" (expected: tls, http, http2, ssh)",
        "reject *:22 ssh | a protocol (ssh) only qualifies accept rules",
        "accept *:80 tls, 443 | protocol 'tls' before more ports",
        "accept *:443 tls http | unexpected 'tls http'",
        "accept 1.2.3.4 5.6.7.8 | unexpected '5.6.7.8' after '1.2.3.4'",
      })
  void aBadQualifierIsAnErrorNamingTheRule(String text, String message) {
    assertThatThrownBy(() -> Policy.parse(text))
        .isInstanceOf(PolicyParseException.class)
        .hasMessageContaining("rule 1")
        .hasMessageContaining(message);
  }

  @Test
  void theWebPresetChecksWhatTheStreamsCarry() {
    assertThat(Policy.preset("web").toString()).isEqualTo("accept *:80 http, accept *:443 tls");
  }

  @Test
  void beforeAnyBytesAQualifiedRuleWaitsAndARuleWithoutOneDecidesAtOnce() {
    Decision d = decide("accept *:443 tls", "93.184.215.14", 443, null);
    assertThat(d.awaiting()).isTrue();
    assertThat(d.accepted()).isFalse();
    assertThat(d.refused()).isFalse();
    assertThat(d.reason()).contains("needs a TLS ClientHello");

    assertThat(decide("accept *:80, accept *:443 tls", "93.184.215.14", 80, null).accepted())
        .isTrue();
    // A reject before it decides without waiting; so does nothing matching at all.
    assertThat(decide("reject *:443, accept *:443 tls", "93.184.215.14", 443, null).refused())
        .isTrue();
    assertThat(decide("accept *:443 tls", "93.184.215.14", 80, null).refused()).isTrue();
  }

  @Test
  void aClientHelloPassesATlsRuleAndTheDecisionSaysWhatWasSeen() {
    Decision d =
        decide("accept *:443 tls", "93.184.215.14", 443, Starts.clientHello("www.example.com"));
    assertThat(d.accepted()).isTrue();
    assertThat(d.seen())
        .contains(new Inspection.Matched(Protocol.TLS, Optional.of("www.example.com"), false));
    assertThat(d.reason())
        .isEqualTo("accepted by global rule 1 'accept *:443 tls' (tls, SNI www.example.com)");
  }

  @Test
  void aStartThatIsNotTheProtocolIsRefusedWithWhatWasExpectedAndSeen() {
    Decision d = decide("accept *:443 tls", "93.184.215.14", 443, Starts.sshBanner());
    assertThat(d.refused()).isTrue();
    assertThat(d.reason())
        .isEqualTo(
            "refused by global: rule 1 'accept *:443 tls' expected a TLS ClientHello, saw an SSH banner");
  }

  @Test
  void aMismatchFallsThroughToTheNextRule() {
    String policy = "accept *:443 tls, accept 93.184.215.14:443 ssh, reject *:*";
    assertThat(decide(policy, "93.184.215.14", 443, Starts.sshBanner()).reason())
        .contains("rule 2");
    assertThat(decide(policy, "93.184.215.14", 443, Starts.sshBanner()).accepted()).isTrue();
    Decision garbage = decide(policy, "93.184.215.14", 443, "hello\n".getBytes());
    assertThat(garbage.reason()).isEqualTo("refused by global rule 3 'reject *:*'");
  }

  @Test
  void aPartialStartWaitsUntilTheBytesAreCompleteAndIsThenRefused() {
    byte[] hello = Starts.clientHello("www.example.com");
    byte[] part = Arrays.copyOf(hello, 10);
    assertThat(decide("accept *:443 tls", "93.184.215.14", 443, part, false).awaiting()).isTrue();
    Decision done = decide("accept *:443 tls", "93.184.215.14", 443, part, true);
    assertThat(done.refused()).isTrue();
    assertThat(done.reason()).contains("expected a TLS ClientHello, saw ");
  }

  @ParameterizedTest(name = "{0} with SNI {1}")
  @CsvSource({
    "www.example.com, www.example.com, true",
    "www.example.com, a.b.example.com, true",
    "www.example.com, evil.example, false",
    "evil.example, www.example.com, false",
    "www.example.com, , false",
  })
  void aNameRuleNeedsTheSniToMatchAsWellAsTheRequestedName(
      String requested, String sni, boolean accepted) {
    Decision d = decide("accept *.example.com:443 tls", requested, 443, Starts.clientHello(sni));
    assertThat(d.accepted()).as(d.reason()).isEqualTo(accepted);
  }

  @Test
  void aRefusedSniIsNamedInTheReason() {
    assertThat(
            decide(
                    "accept *.example.com:443 tls",
                    "www.example.com",
                    443,
                    Starts.clientHello("evil.example"))
                .reason())
        .isEqualTo(
            "refused by global: rule 1 'accept *.example.com:443 tls' SNI evil.example does not match *.example.com");
    assertThat(
            decide("accept *.example.com:443 tls", "www.example.com", 443, Starts.clientHello(null))
                .reason())
        .endsWith(
            "saw a TLS ClientHello without an SNI: a name rule needs the SNI to match *.example.com");
  }

  @Test
  void withoutANameInTheRuleNoSniIsFine() {
    assertThat(
            decide("accept *:443 tls", "93.184.215.14", 443, Starts.clientHello(null)).accepted())
        .isTrue();
  }

  @Test
  void anHttpRuleChecksTheHostHeaderAgainstItsName() {
    assertThat(
            decide(
                    "accept *.example.com:80 http",
                    "a.example.com",
                    80,
                    Starts.httpGet("a.example.com"))
                .accepted())
        .isTrue();
    Decision d =
        decide("accept *.example.com:80 http", "a.example.com", 80, Starts.httpGet("evil.example"));
    assertThat(d.reason()).endsWith("Host evil.example does not match *.example.com");
    assertThat(
            decide("accept *:80 http", "93.184.215.14", 80, Starts.clientHello("x.example"))
                .reason())
        .endsWith("expected an HTTP/1.x request, saw a TLS ClientHello");
  }

  @Test
  void anSshRuleWithANameNeedsOnlyTheRequestedName() {
    assertThat(
            decide("accept git.example.com:22 ssh", "git.example.com", 22, Starts.sshBanner())
                .accepted())
        .isTrue();
  }

  @Test
  void aRequestByAddressNeverMatchesANameRuleWhateverTheSni() {
    Decision d =
        decide(
            "accept *.example.com:443 tls",
            "93.184.215.14",
            443,
            Starts.clientHello("www.example.com"));
    assertThat(d.refused()).isTrue();
  }

  @Test
  void aQualifiedRuleStillOpensNoPrivateAddress() {
    InetAddress loopback = ((Host.Address) HostParser.parse("127.0.0.1")).address();
    Decision d =
        Policy.parse("accept *:443 tls")
            .decide(
                Request.of("127.0.0.1", 443),
                loopback,
                OwnAddresses.NONE,
                StreamStart.of(ByteBuffer.wrap(Starts.clientHello(null)), true));
    assertThat(d.refused()).isTrue();
    assertThat(d.reason()).contains("special-purpose");
  }

  @Test
  void bothAClientsRulesAndTheGlobalRulesMaySeeTheBytes() {
    ExitPolicy p =
        Policy.combine(
            Policy.parse("client alice", "accept *.example.com:443 tls"),
            Policy.parse("global", "accept *:443"));
    StreamStart hello =
        StreamStart.of(ByteBuffer.wrap(Starts.clientHello("www.example.com")), true);
    Decision d = p.decide(Request.of("www.example.com", 443), PUBLIC, OwnAddresses.NONE, hello);
    assertThat(d.accepted()).isTrue();
    assertThat(d.seen()).isPresent();
    assertThat(d.reason()).endsWith("and global rule 1 'accept *:443' (tls, SNI www.example.com)");
    assertThat(p.decide(Request.of("www.example.com", 443), PUBLIC, OwnAddresses.NONE).awaiting())
        .isTrue();
  }

  @Test
  void aStreamTheGlobalRulesRefuseWhateverItsBytesIsRefusedAtOnceNotKeptWaiting() {
    ExitPolicy p =
        Policy.combine(
            Policy.parse("client alice", "accept *:443 tls"),
            Policy.parse("global", "accept *:80"));
    Decision d = p.decide(Request.of("93.184.215.14", 443), PUBLIC, OwnAddresses.NONE);
    assertThat(d.refused()).as(d.reason()).isTrue();
    assertThat(d.policy()).isEqualTo("global");
  }

  @Test
  void theBytesAreReadNotMoved() {
    ByteBuffer b = ByteBuffer.wrap(Starts.clientHello("www.example.com"));
    int limit = b.limit();
    decide("accept *:443 tls", "93.184.215.14", 443, null);
    Policy.parse("accept *:443 tls")
        .decide(
            Request.of("93.184.215.14", 443), PUBLIC, OwnAddresses.NONE, StreamStart.of(b, false));
    assertThat(b.position()).isZero();
    assertThat(b.limit()).isEqualTo(limit);
  }
}
