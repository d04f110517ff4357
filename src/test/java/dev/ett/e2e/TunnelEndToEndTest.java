package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.link.LinkConfig;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: a real client and a real server on loopback carry TCP streams whole and in
 * order, or not at all — with the keys, policy and failures a user meets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunnelEndToEndTest {

  @Test
  void hundredMegabytesArriveWithMatchingSha256() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SINK)) {
      try (Socket s = Io.connect(t.forward)) {
        String sent = Io.pushRandom(s, 100L << 20, 42);
        // The sink answers the SHA-256 of what reached it after our half-close.
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
    }
  }

  @Test
  void hundredMegabytesFromTheFarSideArriveIntact() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SOURCE)) {
      try (Socket s = Io.connect(t.forward)) {
        assertThat(Io.pullPattern(s, 100L << 20)).isEqualTo(100L << 20);
      }
    }
  }

  @Test
  void twoHundredConcurrentStreamsEachEchoTheirOwnBytes() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      t.awaitLink(Duration.ofSeconds(10));
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int seed = i;
        results.add(
            pool.submit(
                () -> {
                  byte[] data = new byte[64 * 1024 + seed * 517];
                  new Random(seed).nextBytes(data);
                  try (Socket s = Io.connect(t.forward)) {
                    Thread writer =
                        Thread.ofVirtual()
                            .start(
                                () -> {
                                  try {
                                    s.getOutputStream().write(data);
                                    s.shutdownOutput();
                                  } catch (IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                  }
                                });
                    byte[] back = s.getInputStream().readAllBytes();
                    writer.join();
                    return java.util.Arrays.equals(back, data);
                  }
                }));
      }
      for (Future<Boolean> r : results) {
        assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @Test
  void aBurstOfStreamsWaitsForTheServersPendingOpensLimitInsteadOfBeingRefused() throws Exception {
    // The server lets only 2 streams be connecting at once and says so in its handshake; the
    // client holds the other OPENs back, so none of 60 simultaneous connections is refused.
    LinkConfig tight = LinkConfig.defaults().withMaxPendingOpens(2);
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO, null, tight);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      t.awaitLink(Duration.ofSeconds(10));
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        results.add(
            pool.submit(
                () -> {
                  try (Socket s = Io.connect(t.forward)) {
                    s.getOutputStream().write("ping".getBytes());
                    return java.util.Arrays.equals(
                        Io.readFully(s.getInputStream(), 4), "ping".getBytes());
                  }
                }));
      }
      for (Future<Boolean> r : results) {
        assertThat(r.get(30, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @Test
  void halfCloseLetsTheClientReadTheReplyAfterShuttingItsOutput() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SINK)) {
      try (Socket s = Io.connect(t.forward)) {
        s.getOutputStream().write("hello".getBytes());
        s.shutdownOutput();
        // sha256("hello")
        assertThat(Io.readLine(s))
            .isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
    }
  }

  @Test
  void unauthorizedClientKeyIsRefused() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      KeyPair stranger = X25519.generate();
      t.front.close();
      t.client.close();
      t.startClient(stranger, t.serverKey.publicKey(), t.serverAddress);
      assertStreamFails(t);
      assertThat(t.client.lastFailure()).contains("handshake failed");
      assertThat(t.server.linkCount()).isZero();
    }
  }

  @Test
  void wrongPinnedServerKeyIsRefused() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      t.front.close();
      t.client.close();
      t.startClient(t.clientKey, X25519.generate().publicKey(), t.serverAddress);
      assertStreamFails(t);
      assertThat(t.client.lastFailure()).contains("handshake failed");
    }
  }

  @Test
  void destinationOutsideThePolicyIsRefused() throws Exception {
    try (Tunnel t =
        Tunnel.start(TestTarget.Mode.ECHO, "accept 127.0.0.1:1", LinkConfig.defaults())) {
      t.awaitLink(Duration.ofSeconds(10));
      assertStreamFails(t);
    }
  }

  @Test
  void clientReconnectsAfterTheServerRestarts() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      assertEchoes(t);
      t.stopServer();
      t.startServer(t.serverAddress); // same port, new process state (replay guard included)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (t.client.linksEstablished() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(t.client.linksEstablished()).isEqualTo(2);
      assertEchoes(t);
    }
  }

  @Test
  void aStreamOpenedWhileTheClientBacksOffReconnectsAtOnce() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      t.stopServer();
      // Failed attempts at about 0.25, 0.75, 1.75 and 3.75 s: the next waits about 4 s more.
      Thread.sleep(4_500);
      t.startServer(t.serverAddress);
      long start = System.nanoTime();
      assertEchoes(t); // the application does not wait out the backoff
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(ms).as("ms from the server being back to the first echo").isLessThan(1_500);
      assertThat(t.client.linksEstablished()).isEqualTo(2);
    }
  }

  static void assertEchoes(Tunnel t) throws IOException {
    try (Socket s = Io.connect(t.forward)) {
      s.getOutputStream().write("ping".getBytes());
      assertThat(Io.readFully(s.getInputStream(), 4)).isEqualTo("ping".getBytes());
    }
  }

  /**
   * The application sees its connection fail (reset, even during connect, or closed) without
   * receiving any byte.
   */
  static void assertStreamFails(Tunnel t) throws IOException {
    int r;
    try (Socket s = Io.connect(t.forward)) {
      s.getOutputStream().write("ping".getBytes());
      InputStream in = s.getInputStream();
      r = in.read();
    } catch (SocketException e) {
      r = -1; // connection reset: what we want the application to see
    }
    assertThat(r).isEqualTo(-1);
  }
}
