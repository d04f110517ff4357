package dev.ett.front;

import dev.ett.mux.StreamListener;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.socksx.v4.DefaultSocks4CommandResponse;
import io.netty.handler.codec.socksx.v4.Socks4CommandRequest;
import io.netty.handler.codec.socksx.v4.Socks4CommandStatus;
import io.netty.handler.codec.socksx.v4.Socks4CommandType;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressDecoder;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * Reads a SOCKS4/4a request, or a SOCKS5 greeting, optional username/password (RFC 1929) and
 * request (RFC 1928), from Netty's decoders, answers each step through Netty's encoders, and hands
 * a CONNECT over to the client. The reply to a CONNECT is written when the server answers: success
 * on OPENED, the REFUSED code's SOCKS reply otherwise.
 *
 * <p>A malformed message gets the protocol's failure reply where the protocol has one, then a
 * close; BIND and UDP ASSOCIATE get "command not supported" (SOCKS5) or "rejected" (SOCKS4).
 */
final class SocksSession extends ChannelInboundHandlerAdapter {
  enum State {
    SOCKS4_REQUEST,
    SOCKS5_GREETING,
    SOCKS5_PASSWORD,
    /** The password is being checked; bytes that arrive meanwhile wait in {@link #early}. */
    SOCKS5_VERIFYING,
    SOCKS5_REQUEST,
    DONE
  }

  /** Thrown by the address decoder so an unknown ATYP gets REP 08, not a general failure. */
  static final class UnsupportedAddressType extends DecoderException {
    UnsupportedAddressType(int atyp) {
      super("address type: " + atyp + " (expected: 1, 3 or 4)");
    }
  }

  /**
   * Thrown by the address decoder for a DOMAIN that is not a destination name, so it gets REP 04.
   * Checked on the raw bytes: Netty's request converts a name with IDN.toASCII, which would turn a
   * non-ASCII name into a different, valid-looking one ("exªmple" into "example").
   */
  static final class BadName extends DecoderException {
    BadName(String problem) {
      super(problem);
    }
  }

  static final Socks5AddressDecoder ADDRESS_DECODER =
      (type, in) -> {
        if (type != Socks5AddressType.IPv4
            && type != Socks5AddressType.DOMAIN
            && type != Socks5AddressType.IPv6) {
          throw new UnsupportedAddressType(type.byteValue() & 0xff);
        }
        if (type == Socks5AddressType.DOMAIN) {
          int at = in.readerIndex();
          String raw =
              in.toString(
                  at + 1, in.getUnsignedByte(at), StandardCharsets.ISO_8859_1); // a char per byte
          String problem = Destination.nameProblem(raw);
          if (problem != null) {
            throw new BadName(problem);
          }
        }
        return Socks5AddressDecoder.DEFAULT.decodeAddress(type, in);
      };

  /** Netty's Socks4ServerDecoder fails a user id or name longer than this itself. */
  private static final int SOCKS4_MAX_FIELD = 255;

  /**
   * Whether {@code in} holds a whole SOCKS4/4a request (VN CD DSTPORT DSTIP USERID NUL [NAME NUL]),
   * or enough of one that Netty's decoder will fail it (a field longer than it accepts).
   */
  static boolean socks4RequestComplete(ByteBuf in) {
    int r = in.readerIndex();
    if (in.readableBytes() < 9) {
      return false;
    }
    int userEnd = in.indexOf(r + 8, in.writerIndex(), (byte) 0);
    if (userEnd < 0) {
      return in.readableBytes() - 8 > SOCKS4_MAX_FIELD;
    }
    if (!isSocks4a(in) || userEnd - (r + 8) > SOCKS4_MAX_FIELD) {
      return true;
    }
    int nameEnd = in.indexOf(userEnd + 1, in.writerIndex(), (byte) 0);
    return nameEnd >= 0 || in.writerIndex() - (userEnd + 1) > SOCKS4_MAX_FIELD;
  }

  /**
   * Why the SOCKS4a name in a {@linkplain #socks4RequestComplete complete} request is not a
   * destination name, read from the raw bytes (Netty's request IDN-converts it), or null if it is
   * one or there is none.
   */
  static String socks4aNameProblem(ByteBuf in) {
    int r = in.readerIndex();
    int userEnd = in.indexOf(r + 8, in.writerIndex(), (byte) 0);
    int nameEnd = userEnd < 0 ? -1 : in.indexOf(userEnd + 1, in.writerIndex(), (byte) 0);
    if (!isSocks4a(in) || nameEnd < 0) {
      return null; // SOCKS4, or a field Netty's decoder will refuse
    }
    return Destination.nameProblem(
        in.toString(userEnd + 1, nameEnd - userEnd - 1, StandardCharsets.ISO_8859_1));
  }

  /** SOCKS4a: DSTIP 0.0.0.x with x != 0 means "the name follows the user id". */
  private static boolean isSocks4a(ByteBuf in) {
    int r = in.readerIndex();
    return in.getInt(r + 4) != 0 && (in.getInt(r + 4) & 0xffffff00) == 0;
  }

  private final ProxyConnection conn;
  private State state;
  private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();

  SocksSession(ProxyConnection conn, State initial) {
    this.conn = conn;
    this.state = initial;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      if (state == State.SOCKS5_VERIFYING) {
        early.add(b); // the request, sent before our answer to the password
      } else {
        b.release();
      }
      return;
    }
    try {
      switch (state) {
        case SOCKS4_REQUEST -> onSocks4Request(ctx, (Socks4CommandRequest) msg);
        case SOCKS5_GREETING -> onSocks5Greeting(ctx, (Socks5InitialRequest) msg);
        case SOCKS5_PASSWORD -> onSocks5Password(ctx, (Socks5PasswordAuthRequest) msg);
        case SOCKS5_REQUEST -> onSocks5Request(ctx, (Socks5CommandRequest) msg);
        case SOCKS5_VERIFYING, DONE -> {}
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (conn.negotiating() && state != State.SOCKS5_VERIFYING && state != State.DONE) {
      ctx.read(); // AUTO_READ is off: we read the request ourselves, one read at a time
    }
    ctx.fireChannelReadComplete();
  }

  // ---- SOCKS4 / 4a -----------------------------------------------------------------------------

  private void onSocks4Request(ChannelHandlerContext ctx, Socks4CommandRequest req) {
    state = State.DONE;
    if (req.decoderResult().isFailure()) {
      ctx.writeAndFlush(new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED))
          .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      return;
    }
    if (conn.authRequired() || req.type() != Socks4CommandType.CONNECT) {
      // SOCKS4 carries no password; BIND is not supported.
      conn.replyAndClose(new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED));
      return;
    }
    Destination d;
    try {
      d = Destination.parse(req.dstAddr(), req.dstPort()); // SOCKS4a: a name, kept a name
    } catch (IllegalArgumentException e) {
      // A name Destination refuses is answered here and never sent (ProtocolDetector already
      // answered one whose raw bytes were bad): SOCKS4 has one failure status, 91 (0x5B).
      conn.logBadDestination(e.getMessage());
      conn.replyAndClose(new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED));
      return;
    }
    ChannelHandler encoder = ctx.pipeline().get(ProtocolDetector.ENCODER);
    conn.detach(this, ctx.pipeline().get(ProtocolDetector.DECODER));
    conn.open(
        d,
        new StreamListener() {
          @Override
          public void onOpened(Destination bound) {
            conn.socket.writeAndFlush(
                new DefaultSocks4CommandResponse(Socks4CommandStatus.SUCCESS));
            removeIfPresent(conn.socket.pipeline(), encoder);
          }

          @Override
          public void onRefused(RefuseCode code, String reason) {
            conn.logRefused(d, code, reason);
            conn.replyAndClose(
                new DefaultSocks4CommandResponse(Socks4CommandStatus.REJECTED_OR_FAILED));
          }
        },
        false);
  }

  // ---- SOCKS5 ----------------------------------------------------------------------------------

  private void onSocks5Greeting(ChannelHandlerContext ctx, Socks5InitialRequest req) {
    if (req.decoderResult().isFailure()) {
      state = State.DONE;
      ctx.close(); // RFC 1928 has no reply to a malformed greeting
      return;
    }
    Socks5AuthMethod wanted =
        conn.authRequired() ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.NO_AUTH;
    if (!req.authMethods().contains(wanted)) {
      state = State.DONE;
      // RFC 1928 §3: X'FF' NO ACCEPTABLE METHODS, "the client MUST close the connection"; so do we.
      ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
          .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      return;
    }
    ctx.writeAndFlush(new DefaultSocks5InitialResponse(wanted));
    if (wanted == Socks5AuthMethod.PASSWORD) {
      state = State.SOCKS5_PASSWORD;
      replaceDecoder(ctx.pipeline(), new Socks5PasswordAuthRequestDecoder());
    } else {
      state = State.SOCKS5_REQUEST;
      replaceDecoder(ctx.pipeline(), new Socks5CommandRequestDecoder(ADDRESS_DECODER));
    }
  }

  private void onSocks5Password(ChannelHandlerContext ctx, Socks5PasswordAuthRequest req) {
    if (req.decoderResult().isFailure()) {
      state = State.DONE;
      ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
          .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      return;
    }
    state = State.SOCKS5_VERIFYING;
    conn.authenticate(
        req.username(),
        req.password(),
        ok -> {
          if (!ok) {
            state = State.DONE;
            releaseEarly();
            // RFC 1929 §2: on failure "the server MUST close the connection".
            ctx.writeAndFlush(
                    new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
                .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
          }
          state = State.SOCKS5_REQUEST;
          ctx.writeAndFlush(
              new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
          ChannelPipeline p = ctx.pipeline();
          replaceDecoder(p, new Socks5CommandRequestDecoder(ADDRESS_DECODER));
          if (early.isEmpty()) {
            ctx.read();
          } else {
            // The decoder is the first inbound handler: replay what came early through it.
            for (ByteBuf b; (b = early.poll()) != null; ) {
              p.fireChannelRead(b);
            }
            p.fireChannelReadComplete();
          }
        });
  }

  private void onSocks5Request(ChannelHandlerContext ctx, Socks5CommandRequest req) {
    state = State.DONE;
    DecoderResult r = req.decoderResult();
    if (r.isFailure()) {
      Socks5CommandStatus status =
          r.cause() instanceof UnsupportedAddressType
              ? Socks5CommandStatus.ADDRESS_UNSUPPORTED
              : Socks5CommandStatus.FAILURE;
      if (r.cause() instanceof BadName) {
        conn.logBadDestination(r.cause().getMessage());
        status = Socks5CommandStatus.HOST_UNREACHABLE; // as below for a name Destination refuses
      }
      conn.replyAndClose(socks5Reply(status));
      return;
    }
    if (req.type() != Socks5CommandType.CONNECT) {
      conn.replyAndClose(
          socks5Reply(Socks5CommandStatus.COMMAND_UNSUPPORTED)); // BIND, UDP ASSOCIATE
      return;
    }
    Destination d;
    try {
      d = Destination.parse(req.dstAddr(), req.dstPort()); // a DOMAIN stays a name
    } catch (IllegalArgumentException e) {
      // A DOMAIN that Destination refuses (empty, a space, a control byte, DEL, non-ASCII) is
      // answered here and never sent. REP 04 host unreachable, not 08: the address type (03) is
      // supported, it is this host that cannot be reached; it is what the server answers for a
      // name it cannot use ("bad host name"), so the application sees one reply for one cause; and
      // 08 would invite a client to retry with an address it resolved itself, leaking the lookup.
      conn.logBadDestination(e.getMessage());
      conn.replyAndClose(socks5Reply(Socks5CommandStatus.HOST_UNREACHABLE));
      return;
    }
    ChannelHandler encoder = ctx.pipeline().get(ProtocolDetector.ENCODER);
    conn.detach(this, ctx.pipeline().get(ProtocolDetector.DECODER));
    conn.open(
        d,
        new StreamListener() {
          @Override
          public void onOpened(Destination bound) {
            conn.socket.writeAndFlush(socks5Reply(Socks5CommandStatus.SUCCESS));
            removeIfPresent(conn.socket.pipeline(), encoder);
          }

          @Override
          public void onRefused(RefuseCode code, String reason) {
            conn.logRefused(d, code, reason);
            conn.replyAndClose(socks5Reply(Socks5CommandStatus.valueOf((byte) code.socks5Reply)));
          }
        },
        false);
  }

  /**
   * A reply with BND.ADDR 0.0.0.0 and BND.PORT 0: the address the server used is its own business,
   * and clients do not use it for CONNECT.
   */
  static DefaultSocks5CommandResponse socks5Reply(Socks5CommandStatus status) {
    return new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4, "0.0.0.0", 0);
  }

  /** Swaps the decoder in place: bytes it had buffered flow into the new one. */
  private static void replaceDecoder(ChannelPipeline p, ChannelHandler next) {
    p.replace(ProtocolDetector.DECODER, ProtocolDetector.DECODER, next);
  }

  private static void removeIfPresent(ChannelPipeline p, ChannelHandler h) {
    if (h != null && p.context(h) != null) {
      p.remove(h);
    }
  }

  private void releaseEarly() {
    for (ByteBuf b; (b = early.poll()) != null; ) {
      b.release();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseEarly();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // before the hand-off: a reset or a codec bug; nothing to tell the application
  }
}
