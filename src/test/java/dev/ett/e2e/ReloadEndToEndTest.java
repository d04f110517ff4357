package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.policy.Limits;
import dev.ett.server.ConfigWatcher;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: editing the authorized file under load adds a key without disturbing the links
 * that stay allowed, a broken edit changes nothing, and removing a key closes that client's link at
 * once — its open streams included — while the others carry on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadEndToEndTest {

  @Test
  void addingAndRevokingKeysUnderLoadTouchesOnlyThoseKeys(@TempDir Path dir) throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      int port = echo.address().getPort();
      t.writeAuthorized("alice");
      t.startServer(List.of("accept 127.0.0.1:" + port), Limits.UNLIMITED);
      try (ConfigWatcher watcher =
          new ConfigWatcher(t.sources.files(), Duration.ofMillis(100), t.reloader::reload)) {
        t.awaitLink("alice");
        AnyForward alice = t.front("alice", Destination.ofName("127.0.0.1", port));

        // Load on alice's link: echo round trips on 4 connections until told to stop.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
          pool.submit(
              () -> {
                while (!stop.get()) {
                  try {
                    alice.assertEchoes();
                    ok.incrementAndGet();
                  } catch (IOException | AssertionError e) {
                    failed.incrementAndGet();
                  }
                }
                return null;
              });
        }
        PolicyTunnel.await(() -> ok.get() > 50);

        // bob is not authorized yet: his handshakes fail silently.
        t.client("bob");
        PolicyTunnel.await(() -> t.client("bob").lastFailure().contains("handshake failed"));

        // Add bob: his client gets in on its next attempt; alice's link is untouched.
        t.writeAuthorized("alice", "bob");
        t.awaitLink("bob");
        AnyForward bob = t.front("bob", Destination.ofName("127.0.0.1", port));
        bob.assertEchoes();
        int okBefore = ok.get();
        PolicyTunnel.await(() -> ok.get() > okBefore + 50);
        assertThat(failed.get()).as("alice's streams while bob was added").isZero();
        assertThat(t.client("alice").linksEstablished()).isEqualTo(1);

        // A broken edit keeps the previous configuration.
        Files.writeString(t.authorizedFile, "this is not a key line\n");
        assertThat(t.reloader.reload("test")).isFalse();
        PolicyTunnel.sleep(Duration.ofMillis(300)); // the watcher's reload fails the same way
        assertThat(t.server.config().authorized().size()).isEqualTo(2);
        bob.assertEchoes();
        alice.assertEchoes();

        // A long-lived stream of alice's, open when her key goes.
        Socket held = Io.connect(alice.address);
        held.getOutputStream().write("ping".getBytes());
        assertThat(Io.readFully(held.getInputStream(), 4)).isEqualTo("ping".getBytes());

        // Revoke alice: her link closes at once, bob's stays.
        t.writeAuthorized("bob");
        Map<String, Object> down =
            t.awaitEvent(
                e -> "link_down".equals(e.get("event")) && "alice".equals(e.get("client")));
        assertThat(down).containsEntry("reason", "key revoked");
        assertThat(readAfterRevocation(held)).isEqualTo(-1);
        held.close();
        stop.set(true);
        Map<String, Object> reload =
            t.awaitEvent(
                e -> "reload".equals(e.get("event")) && !((List<?>) e.get("revoked")).isEmpty());
        assertThat(reload).containsEntry("revoked", List.of("alice")).containsEntry("clients", 1L);
        assertThat(t.auditEvents())
            .anyMatch(
                e ->
                    "stream_closed".equals(e.get("event"))
                        && "alice".equals(e.get("client"))
                        && "policy".equals(e.get("end")));

        // alice cannot come back; bob never noticed.
        PolicyTunnel.await(() -> t.client("alice").lastFailure().contains("handshake failed"));
        assertThat(t.client("bob").linksEstablished()).isEqualTo(1);
        bob.assertEchoes();
        assertThat(t.server.linkCount()).isEqualTo(1);
      }
    }
  }

  /**
   * The attack of issue 12 item 9: the policy file was mode 0666, another local user wrote {@code
   * accept private} into it, and 1.5 s later the hot reload had opened loopback to every client.
   * Now the reload refuses the file, logs {@code file: reason}, and the old policy holds.
   */
  @Test
  void aPolicyFileOthersCanWriteIsRefusedOnReloadAndTheOldPolicyHolds(@TempDir Path dir)
      throws Exception {
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      int port = echo.address().getPort();
      Path policyFile = dir.resolve("policy");
      Files.writeString(policyFile, "accept 192.0.2.1:" + port + "\n");
      Files.setPosixFilePermissions(
          policyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      t.writeAuthorized("alice");
      t.startServer(List.of(), Limits.UNLIMITED);
      // The same server, its global rules now from the file (PolicyTunnel has no --policy-file).
      t.sources =
          new dev.ett.server.Reloader.Sources(t.authorizedFile, List.of(), policyFile, null);
      t.reloader = new dev.ett.server.Reloader(t.server, t.sources);
      assertThat(t.reloader.reload("test")).isTrue();
      assertThat(t.server.config().globalPolicy().rules()).hasSize(1);
      t.awaitLink("alice");
      AnyForward loopback = t.front("alice", Destination.ofName("127.0.0.1", port));
      loopback.assertRefused(RefuseCode.POLICY);

      System.setErr(
          new java.io.PrintStream(
              new TeeStream(oldErr, log), true, java.nio.charset.StandardCharsets.UTF_8));
      try (ConfigWatcher watcher =
          new ConfigWatcher(t.sources.files(), Duration.ofMillis(100), t.reloader::reload)) {
        // Someone makes it writable by all, and another user writes into it (in place).
        Files.setPosixFilePermissions(
            policyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(policyFile, "accept private\n");
        String expected =
            policyFile
                + ": mode 0666 lets group or others change the exit policy; run chmod go-w "
                + policyFile;
        PolicyTunnel.await(
            () -> log.toString(java.nio.charset.StandardCharsets.UTF_8).contains(expected));
        assertThat(log.toString(java.nio.charset.StandardCharsets.UTF_8))
            .contains(
                "reload (policy changed) failed, keeping the previous configuration: " + expected);
        assertThat(t.reloader.reload("SIGHUP")).isFalse();

        assertThat(t.server.config().globalPolicy().toString())
            .contains("192.0.2.1")
            .doesNotContain("private");
        loopback.assertRefused(RefuseCode.POLICY);

        // Back to 0644: the next change is read, checked and applied.
        Files.setPosixFilePermissions(
            policyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        PolicyTunnel.await(() -> t.server.config().globalPolicy().toString().contains("private"));
      } finally {
        System.setErr(oldErr);
      }
    }
  }

  /** Writes to both: the test reads the log while it still reaches the console. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.ByteArrayOutputStream b;

    TeeStream(java.io.OutputStream a, java.io.ByteArrayOutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
      a.write(c);
      synchronized (b) {
        b.write(c);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }
  }

  private static int readAfterRevocation(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      return in.read();
    } catch (SocketException e) {
      return -1; // reset: the stream was cut, which is what revocation means
    }
  }
}
