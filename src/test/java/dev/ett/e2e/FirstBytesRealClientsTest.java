package dev.ett.e2e;

import static dev.ett.e2e.RealClientsTest.installed;
import static dev.ett.e2e.RealClientsTest.need;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.audit.JsonLines;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.e2e.RealClientsTest.Run;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: rules that name a protocol ({@code accept *:443 tls}, {@code accept
 * *.example.com:443 tls}, {@code accept *:443 ssh}, the {@code web} preset) let the programs people
 * really use through and keep the others out, deciding on the stream's first bytes (PROTOCOL.md
 * §6.1): curl and headless Chromium reach real TLS and HTTP servers, an SNI outside the rule's
 * names is refused, OpenSSH to an sshd on port 443 is refused under {@code tls} and passes under
 * {@code ssh}, garbage is refused at once and a ClientHello that never completes when the time
 * bound is up; a refused stream never reaches its destination, and the audit trail says what was
 * seen.
 *
 * <p>Why namespaces: {@code *} and name rules never open loopback or private addresses, so the
 * destinations must sit on public-looking addresses. {@link Netns} namespace A holds two /32s,
 * {@code 11.45.N.1} (openssl {@code s_server} on 443, Python's http.server on 80) and {@code
 * 11.45.N.2} (an sshd on 443), on A's end of the front veth; the root namespace gets a /32 route to
 * each into that veth. Nothing is routed beyond the namespace: the addresses exist only there, and
 * no packet to them leaves this machine. The servers' names ({@value #WWW}, {@value #EVIL}, {@value
 * #SSH_NAME}) are known only to ett's {@code --hosts} file.
 *
 * <p>ett itself: one {@code ett server} process per policy, in the root namespace on loopback, with
 * {@code --first-bytes-timeout 2s} and an audit trail, each with an in-process client and its
 * {@code -D} SOCKS port. Skipped, with the reason, without root or namespaces (see {@link Netns})
 * or where a program is missing ({@code .ci/run} installs them).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FirstBytesRealClientsTest {
  static final String WWW = "www.example.com", EVIL = "evil.example", SSH_NAME = "ssh.example.com";
  static final String TLS_PAGE = "hello over tls", HTTP_PAGE = "hello over http";
  static final Duration FIRST_BYTES_TIMEOUT = Duration.ofSeconds(2);

  static Netns net;
  static String skipped;
  static Path dir;
  static String webAddr, sshAddr; // 11.45.N.1, 11.45.N.2
  static Netns.Child tlsServer, httpServer, sshd;
  static Path cert, userKey;
  static final KeyPair serverKey = X25519.generate(), clientKey = X25519.generate();
  static Exit tls, sni, ssh, web;
  static final List<Exit> exits = new ArrayList<>();
  static final List<Netns.Child> ettServers =
      new ArrayList<>(); // in the root namespace: ours to end

  /** An ett server process with one policy, and an in-process client with a SOCKS port. */
  record Exit(
      String name, Netns.Child server, Path audit, Client client, ProxyFront front, int proxyPort) {
    String proxy() {
      return "127.0.0.1:" + proxyPort;
    }

    /** The audit trail's events of {@code type} so far. */
    List<Map<String, Object>> events(String type) throws IOException {
      return Files.exists(audit)
          ? JsonLines.read(audit).stream().filter(e -> type.equals(e.get("event"))).toList()
          : List.of();
    }

    /**
     * The event of {@code type} after the first {@code before} ones, once written (10 s at most).
     */
    Map<String, Object> awaitEvent(String type, int before) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (events(type).size() <= before) {
        assertThat(System.nanoTime()).as("no new " + type + told(this)).isLessThan(deadline);
        Thread.sleep(50);
      }
      return events(type).get(before);
    }
  }

  @BeforeAll
  @Timeout(
      value = 150,
      unit = TimeUnit.SECONDS) // five JVMs on a loaded machine: seconds usually, once half a minute
  static void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    Netns.Attempt attempt = Netns.attempt("FirstBytesRealClientsTest");
    net = attempt.net();
    skipped = attempt.skipped();
    if (skipped != null) {
      return;
    }
    String used = net.ip("-4", "route", "show") + net.ip("-4", "-o", "addr", "show");
    String prefix;
    do {
      prefix = "11.45." + ThreadLocalRandom.current().nextInt(256) + ".";
    } while (used.contains(prefix));
    webAddr = prefix + "1";
    sshAddr = prefix + "2";
    for (String a : List.of(webAddr, sshAddr)) {
      // The address lives in A only, and A routes nowhere beyond its own links: the root namespace
      // reaches it through the front veth, and nothing sent to it leaves the machine. Address and
      // route go when Netns deletes the veth and the namespace.
      net.ip("-n", net.a, "addr", "add", a + "/32", "dev", net.frontA);
      net.ip("route", "add", a + "/32", "via", net.frontAddr, "dev", net.frontRoot);
    }
    startDestinations();
    startExits();
  }

  static void startDestinations() throws Exception {
    // A TLS server with a self-signed certificate for *.example.com, serving files from tls/.
    Path tlsRoot = Files.createDirectories(dir.resolve("tls")),
        httpRoot = Files.createDirectories(dir.resolve("http"));
    Files.writeString(
        tlsRoot.resolve("index.html"), "<html><body><p id=t>" + TLS_PAGE + "</p></body></html>\n");
    Files.writeString(
        httpRoot.resolve("index.html"),
        "<html><body><p id=t>" + HTTP_PAGE + "</p></body></html>\n");
    if (installed("openssl")) {
      cert = dir.resolve("cert.pem");
      Path key = dir.resolve("key.pem");
      Run req =
          RealClientsTest.run(
              null,
              "openssl",
              "req",
              "-x509",
              "-newkey",
              "ec",
              "-pkeyopt",
              "ec_paramgen_curve:P-256",
              "-nodes",
              "-keyout",
              key.toString(),
              "-out",
              cert.toString(),
              "-days",
              "2",
              "-subj",
              "/CN=" + WWW,
              "-addext",
              "subjectAltName=DNS:" + WWW + ",DNS:*.example.com");
      assertThat(req.status()).as(req.err()).isZero();
      // -WWW serves ./PATH from its working directory; -state prints each handshake's steps, so
      // the test can count the connections that reached it (each starts "before SSL
      // initialization").
      tlsServer =
          net.spawn(
              net.a,
              "s_server",
              List.of(
                  "env",
                  "-C",
                  tlsRoot.toString(),
                  "openssl",
                  "s_server",
                  "-accept",
                  webAddr + ":443",
                  "-cert",
                  cert.toString(),
                  "-key",
                  key.toString(),
                  "-WWW",
                  "-state"));
    }
    if (installed("/usr/bin/python3")) {
      httpServer =
          net.spawn(
              net.a,
              "http.server",
              List.of(
                  "/usr/bin/python3",
                  "-u",
                  "-m",
                  "http.server",
                  "80",
                  "--bind",
                  webAddr,
                  "--directory",
                  httpRoot.toString()));
    }
    if (installed("ssh") && installed("/usr/sbin/sshd")) {
      Path hostKey = dir.resolve("ssh_host_ed25519_key");
      userKey = dir.resolve("id_ed25519");
      for (Path k : List.of(hostKey, userKey)) {
        Run r =
            RealClientsTest.run(
                null, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k.toString());
        assertThat(r.status()).as(r.err()).isZero();
      }
      Path authorizedKeys = Files.copy(Path.of(userKey + ".pub"), dir.resolve("authorized_keys"));
      Files.createDirectories(
          Path.of("/run/sshd")); // sshd's privilege-separation directory; we are root
      Path config = dir.resolve("sshd_config");
      // VERBOSE: sshd logs "Connection from" for every TCP connection, even one that sends nothing.
      Files.writeString(
          config,
          dev.ett.bench.Bench.sshdConfig(sshAddr, 443, hostKey, authorizedKeys)
              + "LogLevel VERBOSE\n");
      sshd =
          net.spawn(net.a, "sshd", List.of("/usr/sbin/sshd", "-D", "-e", "-f", config.toString()));
    }
    if (tlsServer != null) {
      tlsServer.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(20), "ACCEPT");
    }
    if (httpServer != null) {
      httpServer.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(20), "Serving HTTP");
    }
    if (sshd != null) {
      sshd.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(20), "Server listening");
    }
  }

  static void startExits() throws Exception {
    Path sk = dir.resolve("server.key"),
        authorized = dir.resolve("authorized"),
        hosts = dir.resolve("hosts");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    Files.writeString(
        hosts, webAddr + " " + WWW + " " + EVIL + "\n" + sshAddr + " " + SSH_NAME + "\n");
    String[][] policies = {
      {"tls", "accept *:443 tls"},
      {"sni", "accept *.example.com:443 tls"},
      {"ssh", "accept *:443 ssh"},
      {"web", "web"},
    };
    // Started together: the JVMs' start-up overlaps.
    for (String[] p : policies) {
      List<String> cmd =
          NetnsFaultsTest.ett(
              "server",
              "--listen",
              "127.0.0.1:0",
              "--key",
              sk.toString(),
              "--authorized",
              authorized.toString(),
              "--hosts",
              hosts.toString(),
              "--policy",
              p[1],
              "--audit",
              dir.resolve(p[0] + ".audit").toString(),
              "--first-bytes-timeout",
              FIRST_BYTES_TIMEOUT.toSeconds() + "s",
              "--threads",
              "1",
              "-v");
      ettServers.add(
          new Netns.Child(
              "ett-server-" + p[0], new ProcessBuilder(cmd).redirectErrorStream(true).start()));
    }
    Pattern listening = Pattern.compile("ett server listening on /?127\\.0\\.0\\.1:(\\d+)");
    for (int i = 0; i < policies.length; i++) {
      Netns.Child s = ettServers.get(i);
      s.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(90), "ett server listening on");
      Matcher m = listening.matcher(s.output());
      assertThat(m.find()).as(s.output()).isTrue();
      Client client =
          new Client(
              new Client.Options(
                  new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))),
                  serverKey.publicKey(),
                  clientKey,
                  Suite.AESGCM,
                  LinkConfig.defaults(),
                  1024));
      ProxyFront front =
          new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
      int port = front.start().getPort();
      exits.add(
          new Exit(policies[i][0], s, dir.resolve(policies[i][0] + ".audit"), client, front, port));
    }
    for (Exit e : exits) {
      e.client().start().get(20, TimeUnit.SECONDS);
    }
    tls = exits.get(0);
    sni = exits.get(1);
    ssh = exits.get(2);
    web = exits.get(3);
  }

  @BeforeEach
  void onlyWithNamespaces() {
    assumeTrue(skipped == null, () -> skipped);
  }

  @AfterAll
  static void stop() {
    for (Exit e : exits) {
      e.front().close();
      e.client().close();
    }
    ettServers.forEach(s -> s.process.destroyForcibly());
    if (net != null) {
      net.close(); // kills the destinations, deletes the namespaces, the veths and the routes
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  static void needTlsServer() {
    need("curl", "curl");
    assumeTrue(
        tlsServer != null,
        "openssl is not installed (Debian package openssl; .ci/run installs it)");
  }

  /** How many connections have reached the TLS server so far (each prints this at its start). */
  static int tlsConnections() {
    return tlsServer.count("before SSL initialization");
  }

  static Run curl(Exit through, String... args) throws Exception {
    List<String> c =
        new ArrayList<>(
            List.of(
                "curl", "-sS", "-m", "15", "--noproxy", "", "-x", "socks5h://" + through.proxy()));
    c.addAll(List.of(args));
    return RealClientsTest.run(null, c.toArray(String[]::new));
  }

  static String https(String name) {
    return "https://" + name + "/index.html";
  }

  /** What an ett server's log and audit trail said, for a failure message. */
  static String told(Exit e) throws IOException {
    return "\nett server ("
        + e.name()
        + "):\n"
        + e.server().output()
        + "audit:\n"
        + (Files.exists(e.audit()) ? Files.readString(e.audit()) : "");
  }

  // ---- curl and TLS ----------------------------------------------------------------------------

  @Test
  void curlReachesATlsServerOnPort443UnderAcceptStarTls() throws Exception {
    needTlsServer();
    long since = System.nanoTime();
    Run r = curl(tls, "--cacert", cert.toString(), https(WWW));
    assertThat(r.out()).as(r.err() + told(tls)).contains(TLS_PAGE);
    assertThat(r.status()).isZero();
    tlsServer.awaitLine(
        since, Duration.ofSeconds(5), "before SSL initialization"); // what the refusal tests count
  }

  @Test
  void theAuditTrailRecordsTheProtocolAndTheServerNameSeen() throws Exception {
    needTlsServer();
    int opened = tls.events("stream_opened").size(), closed = tls.events("stream_closed").size();
    Run r = curl(tls, "--cacert", cert.toString(), https(WWW));
    assertThat(r.out()).as(r.err() + told(tls)).contains(TLS_PAGE);
    for (Map<String, Object> e :
        List.of(tls.awaitEvent("stream_opened", opened), tls.awaitEvent("stream_closed", closed))) {
      assertThat(e)
          .as(told(tls))
          .containsEntry("requested", WWW + ":443")
          .containsEntry("protocol", "tls")
          .containsEntry("server_name", WWW)
          .containsKey("ech");
    }
  }

  @Test
  void anSniOutsideTheRulesNamesIsRefusedAndNeverReachesTheServer() throws Exception {
    needTlsServer();
    Run www = curl(sni, "--cacert", cert.toString(), https(WWW));
    assertThat(www.out()).as(www.err() + told(sni)).contains(TLS_PAGE);

    int before = tlsConnections(), refused = sni.events("stream_refused").size();
    // The name asked of the proxy is outside *.example.com: refused when the stream opens.
    Run evil = curl(sni, "-k", https(EVIL));
    assertThat(evil.status()).as(evil.err()).isNotZero();
    assertThat(evil.out()).isEmpty();
    // The proxy is asked for www.example.com, but the ClientHello says evil.example (curl's
    // --connect-to): only the SNI can refuse it, on the stream's first bytes.
    Run smuggled = curl(sni, "-k", "--connect-to", EVIL + ":443:" + WWW + ":443", https(EVIL));
    assertThat(smuggled.status()).as(smuggled.err() + told(sni)).isNotZero();
    assertThat(smuggled.out()).isEmpty();
    assertThat(sni.awaitEvent("stream_refused", refused + 1))
        .as(told(sni))
        .containsEntry("requested", WWW + ":443")
        .containsEntry("code", "POLICY")
        .extractingByKey("reason")
        .asString()
        .contains(EVIL);
    assertThat(tlsConnections())
        .as("connections the TLS server saw for the refused streams:\n" + tlsServer.output())
        .isEqualTo(before);
  }

  // ---- ssh on port 443 -------------------------------------------------------------------------

  static Run sshThrough(Exit e) throws Exception {
    String proxyCommand =
        "ncat --proxy " + e.proxy() + " --proxy-type socks5 --proxy-dns remote %h %p";
    return RealClientsTest.run(
        null,
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        userKey.toString(),
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=15",
        "-o",
        "ProxyCommand=" + proxyCommand,
        "-p",
        "443",
        System.getProperty("user.name") + "@" + SSH_NAME,
        "echo ssh-on-443-$((6*7))");
  }

  static void needSsh() {
    need("ncat", "ncat");
    assumeTrue(
        sshd != null,
        "ssh or sshd is not installed (Debian openssh-client, openssh-server; .ci/run installs them)");
  }

  @Test
  void sshToPort443IsRefusedUnderAcceptTlsBeforeItSeesABanner() throws Exception {
    needSsh();
    int before = sshd.count("Connection from"), refused = tls.events("stream_refused").size();
    Run r = sshThrough(tls);
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(255);
    assertThat(r.out()).doesNotContain("ssh-on-443");
    // What OpenSSH says when the connection ends before the server's identification string.
    assertThat(r.err()).as(told(tls)).contains("kex_exchange_identification");
    assertThat(sshd.count("Connection from"))
        .as("sshd saw a connection:\n" + sshd.output())
        .isEqualTo(before);
    assertThat(tls.awaitEvent("stream_refused", refused))
        .containsEntry("requested", SSH_NAME + ":443")
        .containsEntry("code", "POLICY")
        .extractingByKey("reason")
        .asString()
        .contains("expected a TLS ClientHello")
        .containsIgnoringCase("ssh");
  }

  @Test
  void sshToPort443PassesUnderAcceptSsh() throws Exception {
    needSsh();
    long since = System.nanoTime();
    Run r = sshThrough(ssh);
    assertThat(r.out())
        .as(r.err() + told(ssh) + "sshd:\n" + sshd.output())
        .contains("ssh-on-443-42");
    assertThat(r.status()).isZero();
    sshd.awaitLine(since, Duration.ofSeconds(5), "Connection from"); // what the refusal test counts
  }

  // ---- ncat: garbage and a ClientHello that never ends -----------------------------------------

  record Closed(long millis, String out, String err) {}

  /**
   * ncat through {@code e}'s SOCKS port to {@value #WWW}:443, sending {@code bytes} and keeping its
   * input open (no FIN: the exit must decide on the bytes or its clock); how long until ncat ended
   * because the proxy closed the connection.
   */
  static Closed ncatHoldingInputOpen(Exit e, byte[] bytes) throws Exception {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(
                "ncat",
                "--proxy",
                e.proxy(),
                "--proxy-type",
                "socks5",
                "--proxy-dns",
                "remote",
                WWW,
                "443")
            .start();
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    Thread o = RealClientsTest.pipe(p.getInputStream(), out),
        r = RealClientsTest.pipe(p.getErrorStream(), err);
    OutputStream in = p.getOutputStream();
    try {
      in.write(bytes);
      in.flush();
      if (!p.waitFor(FIRST_BYTES_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
        throw new AssertionError(
            "ncat still connected after " + (FIRST_BYTES_TIMEOUT.toSeconds() + 10) + " s");
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      o.join();
      r.join();
      return new Closed(
          ms, out.toString(StandardCharsets.ISO_8859_1), err.toString(StandardCharsets.UTF_8));
    } finally {
      try {
        in.close();
      } catch (IOException ignored) {
        // ncat is gone
      }
      p.destroyForcibly();
    }
  }

  @Test
  void garbageToPort443IsRefusedAtOnce() throws Exception {
    needTlsServer();
    need("ncat", "ncat");
    int before = tlsConnections(), refused = tls.events("stream_refused").size();
    Closed c = ncatHoldingInputOpen(tls, "hello\n".getBytes(StandardCharsets.US_ASCII));
    // Well before the time bound: decided on the bytes, not on the clock.
    assertThat(c.millis()).as(c.err() + told(tls)).isLessThan(FIRST_BYTES_TIMEOUT.toMillis());
    assertThat(c.out()).isEmpty();
    assertThat(tlsConnections()).as(tlsServer.output()).isEqualTo(before);
    assertThat(tls.awaitEvent("stream_refused", refused))
        .containsEntry("code", "POLICY")
        .extractingByKey("reason")
        .asString()
        .contains("expected a TLS ClientHello");
  }

  @Test
  void aClientHelloThatNeverCompletesIsRefusedWhenTheTimeBoundIsUp() throws Exception {
    needTlsServer();
    need("ncat", "ncat");
    int before = tlsConnections(), refused = tls.events("stream_refused").size();
    // A TLS handshake record's first three bytes, then nothing: it could still become a
    // ClientHello.
    Closed c = ncatHoldingInputOpen(tls, new byte[] {0x16, 0x03, 0x01});
    assertThat(c.millis())
        .as(c.err() + told(tls))
        .isBetween(FIRST_BYTES_TIMEOUT.toMillis(), FIRST_BYTES_TIMEOUT.toMillis() + 8_000);
    assertThat(c.out()).isEmpty();
    assertThat(tlsConnections()).as(tlsServer.output()).isEqualTo(before);
    assertThat(tls.awaitEvent("stream_refused", refused))
        .containsEntry("code", "POLICY")
        .extractingByKey("reason")
        .asString()
        .contains("expected a TLS ClientHello");
  }

  // ---- a real browser under the web preset -----------------------------------------------------

  @Test
  void headlessChromiumLoadsHttpsAndHttpPagesUnderTheWebPreset() throws Exception {
    String chrome =
        installed("chromium-headless-shell")
            ? "chromium-headless-shell"
            : installed("chromium") ? "chromium" : null;
    assumeTrue(
        chrome != null,
        "no headless Chromium (Debian chromium-headless-shell; .ci/run installs it)");
    assumeTrue(
        tlsServer != null && httpServer != null, "openssl or /usr/bin/python3 is not installed");
    for (String[] page :
        List.of(new String[] {"https", TLS_PAGE}, new String[] {"http", HTTP_PAGE})) {
      Path profile = Files.createTempDirectory(dir, "chrome");
      Run r =
          RealClientsTest.run(
              null,
              chrome,
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              "--no-first-run",
              "--user-data-dir=" + profile,
              "--proxy-server=socks5://" + web.proxy(),
              "--ignore-certificate-errors",
              "--disable-features=HttpsUpgrades", // http:// stays http://, on port 80
              "--timeout=15000",
              "--dump-dom",
              page[0] + "://" + WWW + "/index.html");
      assertThat(r.out()).as(page[0] + ": " + r.err() + told(web)).contains(page[1]);
    }
    assertThat(httpServer.count("GET /index.html")).as(httpServer.output()).isPositive();
  }
}
