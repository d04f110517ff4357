package dev.ett.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/** Record framing (PROTOCOL.md §3): u16 length + Noise message. */
public final class Records {
  public static final int MAX_MESSAGE = 65535;

  private Records() {}

  /** Splits the byte stream into Noise messages (the 2-byte length stripped). */
  public static LengthFieldBasedFrameDecoder decoder() {
    return new LengthFieldBasedFrameDecoder(2 + MAX_MESSAGE, 0, 2, 0, 2);
  }

  /** A record holding {@code message}. */
  public static ByteBuf frame(ByteBufAllocator alloc, byte[] message) {
    if (message.length == 0 || message.length > MAX_MESSAGE) {
      throw new IllegalStateException("noise message of " + message.length + " bytes");
    }
    ByteBuf b = alloc.buffer(2 + message.length);
    b.writeShort(message.length);
    b.writeBytes(message);
    return b;
  }
}
