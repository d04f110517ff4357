package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.wire.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: what an origin receives for plain-HTTP proxy requests — origin-form, Host from
 * the target, hop-by-hop headers gone, bodies intact (Content-Length and chunked), pipelined
 * requests in order — and that a request for another host ends the stream instead of going there.
 */
class HttpForwarderTest {
  private final List<Object> events = new ArrayList<>();
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          ProtocolDetector.httpDecoder(),
          new HttpForwarder(Destination.ofName("intranet.test", 8080)),
          new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
              events.add(evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              ctx.fireChannelRead(msg);
            }
          });

  @AfterEach
  void release() {
    ch.finishAndReleaseAll();
  }

  private String forward(String requests) {
    ch.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.ISO_8859_1));
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readInbound()) != null; ) {
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void requestBecomesOriginFormWithoutHopByHopHeaders() {
    String out =
        forward(
            "GET http://intranet.test:8080/a/b?c=d#frag HTTP/1.1\r\n"
                + "Host: somewhere.else\r\n"
                + "User-Agent: t\r\n"
                + "Proxy-Connection: Keep-Alive\r\n"
                + "Proxy-Authorization: Basic eDp5\r\n"
                + "Connection: keep-alive, X-Secret\r\n"
                + "X-Secret: 1\r\n"
                + "Keep-Alive: 5\r\n"
                + "TE: trailers\r\n"
                + "Upgrade: h2c\r\n"
                + "Accept: */*\r\n\r\n");
    assertThat(out)
        .isEqualTo(
            "GET /a/b?c=d HTTP/1.1\r\nHost: intranet.test:8080\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n");
    assertThat(events).isEmpty();
  }

  @Test
  void pipelinedRequestsAndBodiesPassInOrder() {
    String out =
        forward(
            "POST http://intranet.test:8080/1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                + "POST http://intranet.test:8080/2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "GET http://intranet.test:8080/3 HTTP/1.1\r\n\r\n");
    assertThat(out)
        .isEqualTo(
            "POST /1 HTTP/1.1\r\nHost: intranet.test:8080\r\nContent-Length: 5\r\n\r\nhello"
                + "POST /2 HTTP/1.1\r\nHost: intranet.test:8080\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: intranet.test:8080\r\n\r\n");
    assertThat(events).isEmpty();
  }

  @Test
  void aRequestForAnotherHostEndsTheStreamInstead() {
    String out =
        forward(
            "GET http://intranet.test:8080/1 HTTP/1.1\r\n\r\n"
                + "GET http://other.test/2 HTTP/1.1\r\n\r\n"
                + "GET http://intranet.test:8080/3 HTTP/1.1\r\n\r\n");
    assertThat(out).isEqualTo("GET /1 HTTP/1.1\r\nHost: intranet.test:8080\r\n\r\n");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
  }

  @Test
  void connectionCloseIsForwardedAndEndsTheStream() {
    String out =
        forward(
            "GET http://intranet.test:8080/1 HTTP/1.1\r\nProxy-Connection: close\r\n\r\n"
                + "GET http://intranet.test:8080/2 HTTP/1.1\r\n\r\n");
    assertThat(out)
        .isEqualTo("GET /1 HTTP/1.1\r\nHost: intranet.test:8080\r\nConnection: close\r\n\r\n");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
  }

  @Test
  void http10KeepAliveIsKeptExplicit() {
    String out =
        forward("GET http://intranet.test:8080/ HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n");
    assertThat(out)
        .isEqualTo("GET / HTTP/1.0\r\nHost: intranet.test:8080\r\nConnection: keep-alive\r\n\r\n");
    String closing = forward("GET http://intranet.test:8080/ HTTP/1.0\r\n\r\n");
    assertThat(closing)
        .isEqualTo("GET / HTTP/1.0\r\nHost: intranet.test:8080\r\nConnection: close\r\n\r\n");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
  }

  @Test
  void aMalformedLaterRequestEndsTheStream() {
    String out = forward("GET http://intranet.test:8080/ HTTP/1.1\r\n\r\nGET\r\n\r\n");
    assertThat(out).startsWith("GET / HTTP/1.1\r\n");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
  }
}
