package dev.ett.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/** Record framing (PROTOCOL.md §3): u16 length + Noise message. */
public final class Records {
  public static final int MAX_MESSAGE = 65535;

  private Records() {}

  /**
   * How a link socket is read: up to 256 KiB at a time, so that a bulk transfer's 64 KiB records
   * mostly lie whole inside one read (see {@link #decoder()}) and take a quarter of the syscalls.
   */
  public static final AdaptiveRecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(64, 2048, 256 * 1024);

  /**
   * Splits the byte stream into Noise messages (the 2-byte length stripped). Reads are kept as
   * they came (a composite cumulation) instead of copied onto the end of the previous one: a record
   * inside one read is passed on as a slice of it, and only a record split across two reads is
   * copied, once, when it is decrypted.
   */
  public static LengthFieldBasedFrameDecoder decoder() {
    LengthFieldBasedFrameDecoder d = new LengthFieldBasedFrameDecoder(2 + MAX_MESSAGE, 0, 2, 0, 2);
    d.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
    return d;
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
