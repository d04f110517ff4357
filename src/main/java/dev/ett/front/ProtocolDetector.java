package dev.ett.front;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.socksx.SocksVersion;
import io.netty.handler.codec.socksx.v4.Socks4ServerDecoder;
import io.netty.handler.codec.socksx.v4.Socks4ServerEncoder;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import java.util.List;

/**
 * The first handler of a proxy connection: tells from the first byte which protocol the application
 * speaks and installs its codec, then steps aside (its buffered bytes flow into the codec). SOCKS4
 * requests start with {@code 04}, SOCKS5 greetings with {@code 05} (RFC 1928 §3), HTTP requests
 * with a method token, upper-case letters in practice. Anything else is closed without a reply.
 */
final class ProtocolDetector extends ByteToMessageDecoder {
  static final String NAME = "ett-detect";
  static final String DECODER = "ett-proxy-decoder",
      ENCODER = "ett-proxy-encoder",
      SESSION = "ett-proxy-session";

  /** Limits on an HTTP request head: generous for browsers, small enough to bound memory. */
  static final int MAX_REQUEST_LINE = 8192, MAX_HEADER_BYTES = 16384, MAX_CHUNK = 65536;

  /** SOCKS4 reply: VN 0, CD 91 (0x5B, rejected or failed), DSTPORT and DSTIP zero. */
  private static final byte[] SOCKS4_REJECTED = {0, 0x5b, 0, 0, 0, 0, 0, 0};

  private final ProxyConnection conn;

  ProtocolDetector(ProxyConnection conn) {
    this.conn = conn;
  }

  static HttpRequestDecoder httpDecoder() {
    return new HttpRequestDecoder(
        new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_REQUEST_LINE)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setMaxChunkSize(MAX_CHUNK));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    conn.onFirstBytes();
    byte first = in.getByte(in.readerIndex());
    ChannelPipeline p = ctx.pipeline();
    String me = ctx.name();
    if (first == SocksVersion.SOCKS4a.byteValue()) {
      // The whole request first (bounded by Netty's own field limit): a SOCKS4a name is checked
      // on its raw bytes, which Netty's decoder would IDN-convert. Reading on is
      // ByteToMessageDecoder's (it asks for more when a read decoded nothing, AUTO_READ off).
      if (!SocksSession.socks4RequestComplete(in)) {
        return;
      }
      String badName = SocksSession.socks4aNameProblem(in);
      if (badName != null) {
        // Answered here, never sent; Netty's decoder is not even installed: for some bytes its
        // IDN conversion throws again while it builds its failure message, and no reply goes out.
        in.skipBytes(in.readableBytes());
        p.remove(this);
        conn.logBadDestination(badName);
        conn.replyAndClose(Unpooled.wrappedBuffer(SOCKS4_REJECTED));
        return;
      }
      p.addAfter(me, DECODER, new Socks4ServerDecoder());
      p.addAfter(DECODER, ENCODER, Socks4ServerEncoder.INSTANCE);
      p.addAfter(ENCODER, SESSION, new SocksSession(conn, SocksSession.State.SOCKS4_REQUEST));
    } else if (first == SocksVersion.SOCKS5.byteValue()) {
      p.addAfter(me, DECODER, new Socks5InitialRequestDecoder());
      p.addAfter(DECODER, ENCODER, Socks5ServerEncoder.DEFAULT);
      p.addAfter(ENCODER, SESSION, new SocksSession(conn, SocksSession.State.SOCKS5_GREETING));
    } else if (first >= 'A' && first <= 'Z') {
      HttpRequestDecoder decoder = httpDecoder();
      p.addAfter(me, DECODER, decoder);
      p.addAfter(DECODER, SESSION, new HttpProxySession(conn, decoder));
    } else {
      in.skipBytes(in.readableBytes());
      ctx.close(); // not a protocol we speak: no reply
      return;
    }
    p.remove(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
