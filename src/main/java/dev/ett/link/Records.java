package dev.ett.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/** Record framing (PROTOCOL.md §3): u16 length + Noise message. */
public final class Records {
  public static final int MAX_MESSAGE = 65535;

  private Records() {}

  /**
   * Reads of a link: up to 128 KiB, two full records. A full record is 65,537 bytes on the wire, so
   * Netty's default 64 KiB maximum took two reads (the second of a byte or so) for each. 256 KiB
   * measured no better than 128 KiB.
   */
  public static final RecvByteBufAllocator READS =
      new AdaptiveRecvByteBufAllocator(64, 2048, 128 * 1024);

  /**
   * Splits the byte stream into Noise messages (the 2-byte length stripped).
   *
   * <p>The bytes are gathered as a composite of the reads, not merged into one buffer: in bulk
   * nearly every read ends inside a record (128 KiB reads, 65,537-byte records), and merging grew
   * the buffer and copied both reads each time (2 % of the receiving side's CPU in a profile). The
   * record layer copies a record that spans two reads into its own array once, which it needs for
   * the AEAD anyway.
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
