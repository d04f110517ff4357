package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Limits;
import dev.ett.server.Reloader;
import dev.ett.wire.Destination;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: the rotation procedure of docs/operations.md, with clients connected. The
 * server starts with K1; a reload adds K2; a client pinned to K2 connects while one pinned to K1
 * keeps its link; a reload drops K1; the K1 client's link and its long stream (every byte checked)
 * run on across both reloads; a new client pinned only to K1 is no longer answered. The audit says
 * which key each link used.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeyRotationEndToEndTest {

  @Test
  void keysRotateWithClientsConnectedAndNoStreamBroken(@TempDir Path dir) throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      int port = echo.address().getPort();
      KeyPair k1 = t.serverKey;
      KeyPair k2 = X25519.generate();
      Path k1File = dir.resolve("k1.key");
      Path k2File = dir.resolve("k2.key");
      KeyFile.write(k1File, k1.privateKey().clone(), k1.publicKey());
      KeyFile.write(k2File, k2.privateKey().clone(), k2.publicKey());
      t.writeAuthorized("alice", "bob", "carol");
      t.startServer(List.of("accept 127.0.0.1:" + port), Limits.UNLIMITED);
      Reloader.Sources base = t.sources;
      Reloader reloader = new Reloader(t.server, withKeys(base, k1File));

      // alice pins K1 (PolicyTunnel's clients pin its server key) and runs a long stream.
      t.awaitLink("alice");
      AnyForward alice = t.front("alice", Destination.ofName("127.0.0.1", port));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong verified = new AtomicLong();
      Future<Long> stream = pool.submit(() -> echoUntil(alice.address, stop, verified));
      PolicyTunnel.await(() -> verified.get() > 64 * 1024);

      // Step 1: add K2 (the new key first: it is tried first).
      assertThat(reloader.reload("add K2", withKeys(base, k2File, k1File), null)).isTrue();
      assertThat(t.server.keys()).containsExactly(k2, k1);

      // Step 2: a client moved over to K2 connects; alice, on K1, carries on.
      Client bob = pinned(t, k2.publicKey(), "bob");
      bob.start().get(10, TimeUnit.SECONDS);
      AnyForward bobFront = new AnyForward(bob, Destination.ofName("127.0.0.1", port));
      bobFront.start();
      bobFront.assertEchoes();
      assertThat(t.server.linksByServerKey())
          .containsEntry(KeyFile.fingerprint(k2.publicKey()), 1)
          .containsEntry(KeyFile.fingerprint(k1.publicKey()), 1);

      // Step 3: drop K1. Links up under it keep running; new handshakes for it fail.
      long before = verified.get();
      assertThat(reloader.reload("drop K1", withKeys(base, k2File), null)).isTrue();
      assertThat(t.server.keys()).containsExactly(k2);
      PolicyTunnel.await(() -> verified.get() > before + 64 * 1024);
      Client carol = pinned(t, k1.publicKey(), "carol");
      CompletableFuture<Void> carolUp = carol.start();
      PolicyTunnel.await(() -> carol.lastFailure().contains("handshake failed"));
      assertThat(carolUp).isNotDone();
      bobFront.assertEchoes();

      stop.set(true);
      long total = stream.get(20, TimeUnit.SECONDS);
      assertThat(total).isGreaterThan(128 * 1024);
      assertThat(t.client("alice").linksEstablished())
          .as("alice's one link throughout")
          .isEqualTo(1);
      assertThat(bob.linksEstablished()).isEqualTo(1);

      Map<String, Object> aliceUp = t.awaitEvent(PolicyTunnel.event("link_up", "client", "alice"));
      assertThat(aliceUp).containsEntry("server_key", KeyFile.fingerprint(k1.publicKey()));
      Map<String, Object> bobUp = t.awaitEvent(PolicyTunnel.event("link_up", "client", "bob"));
      assertThat(bobUp).containsEntry("server_key", KeyFile.fingerprint(k2.publicKey()));
      assertThat(t.auditEvents()).noneMatch(e -> "carol".equals(e.get("client")));

      bobFront.close();
      bob.close();
      carol.close();
    }
  }

  private static Reloader.Sources withKeys(Reloader.Sources s, Path... keys) {
    return new Reloader.Sources(
        s.authorized(), s.cliRules(), s.policyFile(), s.hosts(), List.of(keys));
  }

  private static Client pinned(PolicyTunnel t, byte[] serverKey, String name) {
    return new Client(
        new Client.Options(t.serverAddress, serverKey, t.key(name), Suite.AESGCM, t.config, 1024));
  }

  /**
   * One stream through the tunnel to the echo server: writes a counting pattern in 8 KiB chunks and
   * checks every byte that comes back, until told to stop; returns the bytes verified.
   */
  private static long echoUntil(InetSocketAddress front, AtomicBoolean stop, AtomicLong verified)
      throws Exception {
    try (Socket s = Io.connect(front)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] chunk = new byte[8192];
      long sent = 0;
      while (!stop.get()) {
        for (int i = 0; i < chunk.length; i++) {
          chunk[i] = (byte) ((sent + i) * 31 >>> 3);
        }
        out.write(chunk);
        byte[] back = Io.readFully(in, chunk.length);
        assertThat(back).as("echo at byte " + sent).isEqualTo(chunk);
        sent += chunk.length;
        verified.set(sent);
      }
      return sent;
    }
  }
}
