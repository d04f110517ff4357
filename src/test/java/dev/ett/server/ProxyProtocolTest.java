package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.link.HandshakeRejection;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.AddressRange;
import dev.ett.policy.Policy;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: with --proxy-protocol, a connection is taken only with a valid PROXY header
 * from a --proxy-from source; everything else is closed silently and counted as a pre-auth
 * rejection, while a balancer's health checks (connect and close, or a v2 LOCAL header and close)
 * are counted apart and are no rejection. (The header's address reaching the audit trail, and v1
 * and v2 from a real balancer, are HaproxyTest's.)
 */
@Timeout(60)
class ProxyProtocolTest {
  static final byte[] V2_SIGNATURE = HexFormat.of().parseHex("0d0a0d0a000d0a515549540a");

  final KeyPair serverKey = X25519.generate();
  final KeyPair clientKey = X25519.generate();
  Server server;
  InetSocketAddress address;
  Client client;

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  void start(LinkConfig config, String... from) throws Exception {
    server =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                AuthorizedFile.parse(
                    "authorized", KeyFile.encode(clientKey.publicKey()) + " alice\n"),
                Policy.parse("accept 127.0.0.1:9"),
                null,
                config,
                256,
                1));
    server.acceptProxyProtocol(List.of(from).stream().map(AddressRange::parse).toList());
    address = server.start();
  }

  void start(String... from) throws Exception {
    start(LinkConfig.defaults(), from);
  }

  @Test
  void aClientWithoutAHeaderIsClosedAndCountedAsNoValidHeader() throws Exception {
    start("127.0.0.0/8");
    client =
        new Client(
            new Client.Options(
                address, serverKey.publicKey(), clientKey, Suite.AESGCM, LinkConfig.defaults(), 8));
    client.start();
    assertThat(client.firstAttempt().get(10, TimeUnit.SECONDS)).isFalse();
    awaitCount(() -> server.handshakesRejected(HandshakeRejection.PROXY_HEADER), 1);
    assertThat(server.linkCount()).isZero();
  }

  @Test
  void aHeaderFromOutsideProxyFromIsClosedAtAccept() throws Exception {
    start("192.0.2.0/24");
    assertClosedAfterSending("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n".getBytes(US));
    awaitCount(() -> server.handshakesRejected(HandshakeRejection.PROXY_SOURCE), 1);
    assertThat(server.handshakesRejected(HandshakeRejection.PROXY_HEADER)).isZero();
  }

  @Test
  void garbageInPlaceOfTheHeaderIsClosedAndCounted() throws Exception {
    start("127.0.0.1");
    assertClosedAfterSending("PROXY TCP4 not-an-address\r\n".getBytes(US));
    assertClosedAfterSending("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US));
    // A v2 header announcing 64 KiB, far past the addresses and MAX_TLV_BYTES: refused at once,
    // before the bytes are buffered.
    byte[] huge = java.util.Arrays.copyOf(v2(0x21, 0x11, 0xffff), ProxyHeader.MAX_HEADER_BYTES + 1);
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.getOutputStream().write(huge);
      s.getOutputStream().flush();
      Thread.sleep(100); // a read of its own
      assertClosedAfterSending(s, new byte[1]);
    }
    awaitCount(() -> server.handshakesRejected(HandshakeRejection.PROXY_HEADER), 3);
    assertThat(server.proxyChecks()).isZero();
  }

  @Test
  void noHeaderWithinTheHandshakeTimeoutIsClosed() throws Exception {
    start(LinkConfig.defaults().withHandshakeTimeout(Duration.ofMillis(300)), "127.0.0.1");
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    awaitCount(() -> server.handshakesRejected(HandshakeRejection.PROXY_HEADER), 1);
  }

  @Test
  void healthChecksAreCountedApartAndAreNoRejection() throws Exception {
    start("127.0.0.1");
    // A plain TCP check: connect, close.
    new Socket(address.getAddress(), address.getPort()).close();
    // HAProxy's check with send-proxy-v2: a LOCAL header (version 2, command 0), then close.
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.getOutputStream().write(v2(0x20, 0x00, 0));
      s.getOutputStream().flush();
    }
    awaitCount(server::proxyChecks, 2);
    Thread.sleep(200);
    for (HandshakeRejection why : HandshakeRejection.values()) {
      assertThat(server.handshakesRejected(why)).as(why.name()).isZero();
    }
  }

  @Test
  void theHandshakeSlotsCountTheHeadersSourceNotTheBalancers() throws Exception {
    // --max-handshakes 8: one source's share is 1.
    server =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                AuthorizedFile.parse(
                    "authorized", KeyFile.encode(clientKey.publicKey()) + " alice\n"),
                Policy.parse("accept 127.0.0.1:9"),
                null,
                LinkConfig.defaults(),
                8,
                1));
    server.acceptProxyProtocol(List.of(AddressRange.parse("127.0.0.1")));
    address = server.start();
    try (Socket a = withHeader("203.0.113.7");
        Socket b = withHeader("203.0.113.8")) {
      // Two clients behind one balancer: a slot each.
      awaitCount(() -> server.unfinishedHandshakes(), 2);
      assertThat(server.handshakesRefused()).isZero();
      try (Socket c = withHeader("203.0.113.7")) {
        // The first client again: over its share.
        awaitCount(() -> server.handshakesRefused(), 1);
        assertThat(server.handshakesRejected(HandshakeRejection.SOURCE_SHARE)).isEqualTo(1);
      }
    }
  }

  Socket withHeader(String client) throws Exception {
    Socket s = new Socket(address.getAddress(), address.getPort());
    s.getOutputStream().write(("PROXY TCP4 " + client + " 127.0.0.1 40000 443\r\n").getBytes(US));
    s.getOutputStream().flush();
    return s;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  static final java.nio.charset.Charset US = StandardCharsets.US_ASCII;

  /**
   * A v2 header: signature, version/command, family/protocol, length, then {@code length} bytes
   * (for TCP over IPv4 the first 12 are the addresses: 203.0.113.7:40000 to 127.0.0.1:443).
   */
  static byte[] v2(int versionCommand, int familyProtocol, int length) {
    byte[] b = new byte[16 + Math.min(length, 12)];
    System.arraycopy(V2_SIGNATURE, 0, b, 0, 12);
    b[12] = (byte) versionCommand;
    b[13] = (byte) familyProtocol;
    b[14] = (byte) (length >> 8);
    b[15] = (byte) length;
    if (length >= 12) {
      byte[] addrs = {(byte) 203, 0, 113, 7, 127, 0, 0, 1, (byte) 0x9c, 0x40, 0x01, (byte) 0xbb};
      System.arraycopy(addrs, 0, b, 16, 12);
    }
    return b;
  }

  void assertClosedAfterSending(byte[] bytes) throws Exception {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      assertClosedAfterSending(s, bytes);
    }
  }

  static void assertClosedAfterSending(Socket s, byte[] bytes) throws Exception {
    {
      s.setSoTimeout(10_000);
      try {
        s.getOutputStream().write(bytes);
      } catch (java.net.SocketException closedAlready) {
        return;
      }
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      int r;
      try {
        r = in.read();
      } catch (java.net.SocketException reset) {
        r = -1; // closed with bytes unread: a reset
      }
      assertThat(r).as("nothing is ever written before authentication").isEqualTo(-1);
    }
  }

  static void awaitCount(LongSupplier n, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (n.getAsLong() < atLeast) {
      assertThat(System.nanoTime()).as("count reaches " + atLeast).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
