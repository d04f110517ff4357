package dev.ett.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.NotYetConnectedException;
import java.util.ArrayDeque;

/**
 * The last handler of a stream's socket: translates socket events into {@link Mux} calls.
 *
 * <p>It is installed as soon as a socket exists ({@link #install}), before the socket has a stream:
 * even with AUTO_READ off, the transport drains a socket whose peer half-closed (Netty reads to EOF
 * after EPOLLRDHUP), so bytes and EOF may arrive before the mux is ready. Until {@link #bind} they
 * are held here, then replayed in order.
 */
public final class StreamSocketHandler extends ChannelInboundHandlerAdapter {
  static final String NAME = "ett-stream";

  private Mux mux;
  private Stream stream;
  private ArrayDeque<ByteBuf> held = new ArrayDeque<>();
  private boolean heldEof, heldInactive, failed;

  /** Installs a handler on a new socket (call before it is read). */
  public static void install(Channel socket) {
    if (socket.pipeline().get(NAME) == null) {
      socket.config().setRecvByteBufAllocator(FrameSizedReads.INSTANCE);
      socket.pipeline().addLast(NAME, new StreamSocketHandler());
    }
  }

  /** Returns the socket's handler, installing one if needed. */
  static StreamSocketHandler of(Channel socket) {
    install(socket);
    return (StreamSocketHandler) socket.pipeline().get(NAME);
  }

  void bind(Mux mux, Stream stream) {
    if (this.mux != null) {
      throw new IllegalStateException("socket already carries " + this.stream);
    }
    this.mux = mux;
    this.stream = stream;
    ArrayDeque<ByteBuf> h = held;
    held = null;
    for (ByteBuf b; (b = h.poll()) != null; ) {
      mux.onSocketData(stream, b);
    }
    if (heldEof) {
      mux.onSocketEof(stream);
    }
    if (heldInactive) {
      mux.onSocketClosed(stream, failed);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf b)) {
      ReferenceCountUtil.release(msg);
    } else if (mux == null) {
      held.add(b);
    } else {
      mux.onSocketData(stream, b); // takes ownership
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (mux != null) {
      mux.onSocketReadComplete(stream);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (mux != null && ctx.channel().isWritable()) {
      mux.onSocketWritable(stream); // DATA held while the socket's outbound buffer was full
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      if (mux == null) {
        heldEof = true;
      } else {
        mux.onSocketEof(stream);
      }
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (mux == null) {
      heldInactive = true;
    } else {
      mux.onSocketClosed(stream, failed);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (held != null) {
      held.forEach(ByteBuf::release);
      held.clear();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof NotYetConnectedException && !ctx.channel().isActive()) {
      // A socket still connecting got a stale read event: under load the epoll transport can hand
      // it an event meant for the socket that used the same descriptor number a moment ago (netty
      // #10411). The read fails with ENOTCONN and nothing is lost; the connect's own outcome
      // decides. Closing here made the connect fail and the stream be refused.
      return;
    }
    // ECONNRESET and friends: the stream is reset; the cause is not a bug worth a stack trace.
    failed = true;
    ctx.close();
  }
}
