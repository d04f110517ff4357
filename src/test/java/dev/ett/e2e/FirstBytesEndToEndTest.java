package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.exit.FirstBytesBounds;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.inspect.Starts;
import dev.ett.policy.Limits;
import dev.ett.wire.Destination;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: PROTOCOL.md §6.1 end to end, with real sockets on loopback. Under {@code
 * accept 127.0.0.1:PORT tls} a stream whose first bytes are a TLS ClientHello reaches its
 * destination with exactly the bytes the application sent (the hello, whole or in pieces, and what
 * follows it), through a {@code -L} forward and through a SOCKS5 port; a stream whose first bytes
 * are anything else, too few before the time bound or the client's FIN, or too many of an
 * unfinished start, ends for its application and its destination never sees a TCP connection. A
 * rule without a protocol still connects at OPEN time; a mismatch falls through to a later rule.
 * The audit trail says what was seen (protocol, SNI, ECH) and why a stream was refused; Netty's
 * paranoid leak detection (LeakCheckExtension) checks that no held buffer leaks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FirstBytesEndToEndTest {
  private static final byte[] HELLO = Starts.clientHello("www.example.com");
  private static final byte[] AFTER =
      "application data after the hello".getBytes(StandardCharsets.US_ASCII);

  @Test
  void aClientHelloThroughAForwardReachesTheDestinationWithEveryByteSent(@TempDir Path dir)
      throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      byte[] sent = cat(HELLO, AFTER);
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(sent);
        assertThat(Io.readFully(s.getInputStream(), sent.length)).as("echoed").isEqualTo(sent);
        s.shutdownOutput();
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
      assertThat(dest.next()).isEqualTo(sent);

      Map<String, Object> opened = t.nthEvent("stream_opened", 0);
      assertThat(opened)
          .containsEntry("protocol", "tls")
          .containsEntry("server_name", "www.example.com")
          .containsEntry("ech", false)
          .containsEntry("resolved", "127.0.0.1:" + dest.port());
      assertThat((String) opened.get("rule"))
          .startsWith("accepted by global rule 1")
          .contains("(tls, SNI www.example.com)");
      Map<String, Object> closed = t.nthEvent("stream_closed", 0);
      assertThat(closed)
          .containsEntry("protocol", "tls")
          .containsEntry("server_name", "www.example.com")
          .containsEntry("ech", false)
          .containsEntry("end", "fin")
          .containsEntry("bytes_from_client", (long) sent.length);
    }
  }

  @Test
  void aClientHelloSplitOverSeveralWritesIsHeldUntilWholeThenPassesWithEveryByte(@TempDir Path dir)
      throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      try (Socket s = Io.connect(front.address)) {
        OutputStream out = s.getOutputStream();
        // Record header, then the handshake header, then the rest: each its own DATA frame (a
        // pause, TCP_NODELAY), so the server decides on each and waits.
        int[] cuts = {3, 9, HELLO.length / 2, HELLO.length};
        int from = 0;
        for (int cut : cuts) {
          out.write(HELLO, from, cut - from);
          from = cut;
          Thread.sleep(100);
          if (cut < HELLO.length) {
            assertThat(dest.accepted.get()).as("connections before the hello is whole").isZero();
          }
        }
        out.write(AFTER);
        byte[] sent = cat(HELLO, AFTER);
        assertThat(Io.readFully(s.getInputStream(), sent.length)).isEqualTo(sent);
        s.shutdownOutput();
        assertThat(s.getInputStream().read()).isEqualTo(-1);
        assertThat(dest.next()).isEqualTo(sent);
      }
      assertThat(dest.accepted.get()).isEqualTo(1);
    }
  }

  @Test
  void aClientHelloThroughASocks5PortPasses(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      ProxyFront proxy =
          new ProxyFront(
              new ProxySpec("127.0.0.1", 0), t.client("alice"), null, ProxyFront.Limits.defaults());
      try (AutoCloseable closeProxy = proxy::close;
          Socket s = socks5(proxy.start(), dest.port())) {
        byte[] sent = cat(HELLO, AFTER);
        s.getOutputStream().write(sent);
        assertThat(Io.readFully(s.getInputStream(), sent.length)).isEqualTo(sent);
        s.shutdownOutput();
        assertThat(s.getInputStream().read()).isEqualTo(-1);
        assertThat(dest.next()).isEqualTo(sent);
      }
    }
  }

  @Test
  void anSshBannerUnderATlsRuleIsResetAndTheDestinationNeverSeesAConnection(@TempDir Path dir)
      throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      ProxyFront proxy =
          new ProxyFront(
              new ProxySpec("127.0.0.1", 0), t.client("alice"), null, ProxyFront.Limits.defaults());
      try (AutoCloseable closeProxy = proxy::close) {
        InetSocketAddress port = proxy.start();
        try (Socket s = socks5(port, dest.port())) {
          s.getOutputStream().write(Starts.sshBanner());
          assertEnds(s);
        }
        // The same through a -L forward.
        AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
        try (Socket s = Io.connect(front.address)) {
          s.getOutputStream().write(Starts.sshBanner());
          assertEnds(s);
        }
      }
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat(refused)
          .containsEntry("end", "policy")
          .containsEntry("code", "POLICY")
          .containsEntry("resolved", "127.0.0.1:" + dest.port());
      assertThat((String) refused.get("reason"))
          .contains("expected a TLS ClientHello, saw an SSH banner");
      t.nthEvent("stream_refused", 1);
      assertThat(t.count("stream_opened")).isZero();
      assertThat(t.count("stream_closed")).isZero();
      assertThat(dest.accepted.get()).as("connections the destination saw").isZero();
    }
  }

  @Test
  void anAcceptedHelloWhoseDestinationRefusesTheConnectionIsAReset06(@TempDir Path dir)
      throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort(); // nothing listens there once the probe is closed
    }
    try (PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + closedPort + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", closedPort));
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(HELLO);
        assertEnds(s);
      }
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat(refused)
          .containsEntry("code", "UNREACHABLE")
          .containsEntry("end", "refused")
          .containsEntry("resolved", "127.0.0.1:" + closedPort);
      assertThat((String) refused.get("rule"))
          .startsWith("accepted by global rule 1")
          .contains("(tls, SNI www.example.com)");
    }
  }

  @Test
  void aPartialHelloIsResetOnceTheTimeBoundHasPassed(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      t.firstBytes = new FirstBytesBounds(FirstBytesBounds.MAX_BYTES, Duration.ofMillis(600));
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      long began = System.nanoTime();
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(HELLO, 0, 20);
        assertEnds(s);
      }
      assertThat(System.nanoTime() - began)
          .as("ended after the time bound")
          .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(500));
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat(refused).containsEntry("end", "policy").containsEntry("code", "POLICY");
      assertThat((String) refused.get("reason"))
          .contains("expected a TLS ClientHello, saw only 20 bytes of one within 600 ms");
      assertThat(dest.accepted.get()).isZero();
    }
  }

  @Test
  void theClientsFinBeforeAWholeHelloIsAReset(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(HELLO, 0, 20);
        s.shutdownOutput();
        assertEnds(s);
      }
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat((String) refused.get("reason"))
          .contains("saw only 20 bytes of one before the client's FIN");
      assertThat(dest.accepted.get()).isZero();
    }
  }

  @Test
  void moreThanTheByteBoundOfAnUnfinishedStartIsAReset(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      t.firstBytes = new FirstBytesBounds(1024, Duration.ofSeconds(10));
      start(t, "accept 127.0.0.1:" + dest.port() + " http");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      long began = System.nanoTime();
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream()
            .write(
                ("GET / HTTP/1.1\r\nHost: a.example\r\nX-Long: " + "a".repeat(2000))
                    .getBytes(StandardCharsets.US_ASCII));
        assertEnds(s);
      }
      assertThat(System.nanoTime() - began)
          .as("ended at the byte bound, not the time bound")
          .isLessThan(TimeUnit.SECONDS.toNanos(8));
      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat((String) refused.get("reason"))
          .contains(
              "expected an HTTP/1.x request, saw HTTP request headers longer than 1024 bytes");
      assertThat(dest.accepted.get()).isZero();
    }
  }

  @Test
  void aRuleWithoutAProtocolStillConnectsAtOpenTime(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port());
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      try (Socket s = Io.connect(front.address)) {
        PolicyTunnel.await(() -> dest.accepted.get() == 1); // before the application sent a byte
        s.getOutputStream().write(Starts.sshBanner());
        assertThat(Io.readFully(s.getInputStream(), Starts.sshBanner().length))
            .isEqualTo(Starts.sshBanner());
      }
      assertThat(t.nthEvent("stream_opened", 0))
          .doesNotContainKeys("protocol", "server_name", "ech");
    }
  }

  @Test
  void aMismatchFallsThroughToALaterRuleWithoutAProtocol(@TempDir Path dir) throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      start(t, "accept 127.0.0.1:" + dest.port() + " tls, accept 127.0.0.1:" + dest.port());
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(Starts.sshBanner());
        assertThat(Io.readFully(s.getInputStream(), Starts.sshBanner().length))
            .isEqualTo(Starts.sshBanner());
        s.shutdownOutput();
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
      assertThat(dest.next()).isEqualTo(Starts.sshBanner());
      Map<String, Object> opened = t.nthEvent("stream_opened", 0);
      assertThat((String) opened.get("rule")).startsWith("accepted by global rule 2");
      assertThat(opened).doesNotContainKeys("protocol", "server_name", "ech");
    }
  }

  @Test
  void aStreamTheClientResetsWhileItWaitsFreesEverythingAndItsSlot(@TempDir Path dir)
      throws Exception {
    try (Recorder dest = new Recorder();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      // One stream at a time for alice: the second gets through only if the first gave its slot
      // back.
      start(t, new Limits(1, 0, 0, 0), "accept 127.0.0.1:" + dest.port() + " tls");
      AnyForward front = t.front("alice", Destination.ofName("127.0.0.1", dest.port()));
      for (int i = 0; i < 3; i++) {
        try (Socket s = Io.connect(front.address)) {
          s.getOutputStream().write(HELLO, 0, 20 + i);
          s.getOutputStream().flush();
          Thread.sleep(100);
          s.setSoLinger(true, 0); // a TCP RST: the client resets the stream
        }
        t.nthEvent("stream_closed", i);
      }
      try (Socket s = Io.connect(front.address)) {
        s.getOutputStream().write(HELLO);
        assertThat(Io.readFully(s.getInputStream(), HELLO.length)).isEqualTo(HELLO);
      }
      assertThat(t.nthEvent("stream_closed", 0))
          .containsEntry("end", "reset")
          .containsEntry("by", "client");
      assertThat(dest.accepted.get()).isEqualTo(1);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static void start(PolicyTunnel t, String rules) throws Exception {
    start(t, Limits.UNLIMITED, rules);
  }

  private static void start(PolicyTunnel t, Limits limits, String rules) throws Exception {
    t.writeAuthorized("alice");
    t.startServer(List.of(rules), limits);
    t.awaitLink("alice");
  }

  /** The application's connection ends (a reset, or an end of stream) within 10 s. */
  private static void assertEnds(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    try {
      assertThat(in.read()).as("the connection ends").isEqualTo(-1);
    } catch (SocketException e) {
      // reset: what the application should see
    }
  }

  private static Socket socks5(InetSocketAddress proxy, int port) throws IOException {
    Socket s = Io.connect(proxy);
    s.getOutputStream()
        .write(new byte[] {5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
    assertThat(Io.readFully(s.getInputStream(), 2)).containsExactly(5, 0);
    assertThat(Io.readFully(s.getInputStream(), 10)[1]).as("SOCKS5 REP").isEqualTo((byte) 0);
    return s;
  }

  private static byte[] cat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  /** A destination that counts its connections, echoes what it gets, and keeps it. */
  static final class Recorder implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final AtomicInteger accepted = new AtomicInteger();

    /** Everything one connection received, once it reached its end. */
    final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

    Recorder() throws IOException {
      Thread.ofVirtual().start(this::acceptAll);
    }

    int port() {
      return server.getLocalPort();
    }

    private void acceptAll() {
      try {
        while (true) {
          Socket s = server.accept();
          accepted.incrementAndGet();
          Thread.ofVirtual().start(() -> echo(s));
        }
      } catch (IOException closed) {
        // the test is over
      }
    }

    private void echo(Socket s) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      try (s) {
        byte[] buf = new byte[8192];
        for (int n; (n = s.getInputStream().read(buf)) != -1; ) {
          all.write(buf, 0, n);
          s.getOutputStream().write(buf, 0, n);
        }
      } catch (IOException e) {
        // reset: keep what came
      }
      received.add(all.toByteArray());
    }

    byte[] next() throws InterruptedException {
      byte[] b = received.poll(10, TimeUnit.SECONDS);
      assertThat(b).as("a connection that ended").isNotNull();
      return b;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
