package dev.ett.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/** The last handler of a stream's socket: translates socket events into {@link Mux} calls. */
final class StreamSocketHandler extends ChannelInboundHandlerAdapter {
  private final Mux mux;
  private final Stream stream;
  private boolean failed;

  StreamSocketHandler(Mux mux, Stream stream) {
    this.mux = mux;
    this.stream = stream;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      mux.onSocketData(stream, b); // takes ownership
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    mux.onSocketReadComplete(stream);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      mux.onSocketEof(stream);
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    mux.onSocketClosed(stream, failed);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // ECONNRESET and friends: the stream is reset; the cause is not a bug worth a stack trace.
    failed = true;
    ctx.close();
  }
}
