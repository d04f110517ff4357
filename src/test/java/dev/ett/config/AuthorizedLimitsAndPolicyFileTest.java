package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.policy.Limits;
import dev.ett.policy.Policy;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthorizedLimitsAndPolicyFileTest {
  private static final String ALICE = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  private static final String BOB = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

  @Test
  void limitWordsComeBetweenTheNameAndTheRules() throws Exception {
    Authorized auth =
        AuthorizedFile.parse(
            "authorized",
            ALICE + " alice streams=10 rate=5 accept *:443\n" + BOB + " bob burst=3\n");
    AuthorizedClient alice = auth.lookup(KeyFile.parsePublic(ALICE)).orElseThrow();
    assertThat(alice.limits()).isEqualTo(new Limits(10, 5, Limits.INHERIT, Limits.INHERIT));
    assertThat(alice.rules().orElseThrow().toString()).isEqualTo("accept *:443");
    AuthorizedClient bob = auth.lookup(KeyFile.parsePublic(BOB)).orElseThrow();
    assertThat(bob.limits())
        .isEqualTo(new Limits(Limits.INHERIT, Limits.INHERIT, 3, Limits.INHERIT));
    assertThat(bob.rules()).isEmpty();
    assertThat(bob.toString()).contains("burst=3");
  }

  @Test
  void aBadLimitIsReportedWithFileAndLine() {
    assertThatThrownBy(
            () ->
                AuthorizedFile.parse("authorized", "\n" + ALICE + " alice streams=lots accept *:*"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "authorized:2: limit 'streams=lots': value 'lots' (expected: 0 (no limit) ~ 999999999)");
  }

  @Test
  void globalRulesComeFromArgumentsThenTheFileAndPresetsExpand() throws Exception {
    Policy p =
        PolicyFile.global(
            List.of("reject *:25", "web"),
            "rules",
            "# comment\n\naccept 127.0.0.1:8080 # local app\n");
    assertThat(p.toString())
        .isEqualTo("reject *:25, accept *:80 http, accept *:443 tls, accept 127.0.0.1:8080");
    assertThat(p.name()).isEqualTo("global");
    assertThat(PolicyFile.global(List.of(), null, null).isEmpty()).isTrue();
  }

  @Test
  void aBadGlobalRuleNamesItsArgumentOrLine() {
    assertThatThrownBy(
            () -> PolicyFile.global(List.of("accept *:*"), "rules", "accept *:*\nallow *:*\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("rules:2: 'allow *:*': expected 'accept' or 'reject'");
    assertThatThrownBy(() -> PolicyFile.global(List.of("accept *:0"), null, null))
        .hasMessageStartingWith("--policy 'accept *:0': rule 1 'accept *:0': port 0");
  }
}
