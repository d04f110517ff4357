package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.ett.client.Client;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.HostsFile;
import dev.ett.config.KeyFile;
import dev.ett.front.Authenticator;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.front.Users;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: the applications people really use reach a destination through a {@code -D}
 * port or {@code ett connect} unchanged — curl, ncat, PySocks, ssh and headless Chromium — and a
 * name is resolved by the server: {@value #NAME} is known only to the server's hosts file, so it
 * loads when the client passes the name on (SOCKS5-hostname, SOCKS4a, HTTP) and fails when the
 * application must resolve it itself (plain SOCKS5, SOCKS4).
 *
 * <p>Each external program is skipped with a message when missing; {@code .ci/run} installs them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RealClientsTest {
  static final String NAME = "intranet.ett-test";
  static final String PAGE = "hello from the intranet";

  static Path dir;
  static HttpServer origin;
  static int originPort, closedPort;
  static Server server;
  static InetSocketAddress serverAddress;
  static KeyPair serverKey = X25519.generate(), clientKey = X25519.generate();
  static Client client;
  static ProxyFront open, guarded;
  static Authenticator authenticator;
  static int proxyPort, guardedPort;
  static Path clientKeyFile;

  @BeforeAll
  static void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    origin.createContext(
        "/",
        x -> {
          byte[] body = x.getRequestBody().readAllBytes();
          String reply =
              x.getRequestURI().getPath().equals("/echo")
                  ? new String(body, StandardCharsets.ISO_8859_1)
                  : x.getRequestURI().getPath().equals("/who")
                      ? x.getRequestMethod()
                          + " "
                          + x.getRequestURI()
                          + " host="
                          + x.getRequestHeaders().getFirst("Host")
                          + " proxy-auth="
                          + x.getRequestHeaders().getFirst("Proxy-Authorization")
                      : "<html><body><p id=t>" + PAGE + "</p></body></html>";
          byte[] b = reply.getBytes(StandardCharsets.ISO_8859_1);
          x.getResponseHeaders().add("Content-Type", "text/html");
          x.sendResponseHeaders(200, b.length);
          try (OutputStream o = x.getResponseBody()) {
            o.write(b);
          }
        });
    origin.start();
    originPort = origin.getAddress().getPort();
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    sshdPort = freePort();
    String policy =
        "accept 127.0.0.1:"
            + originPort
            + ", accept 127.0.0.1:"
            + closedPort
            + ", accept 127.0.0.1:"
            + sshdPort;
    server =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                AuthorizedFile.parse(
                    "authorized", KeyFile.encode(clientKey.publicKey()) + " alice\n"),
                Policy.parse(policy),
                HostsFile.parse("hosts", "127.0.0.1 " + NAME + "\n"),
                LinkConfig.defaults(),
                256,
                2));
    serverAddress = server.start();
    client =
        new Client(
            new Client.Options(
                serverAddress,
                serverKey.publicKey(),
                clientKey,
                Suite.AESGCM,
                LinkConfig.defaults(),
                1024));
    open =
        new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
    proxyPort = open.start().getPort();
    authenticator = new Authenticator(Users.parse("users", Users.line("alice", "s3cret pw", 1000)));
    guarded =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0), client, authenticator, ProxyFront.Limits.defaults());
    guardedPort = guarded.start().getPort();
    client.start().get(10, TimeUnit.SECONDS);
    clientKeyFile = dir.resolve("alice.key");
    KeyFile.write(clientKeyFile, clientKey.privateKey(), clientKey.publicKey());
  }

  @AfterAll
  static void stop() {
    open.close();
    guarded.close();
    authenticator.close();
    client.close();
    server.close();
    origin.stop(0);
    if (sshd != null) {
      sshd.destroyForcibly();
    }
  }

  // ---- running programs ------------------------------------------------------------------------

  record Run(int status, String out, String err) {}

  static boolean installed(String program) {
    for (String d :
        System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of(program));
  }

  static void need(String program, String debianPackage) {
    assumeTrue(
        installed(program),
        program + " is not installed (Debian package " + debianPackage + "; .ci/run installs it)");
  }

  static Run run(byte[] stdin, String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    Thread o = pipe(p.getInputStream(), out), e = pipe(p.getErrorStream(), err);
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin);
      }
    } catch (IOException ignored) {
      // the program did not read its input: fine
    }
    if (!p.waitFor(40, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + ": still running after 40 s");
    }
    o.join();
    e.join();
    return new Run(
        p.exitValue(),
        out.toString(StandardCharsets.ISO_8859_1),
        err.toString(StandardCharsets.UTF_8));
  }

  static Thread pipe(InputStream in, ByteArrayOutputStream to) {
    Thread t =
        new Thread(
            () -> {
              try {
                in.transferTo(to);
              } catch (IOException ignored) {
                // process gone
              }
            });
    t.start();
    return t;
  }

  static String url(String path) {
    return "http://" + NAME + ":" + originPort + path;
  }

  static String proxy() {
    return "127.0.0.1:" + proxyPort;
  }

  static Run curl(String... args) throws Exception {
    List<String> c = new ArrayList<>(List.of("curl", "-sS", "-m", "20", "--noproxy", ""));
    c.addAll(List.of(args));
    return run(null, c.toArray(String[]::new));
  }

  // ---- curl ------------------------------------------------------------------------------------

  @Test
  void curlLoadsAServerOnlyNameThroughSocks5HostnameSocks4aAndHttp() throws Exception {
    need("curl", "curl");
    for (String[] how :
        List.of(
            new String[] {"--socks5-hostname", proxy()},
            new String[] {"-x", "socks5h://" + proxy()},
            new String[] {"-x", "socks4a://" + proxy()},
            new String[] {"-x", "http://" + proxy()},
            new String[] {"-p", "-x", "http://" + proxy()})) {
      List<String> args = new ArrayList<>(List.of(how));
      args.add(url("/"));
      Run r = curl(args.toArray(String[]::new));
      assertThat(r.out()).as(String.join(" ", how) + ": " + r.err()).contains(PAGE);
      assertThat(r.status()).isZero();
    }
  }

  @Test
  void theSameNameFailsWhenTheApplicationMustResolveIt() throws Exception {
    need("curl", "curl");
    for (String[] how :
        List.of(new String[] {"--socks5", proxy()}, new String[] {"-x", "socks4://" + proxy()})) {
      Run r = curl(how[0], how[1], url("/"));
      assertThat(r.status()).as(String.join(" ", how)).isNotZero();
      assertThat(r.err()).contains("resolve");
      assertThat(r.out()).doesNotContain(PAGE);
    }
    // ...while the address itself works through plain SOCKS5.
    Run r = curl("--socks5", proxy(), "http://127.0.0.1:" + originPort + "/");
    assertThat(r.out()).contains(PAGE);
  }

  @Test
  void httpProxyRewritesTheRequestForTheOrigin() throws Exception {
    need("curl", "curl");
    Run r = curl("-x", "http://" + proxy(), "--proxy-user", "x:y", url("/who?a=1"));
    assertThat(r.out())
        .isEqualTo("GET /who?a=1 host=" + NAME + ":" + originPort + " proxy-auth=null");
  }

  @Test
  void requestBodiesArriveWholeWithContentLengthAndChunked() throws Exception {
    need("curl", "curl");
    byte[] big = new byte[300_000];
    new java.util.Random(7).nextBytes(big);
    String hex = HexFormat.of().formatHex(big);
    Path f = dir.resolve("body");
    Files.writeString(f, hex);
    Run plain = curl("-x", "http://" + proxy(), "--data-binary", "@" + f, url("/echo"));
    assertThat(plain.out()).isEqualTo(hex);
    Run chunked =
        curl(
            "-x",
            "http://" + proxy(),
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@" + f,
            url("/echo"));
    assertThat(chunked.out()).isEqualTo(hex);
  }

  @Test
  void curlWithProxyUserPassesAndAWrongPasswordIsRefused() throws Exception {
    need("curl", "curl");
    String g = "127.0.0.1:" + guardedPort;
    assertThat(curl("--socks5-hostname", g, "--proxy-user", "alice:s3cret pw", url("/")).out())
        .contains(PAGE);
    assertThat(curl("-x", "http://" + g, "--proxy-user", "alice:s3cret pw", url("/")).out())
        .contains(PAGE);
    assertThat(curl("-p", "-x", "http://" + g, "--proxy-user", "alice:s3cret pw", url("/")).out())
        .contains(PAGE);

    Run socks = curl("--socks5-hostname", g, "--proxy-user", "alice:wrong", url("/"));
    assertThat(socks.status()).isNotZero();
    assertThat(socks.err()).contains("rejected by the SOCKS5 server");
    Run http =
        curl(
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-x",
            "http://" + g,
            "--proxy-user",
            "alice:wrong",
            url("/"));
    assertThat(http.out()).isEqualTo("407");
    Run none = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "-x", "http://" + g, url("/"));
    assertThat(none.out()).isEqualTo("407");
    Run socks4 = curl("-x", "socks4a://" + g, url("/"));
    assertThat(socks4.status()).as("SOCKS4 has no password").isNotZero();
  }

  @Test
  void refusalsBecomeTheRightCurlErrors() throws Exception {
    need("curl", "curl");
    Run policy =
        curl(
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-x",
            "http://" + proxy(),
            "http://127.0.0.1:1/");
    assertThat(policy.out()).isEqualTo("403");
    Run refused =
        curl(
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-x",
            "http://" + proxy(),
            "http://127.0.0.1:" + closedPort + "/");
    assertThat(refused.out()).isEqualTo("502");
    Run unresolvable =
        curl(
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-x",
            "http://" + proxy(),
            "http://no-such-name.invalid/");
    assertThat(unresolvable.out()).isIn("403", "502");
  }

  // ---- raw SOCKS5 replies ----------------------------------------------------------------------

  static byte[] socks5(int port, String requestHex) throws Exception {
    try (Socket s = Io.connect(new InetSocketAddress("127.0.0.1", port))) {
      s.getOutputStream().write(HexFormat.of().parseHex("050100" + requestHex));
      return s.getInputStream().readAllBytes();
    }
  }

  @Test
  void socks5RepliesTellTheTruthAndNothingElseBreaks() throws Exception {
    String policyRefused =
        HexFormat.of().formatHex(socks5(proxyPort, "05010001" + "7f000001" + "0001"));
    assertThat(policyRefused).isEqualTo("0500" + "05020001000000000000");
    String connRefused =
        HexFormat.of()
            .formatHex(
                socks5(proxyPort, "05010001" + "7f000001" + String.format("%04x", closedPort)));
    assertThat(connRefused).isEqualTo("0500" + "05050001000000000000");
    String bind = HexFormat.of().formatHex(socks5(proxyPort, "05020001" + "7f000001" + "0016"));
    assertThat(bind).isEqualTo("0500" + "05070001000000000000");
    String atyp = HexFormat.of().formatHex(socks5(proxyPort, "05010009" + "7f000001" + "0016"));
    assertThat(atyp).isEqualTo("0500" + "05080001000000000000");
    String garbage = HexFormat.of().formatHex(socks5(proxyPort, "ffffffffffffffffffff"));
    assertThat(garbage).isEqualTo("0500" + "05010001000000000000");
    try (Socket s = Io.connect(new InetSocketAddress("127.0.0.1", proxyPort))) {
      s.getOutputStream()
          .write("\u0016\u0003\u0001 not a proxy request".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(s.getInputStream().readAllBytes())
          .as("unknown protocol: closed, no reply")
          .isEmpty();
    }
    // The same port still serves.
    assertThat(curl("--socks5-hostname", proxy(), url("/")).out()).contains(PAGE);
  }

  @Test
  void pipelinedKeepAliveRequestsAndAnotherHostOnTheSameConnection() throws Exception {
    try (Socket s = Io.connect(new InetSocketAddress("127.0.0.1", proxyPort))) {
      String req = "GET " + url("/who?n=") + "%d HTTP/1.1\r\nHost: x\r\n\r\n";
      s.getOutputStream()
          .write(
              (String.format(req, 1)
                      + String.format(req, 2)
                      + "GET http://127.0.0.1:"
                      + originPort
                      + "/who?n=3 HTTP/1.1\r\nHost: y\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(all).contains("GET /who?n=1 host=").contains("GET /who?n=2 host=");
      assertThat(all)
          .as("the third request named another host: the connection ended instead")
          .doesNotContain("n=3");
    }
  }

  // ---- ncat, PySocks ---------------------------------------------------------------------------

  @Test
  void ncatThroughSocks5AndHttpProxies() throws Exception {
    need("ncat", "ncat");
    byte[] request =
        ("GET / HTTP/1.0\r\nHost: " + NAME + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    for (String type : List.of("socks5", "http")) {
      Run r =
          run(
              request,
              "ncat",
              "--proxy",
              proxy(),
              "--proxy-type",
              type,
              "--proxy-dns",
              "remote",
              NAME,
              "" + originPort);
      assertThat(r.out()).as(type + ": " + r.err()).contains(PAGE);
    }
  }

  @Test
  void pySocksSocks5AndSocks4WithRemoteDns() throws Exception {
    need("/usr/bin/python3", "python3");
    assumeTrue(
        run(null, "/usr/bin/python3", "-c", "import socks").status() == 0,
        "PySocks missing (Debian python3-socks)");
    String script =
        String.join(
            "\n",
            "import socks, sys",
            "for kind in (socks.SOCKS5, socks.SOCKS4):",
            "    s = socks.socksocket()",
            "    s.set_proxy(kind, '127.0.0.1', " + proxyPort + ", rdns=True)",
            "    s.settimeout(20)",
            "    s.connect(('" + NAME + "', " + originPort + "))",
            "    s.sendall(b'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n')",
            "    data = b''",
            "    while True:",
            "        chunk = s.recv(65536)",
            "        if not chunk: break",
            "        data += chunk",
            "    sys.stdout.write(str(kind) + ':' + data.decode('latin-1').split('\\r\\n\\r\\n', 1)[1] + '\\n')");
    Run r = run(null, "/usr/bin/python3", "-c", script);
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out().lines().filter(l -> l.contains(PAGE)).count()).isEqualTo(2);
  }

  // ---- ett connect and ssh ---------------------------------------------------------------------

  static int sshdPort;
  static Process sshd;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  static String[] ettConnect(String host, int port) {
    List<String> c =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (Runtime.version().feature() >= 24) {
      c.addAll(
          List.of(
              "--enable-native-access=ALL-UNNAMED",
              "--sun-misc-unsafe-memory-access=allow")); // as bin/ett
    }
    c.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "dev.ett.cli.Main",
            "connect",
            "--server",
            "127.0.0.1:" + serverAddress.getPort(),
            "--server-key",
            KeyFile.encode(serverKey.publicKey()),
            "--key",
            clientKeyFile.toString(),
            host,
            "" + port));
    return c.toArray(String[]::new);
  }

  @Test
  void ettConnectJoinsStdioToAStreamAndSaysWhyItFailed() throws Exception {
    Run ok =
        run(
            ("GET / HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
            ettConnect(NAME, originPort));
    assertThat(ok.out()).startsWith("HTTP/1.1 200 ").contains(PAGE);
    assertThat(ok.err()).isEmpty();
    assertThat(ok.status()).isZero();

    Run refused = run(new byte[0], ettConnect("127.0.0.1", 1));
    assertThat(refused.status()).isEqualTo(1);
    assertThat(refused.out()).isEmpty();
    assertThat(refused.err().lines().toList())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("ett: ").contains("not allowed by policy"));
  }

  @Test
  void sshThroughEttConnectAsProxyCommand() throws Exception {
    need("ssh", "openssh-client");
    need("/usr/sbin/sshd", "openssh-server");
    Path hostKey = dir.resolve("ssh_host_ed25519_key"), userKey = dir.resolve("id_ed25519");
    assertThat(
            run(null, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString())
                .status())
        .isZero();
    assertThat(
            run(null, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", userKey.toString())
                .status())
        .isZero();
    Path authorizedKeys = dir.resolve("authorized_keys");
    Files.copy(Path.of(userKey + ".pub"), authorizedKeys);
    try {
      Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege-separation directory
    } catch (IOException e) {
      assumeTrue(false, "cannot create /run/sshd for a test sshd (run as root, as CI does): " + e);
    }
    Path config = dir.resolve("sshd_config");
    Files.writeString(
        config, dev.ett.bench.Bench.sshdConfig("127.0.0.1", sshdPort, hostKey, authorizedKeys));
    sshd =
        new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("sshd.log").toFile())
            .start();
    for (int i = 0; i < 100; i++) {
      try (Socket s = new Socket("127.0.0.1", sshdPort)) {
        break;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    String[] connect = ettConnect("%h", 0);
    connect[connect.length - 1] =
        "%p"; // ssh puts the port there (not a text replace: a key may hold " 0")
    String proxyCommand = String.join(" ", connect);
    Run r =
        run(
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
            "LogLevel=ERROR",
            "-o",
            "ProxyCommand=" + proxyCommand,
            "-p",
            "" + sshdPort,
            System.getProperty("user.name") + "@" + NAME,
            "echo ssh-through-ett-$((6*7))");
    assertThat(r.out())
        .as(r.err() + "\nsshd: " + Files.readString(dir.resolve("sshd.log")))
        .contains("ssh-through-ett-42");
    assertThat(r.status()).isZero();
  }

  // ---- a real browser --------------------------------------------------------------------------

  @Test
  void headlessChromiumLoadsAPageThroughSocks5AndHttp() throws Exception {
    String chrome =
        installed("chromium-headless-shell")
            ? "chromium-headless-shell"
            : installed("chromium") ? "chromium" : null;
    assumeTrue(
        chrome != null,
        "no headless Chromium (Debian chromium-headless-shell; .ci/run installs it)");
    for (String scheme : List.of("socks5", "http")) {
      Path profile = Files.createTempDirectory(dir, "chrome");
      Run r =
          run(
              null,
              chrome,
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              "--no-first-run",
              "--user-data-dir=" + profile,
              "--proxy-server=" + scheme + "://" + proxy(),
              "--proxy-bypass-list=<-loopback>",
              "--timeout=15000",
              "--dump-dom",
              url("/"));
      assertThat(r.out()).as(scheme + ": " + r.err()).contains(PAGE);
    }
  }
}
