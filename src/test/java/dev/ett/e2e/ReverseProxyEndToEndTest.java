package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.ett.audit.AuditEvent;
import dev.ett.audit.AuditLog;
import dev.ett.client.Client;
import dev.ett.client.ReverseForwards;
import dev.ett.client.ReverseProxyExit;
import dev.ett.client.ReverseSpec;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Limits;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: the proxy form of {@code -R} ({@code -R [BIND:]PORT}, issue 13) with real
 * clients: curl speaking SOCKS5 (the name resolved at the far end) and HTTP to the server's port
 * reaches a web server that listens only on the client's side, where the client's own {@code
 * --reverse-policy} names it; a destination the client's rules refuse gets a SOCKS refusal and no
 * connection; the server's audit has the stream with direction reverse and the requested
 * destination. And a reload that narrows a client's listen rules closes its listeners no rule
 * allows any more.
 */
@Timeout(120)
class ReverseProxyEndToEndTest {
  private final KeyPair serverKey = X25519.generate();
  private final KeyPair alice = X25519.generate();
  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Server server;
  private InetSocketAddress serverAddress;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private String authorized(String rules) {
    return KeyFile.encode(alice.publicKey()) + " alice " + rules + "\n";
  }

  private void startServer(String rules) throws Exception {
    AuditLog log =
        new AuditLog() {
          @Override
          public void record(AuditEvent event) {
            audit.add(event);
          }

          @Override
          public void close() {}
        };
    server =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                AuthorizedFile.parse("authorized", authorized(rules)),
                Policy.parse("reject *:*"),
                null,
                LinkConfig.defaults(),
                64,
                2,
                log,
                Limits.UNLIMITED));
    serverAddress = server.start();
    closing.add(server);
  }

  /** Alice with these -R and these --reverse-policy rules; returns the addresses granted. */
  private BlockingQueue<String> client(String reversePolicy, String... reverse) {
    BlockingQueue<String> bound = new LinkedBlockingQueue<>();
    Client c =
        new Client(
            new Client.Options(
                serverAddress,
                serverKey.publicKey(),
                alice,
                Suite.AESGCM,
                LinkConfig.defaults(),
                1024));
    c.setMuxUpHook(
        new ReverseForwards(
            List.of(reverse).stream().map(ReverseSpec::parse).toList(),
            bound::add,
            new ReverseProxyExit(Policy.parse("reverse-policy", reversePolicy))));
    c.start();
    closing.add(c);
    return bound;
  }

  /** A web server on the client's side, 127.0.0.1 only; counts its requests. */
  private int web(AtomicInteger requests) throws Exception {
    HttpServer h =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    h.createContext(
        "/",
        x -> {
          requests.incrementAndGet();
          byte[] body = "hello from the client's side\n".getBytes(StandardCharsets.US_ASCII);
          x.sendResponseHeaders(200, body.length);
          try (OutputStream out = x.getResponseBody()) {
            out.write(body);
          }
        });
    h.start();
    closing.add(() -> h.stop(0));
    return h.getAddress().getPort();
  }

  private static int port(String bound) {
    return Integer.parseInt(bound.substring(bound.lastIndexOf(':') + 1));
  }

  private static String poll(BlockingQueue<String> q) throws InterruptedException {
    String s = q.poll(20, TimeUnit.SECONDS);
    assertThat(s).as("the server's answer to LISTEN").isNotNull();
    return s;
  }

  private static boolean has(String program) {
    return Files.isExecutable(Path.of("/usr/bin", program));
  }

  /** Runs curl; returns its exit code and output. */
  private static String[] curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  @Test
  void curlThroughTheServersProxyPortReachesAWebServerOnlyTheClientSees() throws Exception {
    assumeTrue(has("curl"), "curl is not installed");
    AtomicInteger requests = new AtomicInteger();
    int web = web(requests);
    startServer("listen 127.0.0.1:*");
    String at = poll(client("accept 127.0.0.1:" + web, "0"));
    int proxy = port(at);

    // SOCKS5 with the name: "localhost" travels to the client, which resolves it itself.
    String[] socks =
        curl("--socks5-hostname", "127.0.0.1:" + proxy, "http://localhost:" + web + "/");
    assertThat(socks[1]).isEqualTo("hello from the client's side\n");
    // SOCKS4a, an HTTP proxy request (absolute URI), and CONNECT through the HTTP proxy.
    assertThat(curl("--socks4a", "127.0.0.1:" + proxy, "http://localhost:" + web + "/")[1])
        .isEqualTo("hello from the client's side\n");
    assertThat(curl("-x", "http://127.0.0.1:" + proxy, "http://127.0.0.1:" + web + "/")[1])
        .isEqualTo("hello from the client's side\n");
    assertThat(curl("-p", "-x", "http://127.0.0.1:" + proxy, "http://127.0.0.1:" + web + "/")[1])
        .isEqualTo("hello from the client's side\n");
    assertThat(requests.get()).isEqualTo(4);

    // The server's audit: the listener, and the stream with its direction and destination.
    AuditEvent.ListenOpened lo = first(AuditEvent.ListenOpened.class);
    assertThat(lo.address()).isEqualTo(at);
    AuditEvent.StreamOpened so = first(AuditEvent.StreamOpened.class);
    assertThat(so.direction()).isEqualTo("reverse");
    assertThat(so.requested()).isEqualTo("localhost:" + web);
    assertThat(so.resolved()).isEqualTo("127.0.0.1:" + web);
    assertThat(so.remote()).startsWith("127.0.0.1:");
  }

  @Test
  void aDestinationTheClientsRulesRefuseGetsASocksRefusalAndNoConnection() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    int web = web(requests);
    ServerSocket other = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    closing.add(other);
    startServer("listen 127.0.0.1:*");
    // The client allows the web server's port only; the other port, and any loopback address
    // under the default rules, stay closed.
    String at = poll(client("accept 127.0.0.1:" + web + ", accept *:*", "0"));
    int proxy = port(at);

    int target = other.getLocalPort();
    {
      try (Socket s = new Socket("127.0.0.1", proxy)) {
        s.setSoTimeout(20_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(new byte[] {5, 1, 0}); // SOCKS5, one method: no authentication
        assertThat(in.readNBytes(2)).containsExactly(5, 0);
        byte[] req = {5, 1, 0, 1, 127, 0, 0, 1, (byte) (target >> 8), (byte) target};
        out.write(req);
        byte[] reply = in.readNBytes(2);
        // RFC 1928 §6: X'02' connection not allowed by ruleset.
        assertThat(reply).containsExactly(5, 2);
      }
    }
    other.setSoTimeout(500);
    assertThatThrownBy(other::accept)
        .as("nothing connected to the refused destination")
        .isInstanceOf(java.net.SocketTimeoutException.class);

    if (has("curl")) {
      String[] refused =
          curl("--socks5-hostname", "127.0.0.1:" + proxy, "http://localhost:1/nothing");
      assertThat(refused[0]).isEqualTo("97"); // CURLE_PROXY: the proxy refused
    }
    AuditEvent.StreamClosed sc = awaitEvent(AuditEvent.StreamClosed.class);
    assertThat(sc.direction()).isEqualTo("reverse");
    assertThat(sc.requested()).isEqualTo("127.0.0.1:" + target);
    assertThat(sc.end()).isEqualTo("refused: not allowed by policy");
    assertThat(requests.get()).isZero();
  }

  @Test
  void aReloadThatNarrowsTheListenRulesClosesTheListenersNoRuleAllows() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    int web = web(requests);
    startServer("listen 127.0.0.1:*, listen 127.0.0.2:*");
    BlockingQueue<String> bound =
        client("accept 127.0.0.1:" + web, "127.0.0.1:0", "127.0.0.2:0:127.0.0.1:" + web);
    List<String> granted = List.of(poll(bound), poll(bound));
    String one = granted.stream().filter(a -> a.startsWith("127.0.0.1:")).findFirst().orElseThrow();
    String two = granted.stream().filter(a -> a.startsWith("127.0.0.2:")).findFirst().orElseThrow();

    // Still allowed: 127.0.0.2. No longer: 127.0.0.1.
    server.reload(
        new Server.Config(
            AuthorizedFile.parse("authorized", authorized("listen 127.0.0.2:*")),
            Policy.parse("reject *:*"),
            null),
        "test");

    AuditEvent.ListenClosed closed = awaitEvent(AuditEvent.ListenClosed.class);
    assertThat(closed.address()).isEqualTo(one);
    assertThat(closed.reason()).isEqualTo("reload: no rule allows it");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    boolean refusedNow = false;
    while (!refusedNow && System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port(one))) {
        Thread.sleep(20);
      } catch (ConnectException e) {
        refusedNow = true;
      }
    }
    assertThat(refusedNow).as("the port of " + one + " is closed").isTrue();
    // The other listener goes on.
    try (Socket s = new Socket("127.0.0.2", port(two))) {
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write("GET / HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .contains("hello from the client's side");
    }
    assertThat(audit.stream().filter(AuditEvent.ListenClosed.class::isInstance).count())
        .isEqualTo(1);
  }

  private <T extends AuditEvent> T first(Class<T> type) {
    return audit.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  private <T extends AuditEvent> T awaitEvent(Class<T> type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      var e = audit.stream().filter(type::isInstance).map(type::cast).findFirst();
      if (e.isPresent()) {
        return e.get();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + audit);
  }
}
