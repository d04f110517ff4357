package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.audit.AuditEvent;
import dev.ett.audit.AuditLog;
import dev.ett.client.Client;
import dev.ett.client.ReverseForwards;
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
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: {@code -R} end to end on real loopback sockets, in one JVM: a connection to
 * the server's port reaches an echo server that only the client's side knows; the data arrives
 * intact and both half-closes pass; the server refuses what the listen rules do not allow, and an
 * address another client holds; a pool spreads connections and survives one member's loss; the
 * audit trail says who listened where and which streams went which way.
 */
@Timeout(120)
class ReverseEndToEndTest {
  private final KeyPair serverKey = X25519.generate();
  private final Map<String, KeyPair> keys = new ConcurrentHashMap<>();
  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private Server server;
  private InetSocketAddress serverAddress;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    pool.shutdownNow();
  }

  private KeyPair key(String name) {
    return keys.computeIfAbsent(name, n -> X25519.generate());
  }

  private void startServer(String... lines) throws Exception {
    startServer(0, lines);
  }

  private void startServer(int port, String... lines) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String line : lines) {
      String name = line.split("\\s+", 2)[0];
      sb.append(KeyFile.encode(key(name).publicKey())).append(' ').append(line).append('\n');
    }
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
                new InetSocketAddress("127.0.0.1", port),
                serverKey,
                AuthorizedFile.parse("authorized", sb.toString()),
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

  /** A client with these -R; returns what it was told the server bound, as they come. */
  private BlockingQueue<String> client(String name, String... reverse) {
    BlockingQueue<String> bound = new LinkedBlockingQueue<>();
    Client c =
        new Client(
            new Client.Options(
                serverAddress,
                serverKey.publicKey(),
                key(name),
                Suite.AESGCM,
                LinkConfig.defaults(),
                1024));
    c.setMuxUpHook(
        new ReverseForwards(
            List.of(reverse).stream().map(ReverseSpec::parse).toList(), bound::add));
    c.start();
    closing.add(c);
    return bound;
  }

  /** An echo server on the client's side: copies each connection back, half-close included. */
  private int echo(String tag) throws Exception {
    ServerSocket ss = new ServerSocket(0, 256, java.net.InetAddress.getLoopbackAddress());
    closing.add(ss);
    pool.submit(
        () -> {
          while (!ss.isClosed()) {
            Socket s = ss.accept();
            pool.submit(
                () -> {
                  try (s) {
                    OutputStream out = s.getOutputStream();
                    if (tag != null) {
                      // Speaks only after the peer's FIN, so the answer shows all was received.
                      byte[] in = s.getInputStream().readAllBytes();
                      out.write(tag.getBytes(StandardCharsets.US_ASCII));
                      out.write(in);
                    } else {
                      s.getInputStream().transferTo(out);
                    }
                    s.shutdownOutput();
                  }
                  return null;
                });
          }
          return null;
        });
    return ss.getLocalPort();
  }

  private static String poll(BlockingQueue<String> q) throws InterruptedException {
    String s = q.poll(20, TimeUnit.SECONDS);
    assertThat(s).as("the server's answer to LISTEN").isNotNull();
    return s;
  }

  private static int port(String bound) {
    return Integer.parseInt(bound.substring(bound.lastIndexOf(':') + 1));
  }

  /** Sends {@code text}, shuts output (our FIN), reads all that comes back until the echo's FIN. */
  private static String roundTrip(int port, String text) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void connectionToTheServersPortReachesAnEchoServerOnlyTheClientSees() throws Exception {
    startServer("alice listen *:*");
    int echo = echo(null);
    BlockingQueue<String> bound = client("alice", "0:127.0.0.1:" + echo);
    String at = poll(bound);
    assertThat(at).startsWith("127.0.0.1:");
    int port = port(at);
    assertThat(port).isNotEqualTo(echo).isGreaterThanOrEqualTo(1024);
    assertThat(roundTrip(port, "hello through -R")).isEqualTo("hello through -R");

    // Audit: the listener, and the stream with its direction and who connected.
    awaitAudit("stream_closed");
    AuditEvent.ListenOpened opened = first(AuditEvent.ListenOpened.class);
    assertThat(opened.client()).isEqualTo("alice");
    assertThat(opened.address()).isEqualTo(at);
    assertThat(opened.rule()).isEqualTo("allowed by client alice rule 1 'listen *:*'");
    AuditEvent.StreamOpened so = first(AuditEvent.StreamOpened.class);
    assertThat(so.direction()).isEqualTo("reverse");
    assertThat(so.requested()).isEqualTo(at);
    assertThat(so.resolved()).isEqualTo("127.0.0.1:" + echo);
    assertThat(so.remote()).startsWith("127.0.0.1:");
    AuditEvent.StreamClosed sc = first(AuditEvent.StreamClosed.class);
    assertThat(sc.direction()).isEqualTo("reverse");
    assertThat(sc.end()).isEqualTo("fin");
    assertThat(sc.bytesFromClient()).isEqualTo(16);
    assertThat(sc.bytesToClient()).isEqualTo(16);
  }

  @Test
  void reverseStreamsCountTowardTheClientsStreamLimitAndTheirSlotsComeBack() throws Exception {
    startServer("alice streams=2 listen *:*");
    int echo = echo(null);
    int port = port(poll(client("alice", "0:127.0.0.1:" + echo)));
    List<Socket> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        Socket s = new Socket("127.0.0.1", port);
        held.add(s);
        s.setSoTimeout(10_000);
        s.getOutputStream().write('x');
        assertThat(s.getInputStream().read()).isEqualTo('x'); // open, through the tunnel
      }
      // A third at once: over streams=2, closed without reaching the echo server.
      try (Socket third = new Socket("127.0.0.1", port)) {
        third.setSoTimeout(10_000);
        int got;
        try {
          third.getOutputStream().write('y');
          got = third.getInputStream().read();
        } catch (java.io.IOException reset) {
          got = -1;
        }
        assertThat(got).isEqualTo(-1);
      }
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    // The two held streams end: their slots come back, and a new connection goes through.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String back = null;
    while (!"after".equals(back) && System.nanoTime() < deadline) {
      try {
        back = roundTrip(port, "after"); // "" while the slots are still taken
      } catch (java.io.IOException stillFull) {
        back = null;
      }
      if (!"after".equals(back)) {
        Thread.sleep(50);
      }
    }
    assertThat(back).isEqualTo("after");
  }

  @Test
  void sixtyFourMibArriveIntactBothWaysWithHalfCloses() throws Exception {
    startServer("alice listen *:*");
    int echo = echo(null);
    int port = port(poll(client("alice", "0:127.0.0.1:" + echo)));
    long size = 64L << 20;
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      Future<String> sent =
          pool.submit(
              () -> {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                Random r = new Random(13);
                byte[] buf = new byte[64 * 1024];
                OutputStream out = s.getOutputStream();
                for (long left = size; left > 0; left -= buf.length) {
                  r.nextBytes(buf);
                  md.update(buf);
                  out.write(buf);
                }
                s.shutdownOutput(); // our FIN: the echo reads to its end, then sends its own
                return HexFormat.of().formatHex(md.digest());
              });
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64 * 1024];
      long got = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
        got += n;
      }
      assertThat(got).isEqualTo(size);
      assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(sent.get(60, TimeUnit.SECONDS));
    }
  }

  @Test
  void twoHundredConcurrentConnections() throws Exception {
    startServer("alice listen *:*");
    int echo = echo(null);
    int port = port(poll(client("alice", "0:127.0.0.1:" + echo)));
    List<Future<String>> answers = new ArrayList<>();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Socket s = new Socket("127.0.0.1", port);
      s.setSoTimeout(30_000);
      sockets.add(s);
    }
    for (int i = 0; i < 200; i++) {
      Socket s = sockets.get(i);
      String text = "connection " + i;
      answers.add(
          pool.submit(
              () -> {
                try (s) {
                  s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
                  s.shutdownOutput();
                  return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                }
              }));
    }
    for (int i = 0; i < 200; i++) {
      assertThat(answers.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("connection " + i);
    }
  }

  @Test
  void withoutAListenRuleTheServerRefusesAndSaysWhy() throws Exception {
    startServer("alice listen 127.0.0.1:20000-20100", "bob");
    int echo = echo(null);
    client("bob", "0:127.0.0.1:" + echo);
    AuditEvent.ListenClosed refused = awaitEvent(AuditEvent.ListenClosed.class);
    assertThat(refused.client()).isEqualTo("bob");
    assertThat(refused.reason())
        .isEqualTo(
            "refused: client bob has no listen rule (reverse forwarding is refused by default)");
    // A privileged port is not covered by '*': it needs a rule that names it.
    audit.clear();
    client("alice", "80:127.0.0.1:" + echo);
    assertThat(awaitEvent(AuditEvent.ListenClosed.class).reason())
        .isEqualTo(
            "refused: no listen rule of client alice allows 127.0.0.1:80 (a port below 1024 needs"
                + " a rule that names that single port)");
  }

  @Test
  void anAddressAnotherClientHoldsIsRefusedNotStolen() throws Exception {
    int fixed = freePort();
    startServer("alice listen *:*", "bob listen *:*");
    int echo = echo("alice:");
    assertThat(poll(client("alice", fixed + ":127.0.0.1:" + echo))).isEqualTo("127.0.0.1:" + fixed);
    client("bob", fixed + ":127.0.0.1:" + echo);
    AuditEvent.ListenClosed refused = awaitEvent(AuditEvent.ListenClosed.class);
    assertThat(refused.reason())
        .isEqualTo("refused: 127.0.0.1:" + fixed + " is held by client alice");
    assertThat(roundTrip(fixed, "x")).as("%s", audit).isEqualTo("alice:x");
  }

  /**
   * Regression: now and then a reverse stream ended at once with no bytes (the application saw a
   * clean EOF, the server audited a reset by the far end). Many short connections in a row, each
   * must get its whole answer.
   */
  @Test
  void manyShortConnectionsInARowEachGetTheirWholeAnswer() throws Exception {
    startServer("alice listen *:*");
    int echo = echo("a:");
    int port = port(poll(client("alice", "0:127.0.0.1:" + echo)));
    List<Integer> empty = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      if (!roundTrip(port, "x" + i).equals("a:x" + i)) {
        empty.add(i);
      }
    }
    assertThat(empty).as("connections without their answer; audit %s", closedResets()).isEmpty();
  }

  private List<AuditEvent> closedResets() {
    return audit.stream()
        .filter(e -> e instanceof AuditEvent.StreamClosed c && !c.end().equals("fin"))
        .toList();
  }

  @Test
  void aPoolOfTwoClientsSpreadsConnectionsAndSurvivesOnesLoss() throws Exception {
    int fixed = freePort();
    startServer(
        "alice listen 127.0.0.1:" + fixed + " pool web",
        "bob listen 127.0.0.1:" + fixed + " pool web");
    int a = echo("a:");
    int b = echo("b:");
    poll(client("alice", fixed + ":127.0.0.1:" + a));
    poll(client("bob", fixed + ":127.0.0.1:" + b));
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 10; i++) {
      seen.add(roundTrip(fixed, "x"));
    }
    assertThat(seen).as("%s", audit).containsExactlyInAnyOrder("a:x", "b:x");
    // alice goes away: every new connection goes to bob.
    Client alice = (Client) closing.stream().filter(Client.class::isInstance).findFirst().get();
    alice.close();
    closing.remove(alice); // closed once
    awaitAudit("link_down");
    for (int i = 0; i < 20; i++) {
      assertThat(roundTrip(fixed, "y")).isEqualTo("b:y");
    }
  }

  /**
   * A pool member whose client said GOAWAY keeps its link while its streams drain; until the fix,
   * the pool still handed it new connections (it only checked that the link was up), and the server
   * closed each of those at once ("the link of alice is closing"): about every other connection to
   * the pool's port failed while one member drained.
   */
  @Test
  void aPoolMemberThatIsDrainingGetsNoNewConnectionsAndItsOwnStreamGoesOn() throws Exception {
    int fixed = freePort();
    startServer(
        "alice listen 127.0.0.1:" + fixed + " pool web",
        "bob listen 127.0.0.1:" + fixed + " pool web");
    int a = echo(null); // answers at once: shows which member a held connection reached
    int b = echo("b:"); // answers after the FIN
    poll(client("alice", fixed + ":127.0.0.1:" + a));
    poll(client("bob", fixed + ":127.0.0.1:" + b));
    Client alice = (Client) closing.stream().filter(Client.class::isInstance).findFirst().get();
    Socket held = null;
    for (int i = 0; i < 10 && held == null; i++) {
      Socket s = new Socket("127.0.0.1", fixed);
      closing.add(s);
      s.setSoTimeout(500);
      s.getOutputStream().write('h');
      try {
        if (s.getInputStream().read() == 'h') {
          held = s; // alice's echo
        }
      } catch (java.net.SocketTimeoutException e) {
        s.close(); // bob's: it waits for a FIN
      }
    }
    assertThat(held).as("a connection held open through alice").isNotNull();
    alice
        .eventLoop()
        .submit(() -> alice.currentMux().goAway(dev.ett.wire.GoawayCode.NORMAL, "draining"))
        .get(10, TimeUnit.SECONDS);
    Thread.sleep(300); // the GOAWAY crosses loopback in microseconds
    for (int i = 0; i < 20; i++) {
      assertThat(roundTrip(fixed, "y")).as("connection %d", i).isEqualTo("b:y");
    }
    held.setSoTimeout(20_000);
    held.getOutputStream().write('z');
    assertThat(held.getInputStream().read()).isEqualTo('z');
  }

  @Test
  void afterTheServerRestartsTheListenerComesBackOnTheSamePort() throws Exception {
    int fixed = freePort();
    startServer("alice listen *:*");
    int serverPort = serverAddress.getPort();
    int echo = echo(null);
    BlockingQueue<String> bound = client("alice", fixed + ":127.0.0.1:" + echo);
    assertThat(poll(bound)).isEqualTo("127.0.0.1:" + fixed);
    server.close();
    closing.remove(server);
    audit.clear();
    startServer(serverPort, "alice listen *:*");
    assertThat(poll(bound)).isEqualTo("127.0.0.1:" + fixed);
    assertThat(roundTrip(fixed, "again")).isEqualTo("again");
    // Issue 13: back within 2 s of the link (the client's reconnect delay is its own business).
    java.time.Duration afterLink =
        java.time.Duration.between(
            first(AuditEvent.LinkUp.class).time(), first(AuditEvent.ListenOpened.class).time());
    assertThat(afterLink).isLessThan(java.time.Duration.ofSeconds(2));
  }

  /** Issue 13: "Chaining (--via) works with -R: the listener is on the exit server". */
  @Test
  void withViaTheListenerIsOnTheExitServer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    int echo = echo("exit:");
    try (ChainNet net = ChainNet.start(dir, 2, "listen *:*", "")) {
      dev.ett.route.ChainedClient chain =
          new dev.ett.route.ChainedClient(
              net.route(), net.alice, Suite.AESGCM, LinkConfig.defaults(), 1024);
      closing.add(chain);
      BlockingQueue<String> bound = new LinkedBlockingQueue<>();
      chain
          .innermost()
          .setMuxUpHook(
              new ReverseForwards(List.of(ReverseSpec.parse("0:127.0.0.1:" + echo)), bound::add));
      chain.start();
      int port = port(poll(bound));
      assertThat(roundTrip(port, "via")).isEqualTo("exit:via");
      assertThat(net.hop(2).events()).anyMatch(e -> "listen_opened".equals(e.get("event")));
      assertThat(net.hop(1).events()).noneMatch(e -> "listen_opened".equals(e.get("event")));
    }
  }

  // ---- real clients (curl, ncat, python3's http.server) ----------------------------------------

  /** Waits until something listens on 127.0.0.1:{@code port}, at most 20 s. */
  private static void awaitListening(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("nothing listens on 127.0.0.1:" + port, e);
        }
        Thread.sleep(50);
      }
    }
  }

  /** Starts a program that serves on the client's side; stopped after the test. */
  private void serve(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    closing.add(p::destroyForcibly);
    pool.submit(() -> p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream()));
  }

  @Test
  void curlThroughTheServersPortReachesAWebServerOnlyTheClientSees(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    RealClientsTest.need("curl", "curl");
    RealClientsTest.need("/usr/bin/python3", "python3");
    java.nio.file.Files.writeString(dir.resolve("page.txt"), "served behind the client\n");
    int web = freePort();
    serve(
        "/usr/bin/python3",
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        "--directory",
        dir.toString(),
        "" + web);
    awaitListening(web);
    startServer("alice listen *:*");
    int port = port(poll(client("alice", "0:127.0.0.1:" + web)));
    RealClientsTest.Run r = RealClientsTest.curl("http://127.0.0.1:" + port + "/page.txt");
    assertThat(r.out()).as(r.err()).isEqualTo("served behind the client\n");
  }

  /**
   * ncat sends a file and half-closes (its stdin's end); the echo on the client's side copies it
   * back and closes after that FIN: both half-closes cross the tunnel. (The echo is ours, not ncat
   * --exec cat: ncat 7.93 alone, client to --exec cat, stalls on a 1 MiB round trip.)
   */
  @Test
  void ncatRoundTripsAFileThroughAnEchoServerOnlyTheClientSees() throws Exception {
    RealClientsTest.need("ncat", "ncat");
    int echo = echo(null);
    startServer("alice listen *:*");
    int port = port(poll(client("alice", "0:127.0.0.1:" + echo)));
    byte[] file = new byte[1 << 20];
    new Random(13).nextBytes(file);
    RealClientsTest.Run r = RealClientsTest.run(file, "ncat", "127.0.0.1", "" + port);
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(file);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
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

  private void awaitAudit(String type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (audit.stream().anyMatch(e -> e.type().equals(type))) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no " + type + " in " + audit);
  }
}
