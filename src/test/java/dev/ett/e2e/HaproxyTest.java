package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.audit.JsonLines;
import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: two {@code ett server}s (child JVMs sharing one key, authorized file and
 * policy, each with {@code --proxy-protocol}) behind a real HAProxy (Debian's {@code haproxy}, TCP
 * mode, config written here, health checks every 200 ms), with clients connecting to HAProxy's
 * port, hold the promises of issue 15: under a steady load of echoed streams, killing the server
 * that carries the clients' links ends each of its streams in a close, never in wrong bytes; the
 * clients are back through the other server quickly (the figure is printed); the survivor's audit
 * trail names each client's own address and port as HAProxy saw them; and every stream opened once
 * the link is back succeeds. A second test does the same with PROXY v1 ({@code send-proxy}).
 * Skipped when haproxy is not installed (.ci/run installs it).
 */
@Timeout(180)
class HaproxyTest {
  static final Path HAPROXY = Path.of("/usr/sbin/haproxy");

  /** Bytes each stream sends and expects back. */
  static final int STREAM_BYTES = 32 * 1024;

  @TempDir Path dir;
  final KeyPair serverKey = X25519.generate();
  final List<KeyPair> clientKeys = List.of(X25519.generate(), X25519.generate());
  final List<Netns.Child> servers = new ArrayList<>();
  final List<Client> clients = new ArrayList<>();
  final List<ForwardFront> fronts = new ArrayList<>();
  final List<InetSocketAddress> forwards = new ArrayList<>();
  TestTarget target;
  Netns.Child haproxy;

  @BeforeEach
  void needsHaproxy() throws Exception {
    assumeTrue(
        Files.isExecutable(HAPROXY),
        "haproxy is not installed (Debian: apt-get install haproxy; .ci/run does)");
    target = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
  }

  @AfterEach
  void stop() {
    fronts.forEach(ForwardFront::close);
    clients.forEach(Client::close);
    servers.forEach(s -> s.process.destroyForcibly());
    if (haproxy != null) {
      haproxy.process.destroyForcibly();
    }
    if (target != null) {
      target.close();
    }
  }

  @Test
  void killingOneServerBehindHaproxyMovesItsClientsToTheOtherWithoutWrongBytes() throws Exception {
    int[] ports = startServers(2);
    int front = startHaproxy("send-proxy-v2", ports);
    startClients(front);

    // Which server carries which link: each link_up names the client's address as HAProxy saw it.
    awaitLinkUps(2);
    List<Load> loads = new ArrayList<>();
    for (int i = 0; i < clients.size(); i++) {
      loads.add(Load.start(forwards.get(i), i));
    }
    Thread.sleep(500); // streams flowing on both links
    int victim = linkUps(0).isEmpty() ? 1 : 0;
    int survivor = 1 - victim;
    int moved = linkUps(victim).size();
    int survivorBefore = linkUps(survivor).size();
    long killedAt = System.nanoTime();
    servers.get(victim).process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    // Back: every client has a link on the survivor (those that were there never left).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (linkUps(survivor).size() < survivorBefore + moved || !allUp()) {
      assertThat(System.nanoTime()).as("clients back through the survivor").isLessThan(deadline);
      Thread.sleep(10);
    }
    long backAt = System.nanoTime();
    double backSeconds = (backAt - killedAt) / 1e9;
    Thread.sleep(1000); // streams on the new links
    List<Load.Result> results = new ArrayList<>();
    for (Load l : loads) {
      results.addAll(l.stop());
    }
    System.out.printf(
        "HaproxyTest: %d link(s) moved from server %d to server %d in %.2f s; streams: %d ok, %d"
            + " cut by the kill%n",
        moved,
        victim,
        survivor,
        backSeconds,
        results.stream().filter(Load.Result::ok).count(),
        results.stream().filter(r -> !r.ok()).count());

    // Never wrong bytes; every stream opened once the links were back went through.
    assertThat(results).allSatisfy(r -> assertThat(r.wrongBytes()).as(r.toString()).isFalse());
    assertThat(results.stream().filter(r -> r.startedNanos() > backAt))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.ok()).as(r.toString()).isTrue());
    assertThat(results.stream().filter(r -> r.ok()).count()).isGreaterThan(10);
    // Generous for a loaded machine; the issue asks for 2 s, printed above.
    assertThat(backSeconds).isLessThan(5.0);

    // The survivor's audit names the clients' own addresses (HAProxy's view), not HAProxy's.
    List<String> remotes =
        linkUps(survivor).stream().map(e -> (String) e.get("remote")).distinct().toList();
    List<String> clientAddresses =
        clients.stream().map(c -> "127.0.0.1:" + c.linkLocalAddress().getPort()).toList();
    assertThat(remotes).containsAll(clientAddresses);

    // HAProxy's health checks (five a second, each a v2 LOCAL header and a close) are no rejected
    // handshakes: the survivor's log has no such line at info.
    assertThat(servers.get(survivor).count("rejected handshakes"))
        .as(servers.get(survivor).output())
        .isZero();
  }

  @Test
  void proxyV1HeadersCarryTheClientAddressToo() throws Exception {
    int[] ports = startServers(1);
    int front = startHaproxy("send-proxy", ports);
    startClient(front, clientKeys.get(0));
    awaitLinkUps(1);
    assertThat(linkUps(0).get(0).get("remote"))
        .isEqualTo("127.0.0.1:" + clients.get(0).linkLocalAddress().getPort());
    Load l = Load.start(forwards.get(0), 0);
    Thread.sleep(300);
    assertThat(l.stop()).allSatisfy(r -> assertThat(r.ok()).as(r.toString()).isTrue());
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** Starts n servers at once (their JVMs' start-up overlaps); returns their ports. */
  int[] startServers(int n) throws Exception {
    Path sk = dir.resolve("server.key"), authorized = dir.resolve("authorized");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    StringBuilder a = new StringBuilder();
    for (int i = 0; i < clientKeys.size(); i++) {
      a.append(KeyFile.encode(clientKeys.get(i).publicKey())).append(" client").append(i);
      a.append('\n');
    }
    Files.writeString(authorized, a);
    int[] ports = new int[n];
    for (int i = 0; i < n; i++) {
      ports[i] = RealClientsTest.freePort();
      servers.add(
          new Netns.Child(
              "ett-server-" + i,
              new ProcessBuilder(
                      ChildJvm.ett(
                          "server",
                          "--listen",
                          "127.0.0.1:" + ports[i],
                          "--key",
                          sk.toString(),
                          "--authorized",
                          authorized.toString(),
                          "--policy",
                          "accept 127.0.0.1:" + target.address().getPort(),
                          "--audit",
                          dir.resolve("server" + i + ".audit").toString(),
                          "--proxy-protocol",
                          "--threads",
                          "1"))
                  .redirectErrorStream(true)
                  .start()));
    }
    for (Netns.Child s : servers) {
      s.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(60), "ett server listening on");
    }
    return ports;
  }

  /**
   * HAProxy in the foreground ({@code -db}) in TCP mode in front of the servers; {@code sendProxy}
   * is the server keyword ({@code send-proxy-v2} or {@code send-proxy}). Returns its port.
   */
  int startHaproxy(String sendProxy, int[] ports) throws Exception {
    int port = RealClientsTest.freePort();
    StringBuilder cfg =
        new StringBuilder(
            """
            global
              maxconn 1000
            defaults
              mode tcp
              timeout connect 1s
              timeout client 1m
              timeout server 1m
              retries 2
              option redispatch
            frontend ett
              bind 127.0.0.1:%d
              default_backend servers
            backend servers
              balance roundrobin
            """
                .formatted(port));
    for (int i = 0; i < ports.length; i++) {
      cfg.append(
          "  server s%d 127.0.0.1:%d %s check inter 200 fall 1 rise 1\n"
              .formatted(i, ports[i], sendProxy));
    }
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg);
    haproxy =
        new Netns.Child(
            "haproxy",
            new ProcessBuilder(HAPROXY.toString(), "-f", file.toString(), "-db")
                .redirectErrorStream(true)
                .start());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException e) {
        assertThat(haproxy.process.isAlive()).as(haproxy.output()).isTrue();
        assertThat(System.nanoTime()).as("haproxy listening").isLessThan(deadline);
        Thread.sleep(50);
      }
    }
    Thread.sleep(500); // a few rounds of health checks: every server UP
    return port;
  }

  void startClients(int port) throws Exception {
    for (KeyPair k : clientKeys) {
      startClient(port, k);
    }
  }

  void startClient(int port, KeyPair key) throws Exception {
    Client c =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", port),
                serverKey.publicKey(),
                key,
                Suite.AESGCM,
                LinkConfig.defaults(),
                1024));
    ForwardFront f =
        new ForwardFront(
            ForwardSpec.parse("127.0.0.1:0:127.0.0.1:" + target.address().getPort()), c);
    forwards.add(f.start());
    c.start().get(20, TimeUnit.SECONDS);
    clients.add(c);
    fronts.add(f);
  }

  boolean allUp() {
    return clients.stream().allMatch(c -> c.health().ok());
  }

  /** The link_up events of server i's audit trail so far. */
  List<Map<String, Object>> linkUps(int i) throws IOException {
    Path f = dir.resolve("server" + i + ".audit");
    if (!Files.exists(f)) {
      return List.of();
    }
    return JsonLines.read(f).stream().filter(e -> "link_up".equals(e.get("event"))).toList();
  }

  void awaitLinkUps(int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      List<Map<String, Object>> all = new ArrayList<>();
      for (int i = 0; i < servers.size(); i++) {
        all.addAll(linkUps(i));
      }
      if (all.size() >= n) {
        return;
      }
      assertThat(System.nanoTime()).as("%d link_up event(s)", n).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /**
   * One thread opening request/response streams one after the other through a -L forward to the
   * echo target, each with its own random bytes, until stopped (or 100 000 streams).
   */
  static final class Load {
    /** One stream: whether all bytes came back, or it ended early, or bytes were wrong. */
    record Result(long startedNanos, boolean ok, boolean wrongBytes, String error) {}

    final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final Thread thread;

    private Load(InetSocketAddress to, int seed) {
      thread =
          new Thread(
              () -> {
                SplittableRandom random = new SplittableRandom(seed);
                for (int i = 0; i < 100_000 && !stop.get(); i++) {
                  results.add(stream(to, random));
                }
              },
              "haproxy-load-" + seed);
    }

    static Load start(InetSocketAddress to, int seed) {
      Load l = new Load(to, seed);
      l.thread.start();
      return l;
    }

    List<Result> stop() throws InterruptedException {
      stop.set(true);
      thread.join(30_000);
      assertThat(thread.isAlive()).as("load thread stopped").isFalse();
      return List.copyOf(results);
    }

    static Result stream(InetSocketAddress to, SplittableRandom random) {
      long started = System.nanoTime();
      byte[] sent = new byte[STREAM_BYTES];
      random.nextBytes(sent);
      byte[] got = new byte[STREAM_BYTES];
      int read = 0;
      try (Socket s = new Socket()) {
        s.connect(to, 5000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(sent);
        out.flush();
        while (read < got.length) {
          int n = in.read(got, read, got.length - read);
          if (n < 0) {
            break;
          }
          read += n;
        }
      } catch (IOException e) {
        return new Result(started, false, !prefixMatches(sent, got, read), e.toString());
      }
      boolean right = prefixMatches(sent, got, read);
      return new Result(
          started, right && read == got.length, !right, read + " of " + got.length + " bytes");
    }

    static boolean prefixMatches(byte[] sent, byte[] got, int n) {
      return Arrays.equals(sent, 0, n, got, 0, n);
    }
  }
}
