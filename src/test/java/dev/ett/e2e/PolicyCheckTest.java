package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.cli.Main;
import dev.ett.config.KeyFile;
import dev.ett.noise.X25519;
import dev.ett.testing.FakeNameServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: {@code ett policy check} answers "would alice reach db.internal:5432, and
 * why" with the server's own files, resolution and policy code, one line per address.
 */
class PolicyCheckTest {
  @TempDir Path dir;
  Path authorized;
  Path hosts;
  String aliceKey = KeyFile.encode(X25519.generate().publicKey());

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

  @BeforeEach
  void files() throws Exception {
    authorized = dir.resolve("authorized");
    Files.writeString(
        authorized,
        aliceKey
            + " alice accept 10.0.0.0/8:5432, accept *.example.com:443\n"
            + KeyFile.encode(X25519.generate().publicKey())
            + " bob reject *:5432, accept *:*\n");
    Files.setPosixFilePermissions(authorized, PosixFilePermissions.fromString("rw-------"));
    hosts = dir.resolve("hosts");
    Files.writeString(
        hosts,
        "10.0.0.5 db.internal\n127.0.0.1 rebind.test\n10.0.0.6 multi.internal\n93.184.215.14 multi.internal\n");
  }

  private Run check(String client, String destination, String... policy) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "policy",
                "check",
                "--authorized",
                authorized.toString(),
                "--hosts",
                hosts.toString()));
    for (String p : policy) {
      args.add("--policy");
      args.add(p);
    }
    args.add(client);
    args.add(destination);
    return run(args.toArray(String[]::new));
  }

  @Test
  void aliceReachesTheDatabaseBecauseHerRuleAndAGlobalRuleNameIt() {
    Run r = check("alice", "db.internal:5432", "accept 10.0.0.0/8:5432", "reject *:*");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("request: db.internal:5432 resolves to 1 address(es)")
        .contains(
            "10.0.0.5:5432  ACCEPT  accepted by client alice rule 1 'accept 10.0.0.0/8:5432' and global rule 1 'accept 10.0.0.0/8:5432'")
        .contains("verdict: alice may connect to db.internal:5432");
  }

  @Test
  void withoutAGlobalRuleNamingThePrivateRangeTheDatabaseIsRefused() {
    Run r = check("alice", "db.internal:5432", "accept *:*");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "10.0.0.5:5432  REJECT  refused by global: 10.0.0.5 is special-purpose (private-use, 10.0.0.0/8) and no accept rule names it; rule 1 'accept *:*' does not open it")
        .contains("verdict: alice is refused db.internal:5432 (not allowed by policy)");
  }

  @Test
  void bobsOwnRuleRefusesWhatTheGlobalPolicyAllows() {
    Run r = check("bob", "db.internal:5432", "accept 10.0.0.0/8:*");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains("10.0.0.5:5432  REJECT  refused by client bob rule 1 'reject *:5432'");
  }

  @Test
  void numericSpellingsAreShownAsTheAddressTheyAre() {
    for (String host :
        new String[] {"127.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "rebind.test"}) {
      Run r = check("bob", host + ":80", "accept *:*");
      assertThat(r.status()).as(host).isEqualTo(1);
      assertThat(r.out())
          .as(host)
          .contains(
              "127.0.0.1:80  REJECT  refused by client bob: 127.0.0.1 is special-purpose (loopback, 127.0.0.0/8)");
    }
    Run named = check("alice", "127.1:80", "accept 127.0.0.0/8:80");
    assertThat(named.status()).isEqualTo(1); // alice's own rules do not name 127.0.0.1
    assertThat(named.out())
        .contains("request: 127.1:80 is the address 127.0.0.1:80")
        .contains("127.0.0.1:80  REJECT  refused by client alice");
  }

  @Test
  void everyResolvedAddressGetsItsOwnLine() {
    Run r = check("bob", "multi.internal:443", "accept *:443");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("10.0.0.6:443  REJECT  refused by client bob: 10.0.0.6 is special-purpose")
        .contains(
            "93.184.215.14:443  ACCEPT  accepted by client bob rule 2 'accept *:*' and global rule 1 'accept *:443'");
  }

  @Test
  void noRuleRefusesEverythingAndSaysSo() {
    Run r = check("bob", "93.184.215.14:443");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains("global:  (no rule: refuses everything)")
        .contains("REJECT  refused by global: no rule matched 93.184.215.14:443");
  }

  @Test
  void namesNotInTheHostsFileAreAskedOfTheNameServersGivenWithDns() throws Exception {
    java.net.InetAddress www = java.net.InetAddress.getByName("93.184.215.14");
    try (FakeNameServer dns =
        FakeNameServer.start(
            java.util.Map.of("www.test", java.util.List.of(www)),
            n -> n.endsWith(".invalid"),
            300)) {
      String[] common = {
        "policy",
        "check",
        "--authorized",
        authorized.toString(),
        "--hosts",
        hosts.toString(),
        "--dns",
        "127.0.0.1:" + dns.address().getPort(),
        "--resolve-timeout",
        "500ms",
        "--policy",
        "accept *:443"
      };
      Run r = run(concat(common, "bob", "www.test:443"));
      assertThat(r.status()).isZero();
      assertThat(r.out())
          .contains("request: www.test:443 resolves to 1 address(es)")
          .contains("93.184.215.14:443  ACCEPT");
      Run hosts = run(concat(common, "bob", "multi.internal:443"));
      assertThat(hosts.out()).contains("93.184.215.14:443  ACCEPT");
      assertThat(dns.queries("multi.internal")).as("--hosts comes before DNS").isZero();
      Run hangs = run(concat(common, "bob", "never.invalid:443"));
      assertThat(hangs.status()).isEqualTo(1);
      assertThat(hangs.out())
          .contains("never.invalid:443: refused (timed out): name did not resolve within 0.5 s");
      Run nx = run(concat(common, "bob", "nosuch.test:443"));
      assertThat(nx.out())
          .contains("nosuch.test:443: refused (host unreachable): name does not resolve");
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void theWebPresetOpensOnlyHttpToPort80AndTlsToPort443() throws Exception {
    assertThat(check("bob", "93.184.215.14:22", "web").status()).isEqualTo(1);
    assertThat(check("bob", "93.184.215.14:443", "web").status())
        .as("no bytes given: it depends")
        .isEqualTo(3);
    assertThat(
            checkWithBytes(capture("curl-clienthello"), "bob", "93.184.215.14:443", "web").status())
        .isZero();
    assertThat(checkWithBytes(capture("curl-http-get"), "bob", "93.184.215.14:80", "web").status())
        .isZero();
    assertThat(checkWithBytes(capture("curl-http-get"), "bob", "93.184.215.14:443", "web").status())
        .isEqualTo(1);
    assertThat(checkWithBytes(capture("ssh-ident"), "bob", "93.184.215.14:443", "web").status())
        .isEqualTo(1);
  }

  // --first-bytes: the captured start of a stream, decided on as the server would once it holds
  // all of it. Captures are real (curl, OpenSSH) from the inspect tests' resources.

  /** A capture from src/test/resources/dev/ett/inspect/, copied into the test's directory. */
  private Path capture(String name) throws Exception {
    Path copy = dir.resolve(name);
    if (!Files.exists(copy)) {
      try (var in = PolicyCheckTest.class.getResourceAsStream("/dev/ett/inspect/" + name)) {
        Files.write(copy, in.readAllBytes());
      }
    }
    return copy;
  }

  private Path bytesFile(String name, byte[] content) throws Exception {
    return Files.write(dir.resolve(name), content);
  }

  private Run checkWithBytes(Path firstBytes, String client, String destination, String... policy) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "policy",
                "check",
                "--authorized",
                authorized.toString(),
                "--hosts",
                hosts.toString()));
    for (String p : policy) {
      args.add("--policy");
      args.add(p);
    }
    args.add("--first-bytes");
    args.add(firstBytes.toString());
    args.add(client);
    args.add(destination);
    return run(args.toArray(String[]::new));
  }

  @Test
  void withoutFirstBytesAQualifiedRuleSaysTheDecisionDependsOnThemAndExitsThree() {
    Run r = check("bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isEqualTo(3);
    assertThat(r.out())
        .contains(
            "93.184.215.14:443  WAIT  waiting for the first bytes: global rule 1 'accept *:443 tls' needs a TLS ClientHello")
        .contains(
            "verdict: bob's stream to 93.184.215.14:443 depends on its first bytes: global rule 1 'accept *:443 tls'"
                + " needs a TLS ClientHello; give --first-bytes FILE to decide");
  }

  @Test
  void aCurlClientHelloPassesATlsRuleAndItsSniIsShown() throws Exception {
    Run r =
        checkWithBytes(capture("curl-clienthello"), "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains(
            "bytes:   517 bytes from "
                + dir.resolve("curl-clienthello")
                + ": a TLS ClientHello (tls, SNI www.example.com)")
        .contains(
            "93.184.215.14:443  ACCEPT  accepted by client bob rule 2 'accept *:*' and global rule 1 'accept *:443 tls'"
                + " (tls, SNI www.example.com)")
        .contains("verdict: bob may connect to 93.184.215.14:443");
  }

  @Test
  void anSshBannerOnPort443IsRefusedWithWhatWasExpectedAndSeen() throws Exception {
    Run r = checkWithBytes(capture("ssh-ident"), "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "bytes:   40 bytes from "
                + dir.resolve("ssh-ident")
                + ": an SSH identification string (ssh)")
        .contains(
            "93.184.215.14:443  REJECT  refused by global: rule 1 'accept *:443 tls' expected a TLS ClientHello, saw an SSH banner")
        .contains("verdict: bob is refused 93.184.215.14:443 on its first bytes");
  }

  @Test
  void theSniMustMatchANameRuleAndARequestByAddressNeverMatchesOne() throws Exception {
    Files.writeString(
        hosts,
        "93.184.215.14 www.example.com evil.example localhost.example.com\n",
        java.nio.file.StandardOpenOption.APPEND);
    Path www = bytesFile("www", dev.ett.inspect.Starts.clientHello("www.example.com"));
    Path evil = bytesFile("evil", dev.ett.inspect.Starts.clientHello("evil.example"));
    String rule = "accept *.example.com:443 tls";
    assertThat(checkWithBytes(www, "bob", "www.example.com:443", rule).status()).isZero();
    Run wrongSni = checkWithBytes(evil, "bob", "www.example.com:443", rule);
    assertThat(wrongSni.status()).isEqualTo(1);
    assertThat(wrongSni.out())
        .contains(
            "REJECT  refused by global: rule 1 '"
                + rule
                + "' SNI evil.example does not match *.example.com");
    Run byAddress = checkWithBytes(www, "bob", "93.184.215.14:443", rule);
    assertThat(byAddress.status()).isEqualTo(1);
    assertThat(byAddress.out())
        .contains("REJECT  refused by global: no rule matched 93.184.215.14:443");
  }

  @Test
  void aMismatchFallsThroughToTheNextRule() throws Exception {
    Run r =
        checkWithBytes(
            capture("ssh-ident"), "bob", "93.184.215.14:443", "accept *:443 tls, accept *:443 ssh");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains(
            "ACCEPT  accepted by client bob rule 2 'accept *:*' and global rule 2 'accept *:443 ssh' (ssh)");
  }

  @Test
  void anHttpRequestShowsItsHostAndAnUnqualifiedRuleIgnoresTheBytes() throws Exception {
    Run http =
        checkWithBytes(capture("curl-http-get"), "bob", "93.184.215.14:80", "accept *:80 http");
    assertThat(http.status()).isZero();
    assertThat(http.out())
        .containsPattern(
            "bytes:   95 bytes from .*curl-http-get: an HTTP/1.x request \\(http, Host [^)]+\\)");
    Run plain = checkWithBytes(capture("ssh-ident"), "bob", "93.184.215.14:80", "accept *:80");
    assertThat(plain.status()).isZero();
    assertThat(plain.out())
        .contains(
            "ACCEPT  accepted by client bob rule 2 'accept *:*' and global rule 1 'accept *:80'");
  }

  @Test
  void anEmptyCaptureIsAStreamThatSentNothing() throws Exception {
    Run r =
        checkWithBytes(
            bytesFile("empty", new byte[0]), "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains("bytes:   0 bytes from")
        .contains("expected a TLS ClientHello, saw no data");
  }

  @Test
  void onlyTheFirst16KiBOfALargerFileCountAndTheOutputSaysSo() throws Exception {
    byte[] big = new byte[20_000];
    byte[] get = dev.ett.inspect.Starts.httpGet("a.example");
    System.arraycopy(get, 0, big, 0, get.length); // a complete request, then zeros past it
    Run r = checkWithBytes(bytesFile("big", big), "bob", "93.184.215.14:80", "accept *:80 http");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains(
            "bytes:   the first 16384 bytes from "
                + dir.resolve("big")
                + " (it holds more; the server holds at most 16 KiB):");
    byte[] endless = new byte[20_000];
    byte[] line = "GET / HTTP/1.1\r\nHost: a.example\r\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(line, 0, endless, 0, line.length);
    java.util.Arrays.fill(endless, line.length, endless.length, (byte) 'x');
    Run headers =
        checkWithBytes(
            bytesFile("endless", endless), "bob", "93.184.215.14:80", "accept *:80 http");
    assertThat(headers.status()).isEqualTo(1);
    assertThat(headers.out())
        .contains("expected an HTTP/1.x request, saw HTTP request headers longer than 16384 bytes");
  }

  @Test
  void aPcapFileGivenForTheStreamsBytesIsPointedOut() throws Exception {
    byte[] pcap = new byte[24]; // a pcap global header, little-endian: what tcpdump -w writes first
    pcap[0] = (byte) 0xd4;
    pcap[1] = (byte) 0xc3;
    pcap[2] = (byte) 0xb2;
    pcap[3] = (byte) 0xa1;
    Run r =
        checkWithBytes(
            bytesFile("capture.pcap", pcap), "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out())
        .contains("24 bytes of unknown data (this is a pcap file, not a stream's bytes");
  }

  @Test
  void aFirstBytesFileThatCannotBeReadIsOneClearError() {
    Path missing = dir.resolve("nosuch");
    Run r = checkWithBytes(missing, "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err().trim()).isEqualTo("ett: --first-bytes " + missing + ": not found");
    Run d = checkWithBytes(dir, "bob", "93.184.215.14:443", "accept *:443 tls");
    assertThat(d.status()).isEqualTo(1);
    assertThat(d.err().trim()).isEqualTo("ett: --first-bytes " + dir + ": is a directory");
  }

  @Test
  void theUsageDocumentsFirstBytesAndTheExitStatuses() {
    Run r = run("policy", "check"); // the usage as every command prints it, after the usage error
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .contains("--first-bytes=FILE")
        .contains("Exit status:")
        .contains("3   it depends on the stream's first bytes");
  }

  @Test
  void aClientCanBeNamedByItsKeyAndAnUnknownOneIsAnError() {
    assertThat(check(aliceKey, "x.example.com:443", "accept *:443").out())
        .contains("client:  alice (");
    Run r = check("carol", "x.example.com:443", "accept *:443");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("ett: client: 'carol' is not in").contains("[alice, bob]");
  }

  /** A non-loopback IPv4 address of this machine, or null if it has none. */
  static String anAddressOfThisMachine() throws Exception {
    return NetworkInterface.networkInterfaces()
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .map(InetAddress::getHostAddress)
        .findFirst()
        .orElse(null);
  }

  @Test
  void anAddressOfThisMachineIsClosedUnlessARuleNamesIt() throws Exception {
    String own = anAddressOfThisMachine();
    assumeTrue(own != null, "this machine has no IPv4 address besides loopback");
    Files.writeString(
        authorized, aliceKey + " alice\n"); // no rules of her own: only the global ones decide
    Run wildcard = check("alice", own + ":80", "accept *:*");
    assertThat(wildcard.status()).isEqualTo(1);
    assertThat(wildcard.out())
        .contains(
            own
                + ":80  REJECT  refused by global: "
                + own
                + " is an address of this server; closed unless a rule names it; rule 1 'accept *:*' does not open it");
    String subnet = own.substring(0, own.lastIndexOf('.')) + ".0/24";
    assertThat(check("alice", own + ":80", "accept " + subnet + ":80, accept private").status())
        .as("neither its subnet nor private names it")
        .isEqualTo(1);
    Run named = check("alice", own + ":80", "accept *:*, accept " + own + ":80");
    assertThat(named.status()).isZero();
    assertThat(named.out())
        .contains(own + ":80  ACCEPT  accepted by global rule 2 'accept " + own + ":80'");
  }
}
