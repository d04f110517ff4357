package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.policy.Policy;
import dev.ett.policy.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuthorizedFileTest {
  private static final String ALICE = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  private static final String BOB = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

  @Test
  void parsesClientsWithOptionalRulesCommentsAndBlankLines() throws Exception {
    Authorized auth =
        AuthorizedFile.parse(
            "authorized",
            """
            # ett authorized clients

            %s alice   # no rules of her own
            %s bob accept *.example.com:443, accept 10.1.0.0/16:22,80
            """
                .formatted(ALICE, BOB));

    assertThat(auth.size()).isEqualTo(2);
    AuthorizedClient alice = auth.lookup(KeyFile.parsePublic(ALICE)).orElseThrow();
    assertThat(alice.name()).isEqualTo("alice");
    assertThat(alice.rules()).isEmpty();
    AuthorizedClient bob = auth.lookup(KeyFile.parsePublic(BOB)).orElseThrow();
    assertThat(bob.rules().orElseThrow().toString())
        .isEqualTo("accept *.example.com:443, accept 10.1.0.0/16:22,80");
    assertThat(bob.rules().orElseThrow().name()).isEqualTo("client bob");
    assertThat(auth.lookup(new byte[32])).isEmpty();
    assertThat(auth.lookup(new byte[3])).isEmpty();
  }

  @Test
  void clientRulesNarrowTheGlobalPolicy() throws Exception {
    Authorized auth =
        AuthorizedFile.parse("authorized", ALICE + " alice\n" + BOB + " bob accept *:443\n");
    Policy global = Policy.parse("global", "accept *:80, accept *:443");
    AuthorizedClient alice = auth.lookup(KeyFile.parsePublic(ALICE)).orElseThrow();
    AuthorizedClient bob = auth.lookup(KeyFile.parsePublic(BOB)).orElseThrow();

    assertThat(alice.exitPolicy(global).decide(Request.of("8.8.8.8", 80)).accepted()).isTrue();
    assertThat(bob.exitPolicy(global).decide(Request.of("8.8.8.8", 80)).reason())
        .isEqualTo("refused by client bob: no rule matched 8.8.8.8:80");
    assertThat(bob.exitPolicy(global).decide(Request.of("8.8.8.8", 443)).accepted()).isTrue();
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          ALICE alice\\nALICE carol      | authorized:2: duplicate key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= (already on line 1)
          ALICE alice\\n#\\nBOB Alice     | authorized:3: duplicate name 'Alice' (already on line 1)
          ALICE                          | authorized:1: missing client name (expected: PUBKEY NAME [RULE, RULE, ...])
          \\nAAAA bob                    | authorized:2: public key 'AAAA': 4 characters (expected: 44 base64 characters encoding 32 bytes)
          ALICE -alice                   | authorized:1: name: '-alice' (expected: 1~64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit)
          ALICE alice allow *:*          | authorized:1: 'allow *:*': expected 'accept' or 'reject'
          ALICE alice accept *:99999     | authorized:1: rule 1 'accept *:99999': port 99999 (expected: 1~65535)
          """)
  void malformedLinesAreReportedWithFileAndLine(String content, String message) {
    String text = content.replace("\\n", "\n").replace("ALICE", ALICE).replace("BOB", BOB);
    assertThatThrownBy(() -> AuthorizedFile.parse("authorized", text))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void readRefusesAFileOthersCanWrite(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("authorized");
    Files.writeString(path, ALICE + " alice\n");
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(AuthorizedFile.read(path).size()).isEqualTo(1);

    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-r--"));
    assertThatThrownBy(() -> AuthorizedFile.read(path))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lets group or others add clients; run chmod go-w " + path);
  }

  @Test
  void clientHidesItsKeyArrayAndPrintsItsFingerprint() throws Exception {
    byte[] key = KeyFile.parsePublic(ALICE);
    AuthorizedClient c = new AuthorizedClient("alice", key, java.util.Optional.empty());
    key[0] = 42;
    assertThat(c.publicKey()[0]).isEqualTo((byte) 0);
    c.publicKey()[1] = 42;
    assertThat(c.publicKey()[1]).isEqualTo((byte) 1);
    assertThat(c).hasToString("alice (" + KeyFile.fingerprint(c.publicKey()) + ")");
    assertThat(c)
        .isEqualTo(
            new AuthorizedClient("alice", KeyFile.parsePublic(ALICE), java.util.Optional.empty()));
  }

  @Test
  void listenItemsAreTheClientsListenRulesAndTheRestItsExitPolicy() throws Exception {
    Authorized auth =
        AuthorizedFile.parse(
            "authorized",
            "%s alice listen 127.0.0.1:8080 pool web, accept *:80,443, listen 0.0.0.0:10000-10100\n%s bob listen *:*\n"
                .formatted(ALICE, BOB));
    AuthorizedClient alice = auth.clients().get(0);
    assertThat(alice.listen().toString())
        .isEqualTo("listen 127.0.0.1:8080 pool web, listen 0.0.0.0:10000-10100");
    assertThat(alice.rules().orElseThrow().toString()).isEqualTo("accept *:80,443");
    AuthorizedClient bob = auth.clients().get(1);
    assertThat(bob.listen().toString()).isEqualTo("listen *:*");
    assertThat(bob.rules()).isEmpty();
    assertThatThrownBy(
            () -> AuthorizedFile.parse("authorized", ALICE + " alice listen example.com:80"))
        .hasMessageStartingWith("authorized:1: address: 'example.com'");
  }
}
