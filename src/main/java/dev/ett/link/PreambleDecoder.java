package dev.ett.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Server side: reads the 8-byte preamble, hands the suite on and removes itself; whatever followed
 * the preamble flows on to the record decoder. A preamble this version does not speak closes the
 * connection without a reply (the handshake is told, for the server's log).
 */
public final class PreambleDecoder extends ByteToMessageDecoder {
  private final Consumer<PreambleResult> onPreamble;

  public record PreambleResult(Suite suite, byte[] preamble) {}

  public PreambleDecoder(Consumer<PreambleResult> onPreamble) {
    this.onPreamble = onPreamble;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < Preamble.LENGTH) {
      return;
    }
    byte[] p = new byte[Preamble.LENGTH];
    in.readBytes(p);
    Suite suite = Preamble.decode(p);
    if (suite == null) {
      in.skipBytes(in.readableBytes());
      // Told to the handshake behind us, which closes silently and counts it as garbage.
      ctx.fireExceptionCaught(new DecoderException("not an ett preamble"));
      ctx.close();
      return;
    }
    onPreamble.accept(new PreambleResult(suite, p));
    ctx.pipeline().remove(this);
  }
}
