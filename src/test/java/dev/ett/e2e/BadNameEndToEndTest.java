package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.mux.Mux;
import dev.ett.policy.Limits;
import dev.ett.wire.Frame;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: a destination name holding a space, a tab, a line break, DEL or a non-ASCII
 * byte cannot tear down the link. Sent by a local application through a {@code -D} port, it is
 * refused by the client itself (SOCKS5 REP 04, SOCKS4a 91, HTTP 400) and nothing reaches the
 * server; put raw into an OPEN by a peer, it is refused by the server for that stream alone. Either
 * way a long-running stream on the same link keeps carrying bytes, and the link stays the first.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadNameEndToEndTest {
  /** Spaces, tabs, line breaks, control bytes, DEL and a UTF-8 "é": each a link killer before. */
  private static final List<byte[]> BAD_NAMES =
      List.of(
          latin1("a b.example"),
          latin1("a\tb.example"),
          latin1("a\nb.example"),
          latin1("a\r\nINFO forged line"),
          latin1("a\u0001b.example"),
          latin1("a\u007fb.example"),
          latin1("caf\u00c3\u00a9.example"));

  @Test
  void aBadNameFromALocalApplicationIsRefusedByTheClientAndNeverReachesTheServer(@TempDir Path dir)
      throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      Client client = start(t, echo);
      ProxyFront proxy =
          new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
      try (AutoCloseable closeProxy = proxy::close) {
        InetSocketAddress port = proxy.start();
        try (Socket longStream = socks5ToAddress(port, echo.address().getPort())) {
          assertEchoes(longStream, "before");

          for (byte[] name : BAD_NAMES) {
            String what = escaped(name);
            try (Socket s = Io.connect(port)) {
              s.getOutputStream()
                  .write(
                      cat(
                          hex("05 01 00  05 01 00 03"),
                          new byte[] {(byte) name.length},
                          name,
                          hex("0050")));
              assertThat(Io.readFully(s.getInputStream(), 2))
                  .as("greeting answer, " + what)
                  .containsExactly(hex("05 00"));
              byte[] reply = Io.readFully(s.getInputStream(), 10);
              assertThat(reply[1])
                  .as("SOCKS5 REP for " + what + " (04 host unreachable)")
                  .isEqualTo((byte) 0x04);
              assertThat(s.getInputStream().read()).as("closed after the reply").isEqualTo(-1);
            }
            try (Socket s = Io.connect(port)) {
              // SOCKS4a: DSTIP 0.0.0.1, empty user id, then the name, each NUL-terminated.
              s.getOutputStream().write(cat(hex("04 01 0050 00000001 00"), name, hex("00")));
              byte[] reply = Io.readFully(s.getInputStream(), 8);
              assertThat(reply[1])
                  .as("SOCKS4a status for " + what + " (91 = 0x5B rejected)")
                  .isEqualTo((byte) 0x5b);
              assertThat(s.getInputStream().read()).as("closed after the reply").isEqualTo(-1);
            }
            assertEchoes(longStream, "after " + what);
          }

          // HTTP: a bracketed host is not held to the HTTP name grammar, only to the wire's.
          for (String request :
              List.of(
                  "CONNECT [a\u0001b:]:80 HTTP/1.1\r\nHost: x\r\n\r\n",
                  "GET http://[a\u0001b:]/ HTTP/1.1\r\nHost: x\r\n\r\n",
                  "CONNECT [a\u007fb:]:443 HTTP/1.1\r\n\r\n")) {
            try (Socket s = Io.connect(port)) {
              s.getOutputStream().write(latin1(request));
              String response =
                  new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
              assertThat(response).as(escaped(latin1(request))).startsWith("HTTP/1.1 400 ");
            }
            assertEchoes(longStream, "after HTTP");
          }
        }
      }
      // Nothing was sent: the server refused nothing, opened only the long stream, and the link
      // is the one from the start.
      assertThat(t.count("stream_refused")).as("stream_refused events").isZero();
      assertThat(t.count("stream_opened")).as("stream_opened events").isEqualTo(1);
      assertThat(t.count("link_down")).as("link_down events").isZero();
      assertThat(client.linksEstablished()).isEqualTo(1);
    }
  }

  @Test
  void aBadNameInARawOpenIsRefusedForThatStreamAloneAndTheLinkGoesOn(@TempDir Path dir)
      throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      Client client = start(t, echo);
      ProxyFront proxy =
          new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
      try (AutoCloseable closeProxy = proxy::close;
          Socket longStream = socks5ToAddress(proxy.start(), echo.address().getPort())) {
        assertEchoes(longStream, "before");
        Queue<Frame> seen = new ConcurrentLinkedQueue<>();
        // What an older or hostile client puts on the wire: OPENs our own client no longer sends,
        // written below the client's mux (ids far above its own, so they stay increasing).
        client
            .eventLoop()
            .submit(
                () -> {
                  Mux mux = client.currentMux();
                  Channel link = mux.channel();
                  link.pipeline()
                      .addBefore(link.pipeline().context(mux).name(), "spy", new Spy(seen));
                  int id = 1001;
                  for (byte[] name : BAD_NAMES) {
                    link.write(new Frame.OpenBadName(id, name, 80), link.voidPromise());
                    id += 2;
                  }
                  link.flush();
                })
            .get(5, TimeUnit.SECONDS);

        PolicyTunnel.await(
            () ->
                seen.stream().filter(Frame.Refused.class::isInstance).count() == BAD_NAMES.size());
        int id = 1001;
        for (Frame f : seen) {
          assertThat(f)
              .isEqualTo(new Frame.Refused(id, RefuseCode.HOST_UNREACHABLE, "bad host name"));
          id += 2;
        }
        assertEchoes(longStream, "after the bad OPENs");
        assertThat(seen).as("no GOAWAY").noneMatch(Frame.GoAway.class::isInstance);
      }
      assertThat(t.count("link_down")).as("link_down events").isZero();
      assertThat(client.linksEstablished()).isEqualTo(1);
    }
  }

  /** Passes every frame on to the mux, keeping REFUSED and GOAWAY. */
  private static final class Spy extends ChannelInboundHandlerAdapter {
    private final Queue<Frame> seen;

    Spy(Queue<Frame> seen) {
      this.seen = seen;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Frame.Refused || msg instanceof Frame.GoAway) {
        seen.add((Frame) msg);
      }
      ctx.fireChannelRead(msg);
    }
  }

  private static Client start(PolicyTunnel t, TestTarget echo) throws Exception {
    t.writeAuthorized("alice");
    t.startServer(
        List.of("accept 127.0.0.1:" + echo.address().getPort(), "reject *:*"), Limits.UNLIMITED);
    t.awaitLink("alice");
    return t.client("alice");
  }

  /** A SOCKS5 CONNECT to 127.0.0.1:{@code port}, answered with success. */
  private static Socket socks5ToAddress(InetSocketAddress proxy, int port) throws IOException {
    Socket s = Io.connect(proxy);
    s.getOutputStream()
        .write(
            cat(
                hex("05 01 00  05 01 00 01 7f000001"),
                new byte[] {(byte) (port >> 8), (byte) port}));
    assertThat(Io.readFully(s.getInputStream(), 2)).containsExactly(hex("05 00"));
    assertThat(Io.readFully(s.getInputStream(), 10)[1])
        .as("REP of the long stream")
        .isEqualTo((byte) 0);
    return s;
  }

  private static void assertEchoes(Socket s, String what) throws IOException {
    byte[] msg = latin1("ping " + what + "\n");
    s.getOutputStream().write(msg);
    InputStream in = s.getInputStream();
    assertThat(Io.readFully(in, msg.length))
        .as("the long stream echoes, " + escaped(msg))
        .containsExactly(msg);
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] hex(String h) {
    return java.util.HexFormat.of().parseHex(h.replace(" ", ""));
  }

  private static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static String escaped(byte[] b) {
    StringBuilder sb = new StringBuilder("'");
    for (byte x : b) {
      int c = x & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return sb.append('\'').toString();
  }
}
