package dev.ett.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * One mux frame (PROTOCOL.md §5). Only {@link Data} holds a buffer: whoever holds a Data frame owns
 * one reference to its payload and must release it or pass it on.
 */
public sealed interface Frame {
  int stream();

  /** Frame type bytes (PROTOCOL.md §5). */
  int OPEN = 0x01,
      OPENED = 0x02,
      REFUSED = 0x03,
      DATA = 0x04,
      WINDOW = 0x05,
      FIN = 0x06,
      RESET = 0x07,
      PING = 0x08,
      PONG = 0x09,
      GOAWAY = 0x0A,
      REKEY = 0x0B,
      KEYX = 0x0C,
      KEYX_DONE = 0x0D,
      ROPEN = 0x0E,
      LISTEN = 0x0F,
      LISTENING = 0x10,
      LISTEN_REFUSED = 0x11,
      UNLISTEN = 0x12;

  /** Whether frames of {@code type} belong to the link (stream 0) rather than to a stream. */
  static boolean isLinkType(int type) {
    return type != ROPEN && type >= PING;
  }

  int HEADER_LENGTH = 7;

  /** Noise message max (65535) minus the AEAD tag (16). */
  int MAX_RECORD_PLAINTEXT = 65535 - 16;

  int MAX_DATA = MAX_RECORD_PLAINTEXT - HEADER_LENGTH;
  int MAX_REASON_BYTES = 200;

  record Open(int stream, Destination destination) implements Frame {
    public Open {
      requireStream(stream);
    }
  }

  /**
   * An OPEN that is well framed but whose name holds a byte no {@link Destination} name may hold
   * ({@link Destination#nameProblem}): a space, a control character, DEL, a non-ASCII byte. The
   * decoder yields it instead of a protocol error, so that one bad name costs its own stream, not
   * the link (PROTOCOL.md §5): the server answers REFUSED {@code 04} "bad host name". A conforming
   * client never sends one; it encodes back to the bytes it came from, for tests and the fuzzer.
   *
   * @param name the name's bytes as received (1~255 of them), copied in and out
   */
  record OpenBadName(int stream, byte[] name, int port) implements Frame {
    public OpenBadName {
      requireStream(stream);
      if (name.length < 1 || name.length > Destination.MAX_NAME_LENGTH) {
        throw new IllegalArgumentException(
            "name: " + name.length + " bytes (expected: 1~" + Destination.MAX_NAME_LENGTH + ")");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0~65535)");
      }
      name = name.clone();
    }

    @Override
    public byte[] name() {
      return name.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof OpenBadName b
          && b.stream == stream
          && b.port == port
          && java.util.Arrays.equals(b.name, name);
    }

    @Override
    public int hashCode() {
      return (stream * 31 + port) * 31 + java.util.Arrays.hashCode(name);
    }

    /** The name in hex: it may hold line breaks and other bytes no log line should carry raw. */
    @Override
    public String toString() {
      return "OpenBadName[stream="
          + stream
          + ", name="
          + java.util.HexFormat.of().formatHex(name)
          + ", port="
          + port
          + "]";
    }
  }

  record Opened(int stream, Destination bound) implements Frame {
    public Opened {
      requireStream(stream);
    }
  }

  record Refused(int stream, RefuseCode code, String reason) implements Frame {
    public Refused {
      requireStream(stream);
      reason = reason == null ? "" : reason;
    }
  }

  /** Owns one reference to {@code payload}. */
  record Data(int stream, ByteBuf payload) implements Frame, ReferenceCounted {
    public Data {
      requireStream(stream);
      int n = payload.readableBytes();
      if (n < 1 || n > MAX_DATA) {
        payload.release();
        throw new IllegalArgumentException("data: " + n + " bytes (expected: 1~" + MAX_DATA + ")");
      }
    }

    @Override
    public int refCnt() {
      return payload.refCnt();
    }

    @Override
    public Data retain() {
      payload.retain();
      return this;
    }

    @Override
    public Data retain(int increment) {
      payload.retain(increment);
      return this;
    }

    @Override
    public Data touch() {
      payload.touch();
      return this;
    }

    @Override
    public Data touch(Object hint) {
      payload.touch(hint);
      return this;
    }

    @Override
    public boolean release() {
      return payload.release();
    }

    @Override
    public boolean release(int decrement) {
      return payload.release(decrement);
    }

    @Override
    public String toString() {
      return "Data[stream=" + stream + ", bytes=" + payload.readableBytes() + "]";
    }
  }

  record Window(int stream, int increment) implements Frame {
    public Window {
      requireStream(stream);
      if (increment < 1) {
        throw new IllegalArgumentException("increment: " + increment + " (expected: 1~2^31-1)");
      }
    }
  }

  record Fin(int stream) implements Frame {
    public Fin {
      requireStream(stream);
    }
  }

  record Reset(int stream, ResetCode code) implements Frame {
    public Reset {
      requireStream(stream);
    }
  }

  record Ping(long opaque) implements Frame {
    @Override
    public int stream() {
      return 0;
    }
  }

  record Pong(long opaque) implements Frame {
    @Override
    public int stream() {
      return 0;
    }
  }

  record GoAway(GoawayCode code, String reason) implements Frame {
    public GoAway {
      reason = reason == null ? "" : reason;
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  /** Link-layer key frames; only the record layer sends and consumes these. */
  record Rekey() implements Frame {
    @Override
    public int stream() {
      return 0;
    }
  }

  record KeyExchange(byte[] publicKey) implements Frame {
    public KeyExchange {
      if (publicKey.length != 32) {
        throw new IllegalArgumentException("keyx: " + publicKey.length + " bytes (expected: 32)");
      }
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  record KeyExchangeDone() implements Frame {
    @Override
    public int stream() {
      return 0;
    }
  }

  /**
   * A stream the server opens for a connection accepted on a listener (PROTOCOL.md §10.2). {@code
   * destination} is present for a proxy listener only: the client never connects a forward
   * listener's stream anywhere but where its own -R said.
   *
   * @param listener the client's id of the listener (u32, read unsigned)
   */
  record ReverseOpen(int stream, int listener, java.util.Optional<Destination> destination)
      implements Frame {
    public ReverseOpen {
      requireStream(stream);
      requireListener(listener);
      if (destination == null) {
        throw new IllegalArgumentException("destination: null (expected: a value or empty)");
      }
    }
  }

  /**
   * Client asks the server to listen on {@code bind} (port 0: the server chooses), PROTOCOL.md
   * §10.1.
   *
   * @param proxy kind {@code 01}: the server serves a SOCKS/HTTP proxy there; else kind {@code 00}
   */
  record Listen(int listener, boolean proxy, Destination bind) implements Frame {
    public Listen {
      requireListener(listener);
      if (bind.isName()) {
        throw new IllegalArgumentException("bind: " + bind + " (expected: an address, not a name)");
      }
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  /** The server listens for {@code listener} on {@code bound}. */
  record Listening(int listener, Destination bound) implements Frame {
    public Listening {
      requireListener(listener);
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  record ListenRefused(int listener, RefuseCode code, String reason) implements Frame {
    public ListenRefused {
      requireListener(listener);
      reason = reason == null ? "" : reason;
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  /** The listener is closed (either direction). */
  record Unlisten(int listener) implements Frame {
    public Unlisten {
      requireListener(listener);
    }

    @Override
    public int stream() {
      return 0;
    }
  }

  private static void requireListener(int listener) {
    if (listener == 0) {
      throw new IllegalArgumentException("listener: 0 (expected: 1~2^32-1)");
    }
  }

  private static void requireStream(int stream) {
    if (stream == 0) {
      throw new IllegalArgumentException("stream: 0 (expected: a stream id, not the link)");
    }
  }
}
