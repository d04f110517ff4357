package dev.ett.front;

import dev.ett.mux.StreamListener;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads the first HTTP request of a proxy connection (Netty's {@link HttpRequestDecoder} parses it)
 * and hands the connection over:
 *
 * <ul>
 *   <li>{@code CONNECT host:port}: the decoder and this handler leave the pipeline, the socket
 *       becomes a raw stream, and {@code 200 Connection established} is written on OPENED.
 *   <li>{@code GET http://host:port/path} (absolute-form, what browsers send for http:// URLs):
 *       this handler is replaced by an {@link HttpForwarder}, which rewrites this and every later
 *       request on the connection to origin-form and streams them to the destination; responses
 *       come back unchanged.
 * </ul>
 *
 * Failures are HTTP responses followed by a close: 400/414/431 for malformed requests, 407 for
 * missing or wrong credentials (Basic, from the users file), 403 when the server's policy refuses,
 * 504 when connecting timed out, 502 otherwise.
 */
final class HttpProxySession extends ChannelInboundHandlerAdapter {
  private final ProxyConnection conn;
  private final HttpRequestDecoder decoder;
  private boolean done;

  HttpProxySession(ProxyConnection conn, HttpRequestDecoder decoder) {
    this.conn = conn;
    this.decoder = decoder;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (!done && msg instanceof HttpRequest req) {
        done = true;
        onRequest(ctx, req);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (!done && conn.negotiating()) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      refuse(
          ctx,
          HttpReplies.error(
              HttpReplies.statusFor(cause), "malformed request: " + cause.getMessage()));
      return;
    }
    if (req.method().equals(HttpMethod.CONNECT)) {
      onConnect(ctx, req);
    } else {
      onAbsolute(ctx, req);
    }
  }

  private void onConnect(ChannelHandlerContext ctx, HttpRequest req) {
    Destination d;
    try {
      d = HttpTarget.authority(req.uri());
    } catch (IllegalArgumentException e) {
      refuse(ctx, HttpReplies.error(HttpResponseStatus.BAD_REQUEST, e.getMessage()));
      return;
    }
    String credentials = req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
    // Leave the pipeline now: bytes the application sent after its CONNECT (a TLS ClientHello) are
    // not HTTP; the stream handler holds them until the stream exists.
    conn.detach(this, decoder);
    authorize(
        credentials,
        () ->
            conn.open(
                d,
                new StreamListener() {
                  @Override
                  public void onOpened(Destination bound) {
                    conn.socket.writeAndFlush(HttpReplies.connectionEstablished());
                  }

                  @Override
                  public void onRefused(RefuseCode code, String reason) {
                    conn.logRefused(d, code, reason);
                    conn.replyAndClose(refusal(d, code, reason));
                  }
                },
                false));
  }

  private void onAbsolute(ChannelHandlerContext ctx, HttpRequest req) {
    HttpTarget t;
    try {
      t = HttpTarget.absolute(req.uri());
    } catch (IllegalArgumentException e) {
      refuse(ctx, HttpReplies.error(HttpResponseStatus.BAD_REQUEST, e.getMessage()));
      return;
    }
    String credentials = req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
    HttpForwarder forwarder = new HttpForwarder(t.destination());
    conn.detach(); // the stream handler goes last, after the forwarder
    ctx.pipeline().replace(this, ProtocolDetector.SESSION, forwarder);
    // Feed this first request to the forwarder (it follows the decoder in the pipeline).
    ctx.pipeline().context(decoder).fireChannelRead(ReferenceCountUtil.retain(req));
    Destination d = t.destination();
    authorize(
        credentials,
        () ->
            conn.open(
                d,
                new StreamListener() {
                  @Override
                  public void onRefused(RefuseCode code, String reason) {
                    conn.logRefused(d, code, reason);
                    conn.replyAndClose(refusal(d, code, reason));
                  }
                },
                true)); // the request travels with the OPEN
  }

  private static io.netty.buffer.ByteBuf refusal(Destination d, RefuseCode code, String reason) {
    return HttpReplies.error(
        HttpReplies.statusFor(code),
        d + ": " + code.text + (reason.isEmpty() ? "" : " (" + reason + ")"));
  }

  /** Runs {@code then} if no credentials are needed or these are right; answers 407 otherwise. */
  private void authorize(String header, Runnable then) {
    if (!conn.authRequired()) {
      then.run();
      return;
    }
    String[] userPass = parseBasic(header);
    if (userPass == null) {
      conn.replyAndClose(HttpReplies.proxyAuthRequired());
      return;
    }
    conn.authenticate(
        userPass[0],
        userPass[1],
        ok -> {
          if (ok) {
            then.run();
          } else {
            conn.replyAndClose(HttpReplies.proxyAuthRequired());
          }
        });
  }

  /** {@code Basic base64(user:password)} (RFC 7617), or null. */
  static String[] parseBasic(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon <= 0
        ? null
        : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  private void refuse(ChannelHandlerContext ctx, io.netty.buffer.ByteBuf response) {
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
