package dev.ett.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: with {@code accept *:*}, a server does not connect its clients to its own
 * public address — which would reach a service bound to 0.0.0.0 on the server from the loopback
 * side, past firewall rules that guard only the external interface — while a rule naming that
 * address opens it; and an address added to an interface while the server runs is closed within
 * seconds.
 *
 * <p>Setup ({@link Netns}, namespace A only): A's end of the link veth carries public-looking
 * addresses ({@value #OWN}, {@value #NAMED}; in no special-purpose block, so only the own-address
 * rule can close them). Nothing routes beyond A's own links, so no packet to them leaves A. In A
 * run an {@code ett target} (echo) bound to {@code 0.0.0.0} and an {@code ett server} on A's front
 * address with {@code --policy 'accept NAMED:PORT, accept *:*'}; this JVM runs the client (in the
 * root namespace, over the front veth) with {@link AnyForward} fronts on loopback. Skipped, with
 * the reason, where namespaces cannot be made (see {@link Netns}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NetnsOwnAddressTest {
  static final String OWN = "192.0.1.7", NAMED = "192.0.1.8", ADDED = "192.0.1.9";
  static final int SERVER_PORT = 7000, TARGET_PORT = 7001;

  static Netns net;
  static Netns.Child target, server;
  static Client client;
  static String skipped;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Netns.Attempt attempt = Netns.attempt("NetnsOwnAddressTest");
    net = attempt.net();
    skipped = attempt.skipped();
    if (skipped != null) {
      return;
    }
    for (String a : new String[] {OWN, NAMED}) {
      net.ip("-n", net.a, "addr", "add", a + "/32", "dev", net.linkA);
    }
    KeyPair serverKey = X25519.generate(), clientKey = X25519.generate();
    Path sk = dir.resolve("server.key"), authorized = dir.resolve("authorized");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    target =
        net.spawn(
            net.a,
            "target",
            NetnsFaultsTest.ett("target", "--listen", "0.0.0.0:" + TARGET_PORT, "--mode", "echo"));
    server =
        net.spawn(
            net.a,
            "server",
            NetnsFaultsTest.ett(
                "server",
                "--listen",
                net.frontAddr + ":" + SERVER_PORT,
                "--key",
                sk.toString(),
                "--authorized",
                authorized.toString(),
                "--policy",
                "accept " + NAMED + ":" + TARGET_PORT + ", accept *:*",
                "--threads",
                "1"));
    target.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(30), "listening on");
    server.awaitLine(Long.MIN_VALUE, Duration.ofSeconds(30), "listening on");
    client =
        new Client(
            new Client.Options(
                new InetSocketAddress(net.frontAddr, SERVER_PORT),
                serverKey.publicKey(),
                clientKey,
                Suite.AESGCM,
                LinkConfig.defaults(),
                1024));
    client.start().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void onlyWithNamespaces() {
    assumeTrue(skipped == null, () -> skipped);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (net != null) {
      net.close();
    }
  }

  static AnyForward front(String address) throws Exception {
    AnyForward f =
        new AnyForward(client, Destination.of(InetAddress.getByName(address), TARGET_PORT));
    f.start();
    return f;
  }

  @Test
  void acceptAllDoesNotOpenTheServersOwnAddress() throws Exception {
    try (AnyForward f = front(OWN)) {
      f.assertRefused(RefuseCode.POLICY);
    }
    server.awaitLine(
        Long.MIN_VALUE,
        Duration.ofSeconds(10),
        OWN + " is an address of this server; closed unless a rule names it");
  }

  @Test
  void aRuleNamingTheAddressOpensIt() throws Exception {
    try (AnyForward f = front(NAMED)) {
      f.assertEchoes();
    }
  }

  @Test
  void anAddressAddedWhileTheServerRunsIsClosedWithinSeconds() throws Exception {
    long since = System.nanoTime();
    net.ip("-n", net.a, "addr", "add", ADDED + "/32", "dev", net.linkA);
    server.awaitLine(
        since, Duration.ofSeconds(20), "addresses of this server changed: added " + ADDED);
    try (AnyForward f = front(ADDED)) {
      f.assertRefused(RefuseCode.POLICY);
    }
  }
}
