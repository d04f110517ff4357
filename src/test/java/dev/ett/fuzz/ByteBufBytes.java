package dev.ett.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

final class ByteBufBytes {
  private ByteBufBytes() {}

  static byte[] of(ByteBuf b) {
    return ByteBufUtil.getBytes(b);
  }
}
