package dev.ett.wire;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Encodes and decodes mux frames inside one record's plaintext. Knows nothing of links or streams
 * (OkHttp's Http2Reader shape): {@link #decode} hands each frame to a {@link Handler}.
 *
 * <pre>
 *   type u8 | stream u32 | length u16 | body (length bytes)
 * </pre>
 */
public final class FrameCodec {
  private static final int ATYP_IPV4 = 0x01, ATYP_NAME = 0x03, ATYP_IPV6 = 0x04;

  private FrameCodec() {}

  /**
   * Receives decoded frames. A Data frame's payload is the handler's to release: a retained slice
   * of the record, or a copy when it is small next to the record (see {@link #decode}).
   */
  @FunctionalInterface
  public interface Handler {
    void onFrame(Frame frame) throws ProtocolException;
  }

  /** The encoded size of a frame, header included. */
  public static int encodedLength(Frame f) {
    return Frame.HEADER_LENGTH + bodyLength(f);
  }

  private static int bodyLength(Frame f) {
    return switch (f) {
      case Frame.Open o -> destinationLength(o.destination());
      case Frame.OpenBadName o -> 1 + 1 + o.name().length + 2;
      case Frame.Opened o -> destinationLength(o.bound());
      case Frame.Refused r -> 1 + utf8Length(r.reason());
      case Frame.Data d -> d.payload().readableBytes();
      case Frame.Window w -> 4;
      case Frame.Fin fin -> 0;
      case Frame.Reset r -> 1;
      case Frame.Ping p -> 8;
      case Frame.Pong p -> 8;
      case Frame.GoAway g -> 1 + utf8Length(g.reason());
      case Frame.Rekey r -> 0;
      case Frame.KeyExchange k -> 32;
      case Frame.KeyExchangeDone k -> 0;
      case Frame.ReverseOpen r -> 4 + r.destination().map(FrameCodec::destinationLength).orElse(0);
      case Frame.Listen l -> 4 + 1 + destinationLength(l.bind());
      case Frame.Listening l -> 4 + destinationLength(l.bound());
      case Frame.ListenRefused r -> 4 + 1 + utf8Length(r.reason());
      case Frame.Unlisten u -> 4;
    };
  }

  /**
   * Appends {@code f} to {@code out}. Does not release a Data frame's payload: the caller still
   * owns it.
   */
  public static void encode(Frame f, ByteBuf out) {
    int type =
        switch (f) {
          case Frame.Open o -> Frame.OPEN;
          case Frame.OpenBadName o -> Frame.OPEN;
          case Frame.Opened o -> Frame.OPENED;
          case Frame.Refused r -> Frame.REFUSED;
          case Frame.Data d -> Frame.DATA;
          case Frame.Window w -> Frame.WINDOW;
          case Frame.Fin fin -> Frame.FIN;
          case Frame.Reset r -> Frame.RESET;
          case Frame.Ping p -> Frame.PING;
          case Frame.Pong p -> Frame.PONG;
          case Frame.GoAway g -> Frame.GOAWAY;
          case Frame.Rekey r -> Frame.REKEY;
          case Frame.KeyExchange k -> Frame.KEYX;
          case Frame.KeyExchangeDone k -> Frame.KEYX_DONE;
          case Frame.ReverseOpen r -> Frame.ROPEN;
          case Frame.Listen l -> Frame.LISTEN;
          case Frame.Listening l -> Frame.LISTENING;
          case Frame.ListenRefused r -> Frame.LISTEN_REFUSED;
          case Frame.Unlisten u -> Frame.UNLISTEN;
        };
    out.writeByte(type);
    out.writeInt(f.stream());
    out.writeShort(bodyLength(f));
    switch (f) {
      case Frame.Open o -> writeDestination(o.destination(), out);
      case Frame.OpenBadName o -> {
        byte[] name = o.name();
        out.writeByte(ATYP_NAME);
        out.writeByte(name.length);
        out.writeBytes(name);
        out.writeShort(o.port());
      }
      case Frame.Opened o -> writeDestination(o.bound(), out);
      case Frame.Refused r -> {
        out.writeByte(r.code().wire);
        // Bytes, not writeCharSequence: that reserves 3 bytes per char, which overflows a
        // record whose room was sized by encodedLength (a full record then threw).
        out.writeBytes(truncate(r.reason()).getBytes(StandardCharsets.UTF_8));
      }
      case Frame.Data d ->
          out.writeBytes(d.payload(), d.payload().readerIndex(), d.payload().readableBytes());
      case Frame.Window w -> out.writeInt(w.increment());
      case Frame.Fin fin -> {}
      case Frame.Reset r -> out.writeByte(r.code().wire);
      case Frame.Ping p -> out.writeLong(p.opaque());
      case Frame.Pong p -> out.writeLong(p.opaque());
      case Frame.GoAway g -> {
        out.writeByte(g.code().wire);
        out.writeBytes(truncate(g.reason()).getBytes(StandardCharsets.UTF_8));
      }
      case Frame.Rekey r -> {}
      case Frame.KeyExchange k -> out.writeBytes(k.publicKey());
      case Frame.KeyExchangeDone k -> {}
      case Frame.ReverseOpen r -> {
        out.writeInt(r.listener());
        r.destination().ifPresent(d -> writeDestination(d, out));
      }
      case Frame.Listen l -> {
        out.writeInt(l.listener());
        out.writeByte(l.proxy() ? 1 : 0);
        writeDestination(l.bind(), out);
      }
      case Frame.Listening l -> {
        out.writeInt(l.listener());
        writeDestination(l.bound(), out);
      }
      case Frame.ListenRefused r -> {
        out.writeInt(r.listener());
        out.writeByte(r.code().wire);
        out.writeBytes(truncate(r.reason()).getBytes(StandardCharsets.UTF_8));
      }
      case Frame.Unlisten u -> out.writeInt(u.listener());
    }
  }

  /**
   * Decodes every frame in {@code plaintext} (one record), in order. Does not release {@code
   * plaintext}. A malformed frame throws after the frames before it were delivered.
   *
   * <p>A DATA payload of at least half the record is a retained slice of it (zero-copy: a bulk
   * record is one full frame); a smaller one is copied into a buffer of its own size, so that it
   * does not keep the rest of the record alive. A receiver may hold a payload for as long as its
   * stream's window allows (the destination is still connecting, or not reading): without the copy,
   * 1 byte of window held a 64 KiB record (issue 12, item 1). So a payload never holds more than
   * twice its own size of memory, and a frame for a stream that is gone frees its memory when it is
   * released.
   */
  public static void decode(ByteBuf plaintext, Handler handler) throws ProtocolException {
    int record = plaintext.capacity();
    while (plaintext.isReadable()) {
      if (plaintext.readableBytes() < Frame.HEADER_LENGTH) {
        throw new ProtocolException(
            "truncated frame header: " + plaintext.readableBytes() + " bytes");
      }
      int type = plaintext.readUnsignedByte();
      int stream = plaintext.readInt();
      int length = plaintext.readUnsignedShort();
      if (plaintext.readableBytes() < length) {
        throw new ProtocolException(
            "frame body: " + length + " bytes (record has " + plaintext.readableBytes() + ")");
      }
      ByteBuf body = plaintext.readSlice(length);
      boolean linkFrame = Frame.isLinkType(type);
      if (linkFrame != (stream == 0)) {
        throw new ProtocolException("frame type " + type + " on stream " + stream);
      }
      handler.onFrame(decodeBody(type, stream, body, record));
    }
  }

  private static Frame decodeBody(int type, int stream, ByteBuf body, int record)
      throws ProtocolException {
    int n = body.readableBytes();
    Frame f =
        switch (type) {
          case Frame.OPEN -> readOpen(stream, body);
          case Frame.OPENED -> new Frame.Opened(stream, readDestination(body));
          case Frame.REFUSED -> {
            require(n >= 1 && n <= 1 + Frame.MAX_REASON_BYTES, type, n);
            RefuseCode code = RefuseCode.fromWire(body.readUnsignedByte());
            yield new Frame.Refused(
                stream, code, body.readCharSequence(n - 1, StandardCharsets.UTF_8).toString());
          }
          case Frame.DATA -> {
            require(n >= 1, type, n);
            yield new Frame.Data(
                stream, 2 * n >= record ? body.readRetainedSlice(n) : copy(body, n));
          }
          case Frame.WINDOW -> {
            require(n == 4, type, n);
            int inc = body.readInt();
            if (inc < 1) {
              throw new ProtocolException("window increment " + Integer.toUnsignedString(inc));
            }
            yield new Frame.Window(stream, inc);
          }
          case Frame.FIN -> {
            require(n == 0, type, n);
            yield new Frame.Fin(stream);
          }
          case Frame.RESET -> {
            require(n == 1, type, n);
            yield new Frame.Reset(stream, ResetCode.fromWire(body.readUnsignedByte()));
          }
          case Frame.PING -> {
            require(n == 8, type, n);
            yield new Frame.Ping(body.readLong());
          }
          case Frame.PONG -> {
            require(n == 8, type, n);
            yield new Frame.Pong(body.readLong());
          }
          case Frame.GOAWAY -> {
            require(n >= 1 && n <= 1 + Frame.MAX_REASON_BYTES, type, n);
            GoawayCode code = GoawayCode.fromWire(body.readUnsignedByte());
            yield new Frame.GoAway(
                code, body.readCharSequence(n - 1, StandardCharsets.UTF_8).toString());
          }
          case Frame.REKEY -> {
            require(n == 0, type, n);
            yield new Frame.Rekey();
          }
          case Frame.KEYX -> {
            require(n == 32, type, n);
            byte[] key = new byte[32];
            body.readBytes(key);
            yield new Frame.KeyExchange(key);
          }
          case Frame.KEYX_DONE -> {
            require(n == 0, type, n);
            yield new Frame.KeyExchangeDone();
          }
          case Frame.ROPEN -> {
            require(n >= 4, type, n);
            int listener = readListener(body);
            yield new Frame.ReverseOpen(
                stream,
                listener,
                body.isReadable()
                    ? java.util.Optional.of(readDestination(body))
                    : java.util.Optional.empty());
          }
          case Frame.LISTEN -> {
            require(n >= 5, type, n);
            int listener = readListener(body);
            int kind = body.readUnsignedByte();
            if (kind > 1) {
              throw new ProtocolException("listen kind " + kind + " (expected: 0 or 1)");
            }
            Destination bind = readDestination(body);
            if (bind.isName()) {
              throw new ProtocolException("listen address: a name (expected: an address)");
            }
            yield new Frame.Listen(listener, kind == 1, bind);
          }
          case Frame.LISTENING -> {
            require(n >= 4, type, n);
            yield new Frame.Listening(readListener(body), readDestination(body));
          }
          case Frame.LISTEN_REFUSED -> {
            require(n >= 5 && n <= 5 + Frame.MAX_REASON_BYTES, type, n);
            int listener = readListener(body);
            RefuseCode code = RefuseCode.fromWire(body.readUnsignedByte());
            yield new Frame.ListenRefused(
                listener, code, body.readCharSequence(n - 5, StandardCharsets.UTF_8).toString());
          }
          case Frame.UNLISTEN -> {
            require(n == 4, type, n);
            yield new Frame.Unlisten(readListener(body));
          }
          default -> throw new ProtocolException("unknown frame type " + type);
        };
    if (body.isReadable()) {
      if (f instanceof Frame.Data d) {
        d.release();
      }
      throw new ProtocolException(
          "frame type " + type + ": " + body.readableBytes() + " trailing bytes");
    }
    return f;
  }

  /**
   * {@code n} bytes of {@code body} in a direct buffer of their own (a stream's socket writes
   * them).
   */
  private static ByteBuf copy(ByteBuf body, int n) {
    ByteBuf copy = body.alloc().directBuffer(n, n);
    try {
      return copy.writeBytes(body, n);
    } catch (RuntimeException e) {
      copy.release();
      throw e;
    }
  }

  private static int readListener(ByteBuf body) throws ProtocolException {
    int listener = body.readInt();
    if (listener == 0) {
      throw new ProtocolException("listener 0");
    }
    return listener;
  }

  private static void require(boolean ok, int type, int length) throws ProtocolException {
    if (!ok) {
      throw new ProtocolException("frame type " + type + ": bad body length " + length);
    }
  }

  private static int destinationLength(Destination d) {
    if (d.isName()) {
      return 1 + 1 + d.name().length() + 2;
    }
    return 1 + d.address().getAddress().length + 2;
  }

  private static void writeDestination(Destination d, ByteBuf out) {
    if (d.isName()) {
      out.writeByte(ATYP_NAME);
      out.writeByte(d.name().length());
      out.writeCharSequence(d.name(), StandardCharsets.US_ASCII);
    } else {
      out.writeByte(d.address() instanceof Inet4Address ? ATYP_IPV4 : ATYP_IPV6);
      out.writeBytes(d.address().getAddress());
    }
    out.writeShort(d.port());
  }

  /**
   * An OPEN's destination. A name that is well framed but holds bytes no name may hold
   * (Destination#nameProblem) is the stream's problem, not the link's (PROTOCOL.md §5): it becomes
   * an {@link Frame.OpenBadName}, which the mux refuses alone.
   */
  private static Frame readOpen(int stream, ByteBuf body) throws ProtocolException {
    if (!body.isReadable() || body.getUnsignedByte(body.readerIndex()) != ATYP_NAME) {
      return new Frame.Open(stream, readDestination(body));
    }
    body.skipBytes(1);
    byte[] raw = readName(body);
    String name = new String(raw, StandardCharsets.ISO_8859_1); // one char per byte
    int port = body.readUnsignedShort();
    return Destination.nameProblem(name) == null
        ? new Frame.Open(stream, Destination.ofName(name, port))
        : new Frame.OpenBadName(stream, raw, port);
  }

  /**
   * A name's length byte and bytes, checked for framing only: at least one byte, and the name and
   * the port that follows it fit in the body. What the bytes are is for the caller to judge.
   */
  private static byte[] readName(ByteBuf body) throws ProtocolException {
    int len = body.isReadable() ? body.readUnsignedByte() : -1;
    if (len < 1 || body.readableBytes() < len + 2) {
      throw new ProtocolException("destination: truncated");
    }
    byte[] raw = new byte[len];
    body.readBytes(raw);
    return raw;
  }

  private static Destination readDestination(ByteBuf body) throws ProtocolException {
    if (!body.isReadable()) {
      throw new ProtocolException("destination: empty");
    }
    int atyp = body.readUnsignedByte();
    if (atyp == ATYP_NAME) {
      String name = new String(readName(body), StandardCharsets.ISO_8859_1); // one char per byte
      String problem = Destination.nameProblem(name);
      if (problem != null) {
        // Only in OPENED now (an OPEN's bad name went to readOpen): a server names the address it
        // connected to, never a name, so this is a broken peer.
        throw new ProtocolException("destination: " + problem);
      }
      return Destination.ofName(name, body.readUnsignedShort());
    }
    int addrLen =
        switch (atyp) {
          case ATYP_IPV4 -> 4;
          case ATYP_IPV6 -> 16;
          default -> throw new ProtocolException("destination: address type " + atyp);
        };
    if (body.readableBytes() < addrLen + 2) {
      throw new ProtocolException("destination: truncated");
    }
    byte[] raw = new byte[addrLen];
    body.readBytes(raw);
    try {
      return Destination.of(InetAddress.getByAddress(raw), body.readUnsignedShort());
    } catch (UnknownHostException e) {
      throw new ProtocolException("destination: " + e.getMessage());
    }
  }

  private static int utf8Length(String s) {
    return truncate(s).getBytes(StandardCharsets.UTF_8).length;
  }

  /** Reasons are informative only; cut them so a frame's size stays bounded. */
  private static String truncate(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length <= Frame.MAX_REASON_BYTES) {
      return s;
    }
    int end = Math.min(s.length(), Frame.MAX_REASON_BYTES);
    while (end > 0
        && s.substring(0, end).getBytes(StandardCharsets.UTF_8).length > Frame.MAX_REASON_BYTES) {
      end--;
    }
    return s.substring(0, end);
  }
}
