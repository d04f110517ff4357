package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.audit.AuditWriter;
import dev.ett.audit.JsonLines;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Limits;
import dev.ett.route.ChainedClient;
import dev.ett.route.Hop;
import dev.ett.route.Route;
import dev.ett.server.Reloader;
import dev.ett.server.Server;
import dev.ett.wire.Destination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Three real ett servers on loopback, each configured from its own files (authorized, hosts, audit
 * trail), and a client "alice" whose route passes through them: the setup of the chaining tests.
 *
 * <p>Servers are started last hop first, because each hop's rules name the next hop's port. Each
 * hop's global rule opens loopback ({@code accept 127.0.0.0/8:*}); alice's own rule at hop k
 * accepts only what it should relay to: hop k+1's address and port, or, at the last hop, the
 * destinations the test gives.
 */
final class ChainNet implements AutoCloseable {
  final Path dir;
  final KeyPair alice = X25519.generate();
  final List<HopServer> hops = new ArrayList<>();
  final List<AnyForward> fronts = new ArrayList<>();
  ChainedClient chain;
  LinkConfig config = LinkConfig.defaults();

  ChainNet(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts {@code count} servers; the last one accepts alice's streams to {@code exitRules} and
   * resolves names with {@code hosts} ("/etc/hosts" lines, may be empty).
   */
  static ChainNet start(Path dir, int count, String exitRules, String hosts) throws Exception {
    ChainNet net = new ChainNet(dir);
    try {
      for (int n = 1; n <= count; n++) {
        net.hops.add(new HopServer(n, dir.resolve("hop" + n), net.alice));
      }
      String rules = exitRules;
      for (int n = count; n >= 1; n--) {
        HopServer h = net.hop(n);
        h.start(rules, n == count ? hosts : "", net.config);
        rules = "accept " + h.address.getAddress().getHostAddress() + ":" + h.address.getPort();
      }
      return net;
    } catch (Exception | Error e) {
      net.close();
      throw e;
    }
  }

  HopServer hop(int n) {
    return hops.get(n - 1);
  }

  Route route() {
    List<Hop> list = new ArrayList<>();
    for (HopServer h : hops) {
      list.add(Hop.parse("127.0.0.1:" + h.address.getPort(), h.key.publicKey()));
    }
    return new Route(list);
  }

  /** Builds and starts alice's chained client (does not wait for it). */
  ChainedClient connect() throws Exception {
    chain = new ChainedClient(route(), alice, Suite.AESGCM, config, 1024);
    chain.start();
    return chain;
  }

  void awaitRoute() throws Exception {
    chain.start().get(15, TimeUnit.SECONDS);
  }

  /** A front on the innermost layer: each connection to it becomes a stream to {@code to}. */
  AnyForward front(Destination to) throws InterruptedException {
    AnyForward f = new AnyForward(chain.innermost(), to);
    f.start();
    fronts.add(f);
    return f;
  }

  /** The local address of layer 1's link socket: the client's address as hop 1 sees it. */
  String clientAddressAtHop1() throws Exception {
    Client l1 = chain.layer(1);
    CompletableFuture<InetSocketAddress> a = new CompletableFuture<>();
    l1.eventLoop().execute(() -> a.complete(l1.linkLocalAddress()));
    InetSocketAddress isa = a.get(5, TimeUnit.SECONDS);
    return isa.getAddress().getHostAddress() + ":" + isa.getPort();
  }

  @Override
  public void close() {
    fronts.forEach(AnyForward::close);
    if (chain != null) {
      chain.close();
    }
    hops.forEach(HopServer::close);
  }

  /** One ett server of the chain with its own files. */
  static final class HopServer implements AutoCloseable {
    final int n;
    final Path dir;
    final KeyPair key = X25519.generate();
    final KeyPair alice;
    final Path authorizedFile, hostsFile, auditFile;
    InetSocketAddress address;
    Server server;
    AuditWriter audit;
    private LinkConfig config;

    HopServer(int n, Path dir, KeyPair alice) throws IOException {
      this.n = n;
      this.dir = Files.createDirectories(dir);
      this.alice = alice;
      this.authorizedFile = dir.resolve("authorized");
      this.hostsFile = dir.resolve("hosts");
      this.auditFile = dir.resolve("audit.jsonl");
    }

    void start(String aliceRules, String hosts, LinkConfig config) throws Exception {
      // 200 streams may be opening at once at the exit (and more on a loaded machine, where the
      // destination accepts slowly): these tests are about the route, not admission limits.
      this.config = config.withMaxPendingOpens(Math.max(1024, config.maxPendingOpens()));
      write(authorizedFile, KeyFile.encode(alice.publicKey()) + " alice " + aliceRules + "\n");
      write(hostsFile, hosts);
      listen(new InetSocketAddress("127.0.0.1", 0));
    }

    private void listen(InetSocketAddress at) throws Exception {
      Server.Config c = Reloader.load(sources());
      audit = AuditWriter.toFile(auditFile);
      server =
          new Server(
              new Server.Options(
                  at,
                  key,
                  c.authorized(),
                  c.globalPolicy(),
                  c.hosts(),
                  config,
                  256,
                  2,
                  audit,
                  Limits.UNLIMITED));
      address = server.start();
    }

    /** Replaces alice's rules at this hop (as an operator's edit and reload would). */
    void setAliceRules(String aliceRules) throws Exception {
      write(authorizedFile, KeyFile.encode(alice.publicKey()) + " alice " + aliceRules + "\n");
      server.reload(Reloader.load(sources()), "test");
    }

    private Reloader.Sources sources() {
      return new Reloader.Sources(authorizedFile, List.of("accept 127.0.0.0/8:*"), null, hostsFile);
    }

    /** Stops the server: its links close, as when the process dies. */
    void stop() {
      server.close();
      audit.close();
      server = null;
    }

    /** Starts it again on the same address, with the same key and files. */
    void restart() throws Exception {
      listen(address);
    }

    /** Every audit line written so far (waits for the writer). */
    List<Map<String, Object>> events() throws Exception {
      if (audit != null) {
        assertThat(audit.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
      }
      return JsonLines.read(auditFile);
    }

    /** The trail as bytes on disk, for "this text is nowhere in it". */
    String rawTrail() throws Exception {
      events();
      return Files.readString(auditFile, StandardCharsets.UTF_8);
    }

    String name() {
      return "hop " + n + " (127.0.0.1:" + address.getPort() + ")";
    }

    @Override
    public void close() {
      if (server != null) {
        stop();
      }
    }

    private static void write(Path file, String content) throws IOException {
      Files.writeString(file, content);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }
}
