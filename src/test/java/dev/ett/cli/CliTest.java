package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: the README's commands behave as written, and mistakes get one clear line.
 */
class CliTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int level =
        dev.ett.util.Log.level(); // `connect` silences the log, `-v` raises it: not for later tests
    try {
      int status = Main.run(args);
      return new Run(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      dev.ett.util.Log.setLevel(level);
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void keygenWritesAPrivateKeyOnlyTheOwnerCanReadAndPrintsThePublicKey() throws Exception {
    Path key = dir.resolve("server.key");
    Run r = run("keygen", key.toString());
    assertThat(r.status()).isZero();
    String pub = r.out().trim();
    assertThat(pub).hasSize(44);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("server.key.pub")).trim()).isEqualTo(pub);
    assertThat(Files.readString(key)).doesNotContain(pub);

    Run p = run("pubkey", key.toString());
    assertThat(p.status()).isZero();
    assertThat(p.out().trim()).isEqualTo(pub);
  }

  @Test
  void keygenWithANameWritesAPubLineTheAuthorizedFileTakesAsItIs() throws Exception {
    Path alice = dir.resolve("alice.key");
    Path bob = dir.resolve("bob.key");
    Run a = run("keygen", "--name", "alice", alice.toString());
    Run b = run("keygen", "--name", "bob@laptop", bob.toString());
    assertThat(a.status()).isZero();
    assertThat(b.status()).isZero();
    String alicePub = Files.readString(dir.resolve("alice.key.pub"));
    assertThat(alicePub).matches("[A-Za-z0-9+/]{43}= alice\n");
    assertThat(a.out().trim()).as("printed: the same line").isEqualTo(alicePub.trim());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(alice)))
        .isEqualTo("rw-------");

    // The operator appends the .pub lines to the authorized file, as they are.
    Path authorized = dir.resolve("authorized");
    Files.writeString(
        authorized, alicePub + Files.readString(dir.resolve("bob.key.pub")) + "# end\n");
    var clients = dev.ett.config.AuthorizedFile.read(authorized);
    byte[] aliceKey = dev.ett.config.KeyFile.parsePublic(alicePub.split(" ")[0]);
    assertThat(clients.lookup(aliceKey).map(dev.ett.config.AuthorizedClient::name))
        .contains("alice");
    assertThat(clients.size()).isEqualTo(2);

    // The named .pub is still a public key file (--server-key FILE), and pubkey agrees.
    assertThat(dev.ett.config.KeyFile.readPublic(dir.resolve("alice.key.pub"))).isEqualTo(aliceKey);
    assertThat(run("pubkey", alice.toString()).out().trim()).isEqualTo(alicePub.split(" ")[0]);
  }

  @Test
  void keygenRefusesANameTheAuthorizedFileWouldRefuse() {
    Run r = run("keygen", "--name", "alice!", dir.resolve("k").toString());
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("name: 'alice!' (expected: 1~64 characters");
    assertThat(dir.resolve("k")).doesNotExist();
  }

  @Test
  void keygenRefusesToOverwriteAKey() {
    Path key = dir.resolve("k");
    assertThat(run("keygen", key.toString()).status()).isZero();
    Run again = run("keygen", key.toString());
    assertThat(again.status()).isNotZero();
    assertThat(again.err()).startsWith("ett: ");
  }

  @Test
  void pubkeyRefusesAKeyOthersCanRead() throws Exception {
    Path key = dir.resolve("k");
    run("keygen", key.toString());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    Run r = run("pubkey", key.toString());
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("chmod 600").doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void serverRefusesAPublicKeyAsItsKeyAndSaysSo() throws Exception {
    Path key = dir.resolve("server.key");
    run("keygen", key.toString());
    Path authorized = Files.writeString(dir.resolve("authorized"), "");
    Run r =
        run(
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            key + ".pub",
            "--authorized",
            authorized.toString());
    assertThat(r.status()).isNotZero();
    assertThat(r.err())
        .startsWith("ett: " + key + ".pub: holds a public key")
        .contains("server.key, not server.key.pub")
        .doesNotContain("chmod");

    // What the old advice led to: chmod 600 on the .pub. Still refused.
    Files.setPosixFilePermissions(
        Path.of(key + ".pub"), PosixFilePermissions.fromString("rw-------"));
    Run p = run("pubkey", key + ".pub");
    assertThat(p.status()).isNotZero();
    assertThat(p.err()).startsWith("ett: " + key + ".pub: holds a public key");
  }

  @Test
  void aMissingKeySaysItIsNotFound() {
    Run r = run("pubkey", dir.resolve("nosuch.key").toString());
    assertThat(r.status()).isNotZero();
    assertThat(r.err().trim()).isEqualTo("ett: " + dir.resolve("nosuch.key") + ": not found");
  }

  @Test
  void selftestRunsTheNoiseVectorsAndPrintsTheTally() throws Exception {
    Path vectors = Path.of("src/test/resources/noise-vectors");
    Run r =
        run(
            "selftest",
            "--vectors",
            vectors.resolve("cacophony.txt").toString(),
            vectors.resolve("snow.txt").toString(),
            vectors.resolve("noise-c-basic.txt").toString());
    assertThat(r.status()).isZero();
    assertThat(r.out().trim()).matches("[1-9][0-9]* passed, 0 failed");
  }

  @Test
  void clientWithABadForwardSaysWhatItExpected() throws Exception {
    Path key = dir.resolve("k");
    run("keygen", key.toString());
    String pub = run("pubkey", key.toString()).out().trim();
    Run r =
        run(
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            pub,
            "--key",
            key.toString(),
            "-L",
            "9000:nohost");
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("[BIND:]PORT:HOST:HOSTPORT");
  }

  @Test
  void aDestinationNameTheWireDoesNotCarryIsRefusedAtStartWhereverItIsGiven() throws Exception {
    // Destination#nameProblem, the rule every front applies: refused before any link, with a
    // message that names the option and the offending byte but prints no raw control character.
    Path key = dir.resolve("k");
    run("keygen", key.toString());
    String pub = run("pubkey", key.toString()).out().trim();
    String rule = "(expected: 1~255 characters, each printable ASCII other than space, 0x21~0x7e)";

    Run forward =
        run(
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            pub,
            "--key",
            key.toString(),
            "-L",
            "9000:a b.example:80");
    assertThat(forward.status()).isNotZero();
    assertThat(forward.err())
        .isEqualTo(
            "ett: -L 9000:a b.example:80: destination name: character 0x20 at offset 1 "
                + rule
                + "\n");

    Run via =
        run(
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            pub,
            "--key",
            key.toString(),
            "--via",
            "a\tb:7000=" + pub,
            "-L",
            "9000:h:1");
    assertThat(via.status()).isNotZero();
    assertThat(via.err())
        .isEqualTo(
            "ett: --via a\\tb:7000: hop a\\tb:7000: name: character 0x09 at offset 1 "
                + rule
                + "\n");

    Run connect =
        run(
            "connect",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            pub,
            "--key",
            key.toString(),
            "a\nb.example",
            "22");
    assertThat(connect.status()).isNotZero();
    assertThat(connect.err())
        .isEqualTo("ett: HOST a\\nb.example: name: character 0x0a at offset 1 " + rule + "\n");
  }

  @Test
  void clientWithAMalformedServerKeyIsRefused() throws Exception {
    Path key = dir.resolve("k");
    run("keygen", key.toString());
    Run r =
        run(
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            "not-a-key",
            "--key",
            key.toString(),
            "-L",
            "9000:h:1");
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).startsWith("ett: ");
  }

  @Test
  void clientOptionsCanComeFromAnArgumentFileWithTheRouteInOrder() throws Exception {
    Path key = dir.resolve("k");
    run("keygen", key.toString());
    String pub = run("pubkey", key.toString()).out().trim();
    Path conf = dir.resolve("client.conf");
    Files.writeString(
        conf,
        "# alice's route\n--key "
            + key
            + "\n--server 127.0.0.1:1\n--server-key "
            + pub
            + "\n--via 127.0.0.1:2=not-a-key\n-L 9000:h:1\n");
    Run r = run("client", "@" + conf);
    // The file was read: its malformed --via is what the client complains about.
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).startsWith("ett: ").contains("--via");
  }
}
