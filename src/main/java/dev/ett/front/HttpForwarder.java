package dev.ett.front;

import dev.ett.wire.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns the requests of a plain-HTTP proxy connection ({@code GET http://host/path HTTP/1.1}) into
 * what the origin expects ({@code GET /path HTTP/1.1}), between Netty's request decoder and the
 * stream handler: each request head is rewritten and re-encoded, bodies pass through
 * (Content-Length bodies as they are, chunked bodies re-chunked with their trailers), and the bytes
 * go to the stream. Responses are not touched: they stream back raw.
 *
 * <p>Rewriting (RFC 9112 §3.2.2, RFC 9110 §7.6.1): the target becomes origin-form; {@code Host} is
 * set from the target; hop-by-hop headers are dropped — {@code Connection} and the headers it
 * names, {@code Keep-Alive}, {@code Proxy-Connection}, {@code Proxy-Authorization}, {@code TE},
 * {@code Trailer}, {@code Upgrade} — and {@code Connection: close} is sent when the application
 * asked for it (or {@code keep-alive} for an HTTP/1.0 client that asked for that).
 *
 * <p>One connection, one stream, one destination. Pipelined requests to the same host:port follow
 * each other on the stream; the origin answers them in order. When a request names another
 * host:port (or is a CONNECT, or is malformed, or follows a {@code Connection: close}), this
 * handler <em>ends the stream</em> instead: it sends FIN after the requests already forwarded, so
 * the origin completes their responses and closes, and the application's connection then closes
 * after the last response. The request that did not fit is not sent; HTTP clients retry a request
 * that got no response on a reused connection on a fresh one (browsers, curl), where it is the
 * first request and so gets its own stream.
 */
final class HttpForwarder extends ChannelInboundHandlerAdapter {
  private static final Set<AsciiString> HOP_BY_HOP =
      Set.of(
          HttpHeaderNames.CONNECTION,
          HttpHeaderNames.KEEP_ALIVE,
          HttpHeaderNames.PROXY_CONNECTION,
          HttpHeaderNames.PROXY_AUTHORIZATION,
          HttpHeaderNames.PROXY_AUTHENTICATE,
          HttpHeaderNames.TE,
          HttpHeaderNames.TRAILER,
          HttpHeaderNames.UPGRADE);

  private enum State {
    /** Between requests: the next message is a request head. */
    HEAD,
    /** In a request body. */
    BODY,
    /** The stream was ended: everything else the application sends is dropped. */
    ENDED
  }

  private final Destination destination;
  private State state = State.HEAD;
  private boolean chunked;
  private boolean closeAfter;

  HttpForwarder(Destination destination) {
    this.destination = destination;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (state == State.ENDED) {
        return;
      }
      if (msg instanceof HttpRequest req) {
        onHead(ctx, req);
      }
      if (msg instanceof HttpContent c && state == State.BODY) {
        onContent(ctx, c);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onHead(ChannelHandlerContext ctx, HttpRequest req) {
    if (state != State.HEAD
        || req.decoderResult().isFailure()
        || req.method().equals(HttpMethod.CONNECT)) {
      end(ctx);
      return;
    }
    HttpTarget t;
    try {
      t = HttpTarget.absolute(req.uri());
    } catch (IllegalArgumentException e) {
      end(ctx);
      return;
    }
    if (!t.destination().equals(destination)) {
      end(ctx);
      return;
    }
    boolean keepAlive = keepAlive(req);
    chunked = HttpUtil.isTransferEncodingChunked(req);
    closeAfter = !keepAlive;
    state = State.BODY;
    ctx.fireChannelRead(encodeHead(ctx, req, t, keepAlive));
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent c) {
    if (c.decoderResult().isFailure()) {
      end(ctx);
      return;
    }
    ByteBuf data = c.content();
    if (chunked) {
      if (data.isReadable()) {
        ByteBuf out = ctx.alloc().buffer(data.readableBytes() + 16);
        out.writeCharSequence(
            Integer.toHexString(data.readableBytes()) + "\r\n", StandardCharsets.US_ASCII);
        out.writeBytes(data);
        out.writeCharSequence("\r\n", StandardCharsets.US_ASCII);
        ctx.fireChannelRead(out);
      }
      if (c instanceof LastHttpContent last) {
        StringBuilder sb = new StringBuilder("0\r\n");
        for (Map.Entry<String, String> h : last.trailingHeaders()) {
          sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        sb.append("\r\n");
        ctx.fireChannelRead(
            ByteBufUtil.encodeString(
                ctx.alloc(), java.nio.CharBuffer.wrap(sb), StandardCharsets.ISO_8859_1));
      }
    } else if (data.isReadable()) {
      ctx.fireChannelRead(data.retain());
    }
    if (c instanceof LastHttpContent) {
      state = State.HEAD;
      if (closeAfter) {
        end(ctx);
      }
    }
  }

  /**
   * Ends the stream: the stream handler sees the end of the application's input and sends FIN once
   * what was forwarded has gone. The mux stops reading the socket after that.
   */
  private void end(ChannelHandlerContext ctx) {
    state = State.ENDED;
    ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
  }

  /** Whether the application wants the connection kept open after this request (RFC 9112 §9.3). */
  static boolean keepAlive(HttpRequest req) {
    HttpHeaders h = req.headers();
    String c = h.get(HttpHeaderNames.CONNECTION);
    if (c == null) {
      c = h.get(HttpHeaderNames.PROXY_CONNECTION); // what curl and old browsers send to proxies
    }
    Set<String> tokens = tokens(c);
    if (tokens.contains("close")) {
      return false;
    }
    return req.protocolVersion().equals(HttpVersion.HTTP_1_0)
        ? tokens.contains("keep-alive")
        : true;
  }

  private static Set<String> tokens(String header) {
    Set<String> out = new HashSet<>();
    if (header != null) {
      for (String t : header.split(",")) {
        String s = t.strip().toLowerCase(Locale.ROOT);
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** The request head as the origin should get it; header bytes pass through unchanged. */
  static ByteBuf encodeHead(
      ChannelHandlerContext ctx, HttpRequest req, HttpTarget t, boolean keepAlive) {
    HttpHeaders h = req.headers();
    Set<String> named = tokens(h.get(HttpHeaderNames.CONNECTION));
    StringBuilder sb = new StringBuilder(256);
    sb.append(req.method().name())
        .append(' ')
        .append(t.originForm())
        .append(' ')
        .append(req.protocolVersion().text())
        .append("\r\n");
    sb.append("Host: ").append(t.authority()).append("\r\n");
    for (Map.Entry<String, String> e : h) {
      String name = e.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("host")
          || HOP_BY_HOP.contains(AsciiString.of(lower))
          || named.contains(lower)) {
        continue;
      }
      sb.append(name).append(": ").append(e.getValue()).append("\r\n");
    }
    if (!keepAlive) {
      sb.append("Connection: close\r\n");
    } else if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      sb.append("Connection: keep-alive\r\n");
    }
    sb.append("\r\n");
    return ByteBufUtil.encodeString(
        ctx.alloc(), java.nio.CharBuffer.wrap(sb), StandardCharsets.ISO_8859_1);
  }
}
