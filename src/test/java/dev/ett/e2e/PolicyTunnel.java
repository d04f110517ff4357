package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.audit.AuditWriter;
import dev.ett.audit.JsonLines;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.exit.FirstBytesBounds;
import dev.ett.exit.Resolver;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Limits;
import dev.ett.server.Reloader;
import dev.ett.server.Server;
import dev.ett.wire.Destination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A server configured from real files (authorized, hosts, audit trail in a temp directory) and any
 * number of named clients, each with fronts to arbitrary wire destinations: the setup of the
 * policy, audit, reload and limits end-to-end tests.
 *
 * <p>Authorized lines are written with client names where the key goes: {@code "alice accept *:*"}
 * becomes {@code "<alice's key> alice accept *:*"}.
 */
final class PolicyTunnel implements AutoCloseable {
  final Path dir;
  final KeyPair serverKey = X25519.generate();
  final Path authorizedFile;
  final Path hostsFile;
  final Path auditFile;
  private final Map<String, KeyPair> keys = new HashMap<>();
  private final Map<String, Client> clients = new LinkedHashMap<>();
  private final Map<String, java.util.concurrent.CompletableFuture<Void>> firstLinks =
      new HashMap<>();
  private final List<AnyForward> fronts = new ArrayList<>();
  Server server;
  InetSocketAddress serverAddress;
  AuditWriter audit;
  Reloader reloader;
  Reloader.Sources sources;
  LinkConfig config = LinkConfig.defaults();
  Resolver.Options resolver = Resolver.Options.defaults();
  FirstBytesBounds firstBytes = FirstBytesBounds.defaults();

  PolicyTunnel(Path dir) {
    this.dir = dir;
    this.authorizedFile = dir.resolve("authorized");
    this.hostsFile = dir.resolve("hosts");
    this.auditFile = dir.resolve("audit.jsonl");
  }

  KeyPair key(String name) {
    return keys.computeIfAbsent(name, n -> X25519.generate());
  }

  /** Writes the authorized file atomically (a new file renamed over the old, as editors do). */
  void writeAuthorized(String... lines) throws IOException {
    StringBuilder sb = new StringBuilder("# written by the test\n");
    for (String line : lines) {
      String name = line.split("\\s+", 2)[0];
      sb.append(KeyFile.encode(key(name).publicKey())).append(' ').append(line).append('\n');
    }
    writeAtomically(authorizedFile, sb.toString());
  }

  void writeAtomically(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(dir, ".tmp", "");
    Files.writeString(tmp, content);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  void writeHosts(String content) throws IOException {
    writeAtomically(hostsFile, content);
  }

  void startServer(List<String> globalRules, Limits defaults) throws Exception {
    boolean hosts = Files.exists(hostsFile);
    sources = new Reloader.Sources(authorizedFile, globalRules, null, hosts ? hostsFile : null);
    Server.Config c = Reloader.load(sources);
    audit = AuditWriter.toFile(auditFile);
    server =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                c.authorized(),
                c.globalPolicy(),
                c.hosts(),
                config,
                256,
                2,
                audit,
                defaults,
                resolver,
                firstBytes));
    serverAddress = server.start();
    reloader = new Reloader(server, sources);
  }

  /** The named client, connected (or trying to). */
  Client client(String name) {
    return clients.computeIfAbsent(
        name,
        n -> {
          Client c =
              new Client(
                  new Client.Options(
                      serverAddress, serverKey.publicKey(), key(n), Suite.AESGCM, config, 1024));
          // start() only once: each call makes the client connect again.
          firstLinks.put(n, c.start());
          return c;
        });
  }

  /** Closes the named client (its fronts stop with its event loop). */
  void closeClient(String name) {
    Client c = clients.remove(name);
    if (c != null) {
      fronts.removeIf(f -> f.client == c);
      c.close();
    }
  }

  void awaitLink(String name) throws Exception {
    client(name);
    firstLinks.get(name).get(10, TimeUnit.SECONDS);
  }

  /** A front for {@code name}'s client: every connection to it becomes a stream to {@code to}. */
  AnyForward front(String name, Destination to) throws InterruptedException {
    AnyForward f = new AnyForward(client(name), to);
    f.start();
    fronts.add(f);
    return f;
  }

  /** Front to a destination given as text: sent as a NAME unless it is a strict literal. */
  AnyForward frontToName(String name, String host, int port) throws InterruptedException {
    return front(name, Destination.ofName(host, port));
  }

  /** Every audit line written so far (waits for the writer). */
  List<Map<String, Object>> auditEvents() throws Exception {
    assertThat(audit.awaitWritten(10, TimeUnit.SECONDS)).isTrue();
    return JsonLines.read(auditFile);
  }

  /** Waits until an audit event matches, and returns it. */
  Map<String, Object> awaitEvent(Predicate<Map<String, Object>> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      for (Map<String, Object> e : auditEvents()) {
        if (p.test(e)) {
          return e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no audit event matched; trail:\n"
                + String.join("\n", auditEvents().stream().map(Object::toString).toList()));
      }
      Thread.sleep(20);
    }
  }

  /** How many audit events of {@code type} are written so far. */
  int count(String type) {
    try {
      return (int) auditEvents().stream().filter(e -> type.equals(e.get("event"))).count();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The {@code n}th (0-based) audit event of {@code type}, waiting for it. */
  Map<String, Object> nthEvent(String type, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<Map<String, Object>> of =
          auditEvents().stream().filter(e -> type.equals(e.get("event"))).toList();
      if (of.size() > n) {
        return of.get(n);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no "
                + type
                + " event #"
                + n
                + "; trail:\n"
                + String.join("\n", auditEvents().stream().map(Object::toString).toList()));
      }
      Thread.sleep(20);
    }
  }

  static Predicate<Map<String, Object>> event(String type, String key, Object value) {
    return e -> type.equals(e.get("event")) && value.equals(e.get(key));
  }

  @Override
  public void close() {
    fronts.forEach(AnyForward::close);
    clients.values().forEach(Client::close);
    if (server != null) {
      server.close();
    }
    if (audit != null) {
      audit.close();
    }
  }

  /** Waits up to 10 s for {@code condition}; fails the test if it never holds. */
  static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(20);
    }
  }

  static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }
}
