package dev.ett.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * A scripted TCP socket at the far end of a stream, without a network: an {@link EmbeddedChannel}
 * (AUTO_READ off) that can half-close like a real socket, counts the reads the mux asks for, and
 * can hold back the writes made to it, like an application that does not read.
 */
final class DestinationSocket extends EmbeddedChannel implements DuplexChannel {
  private final Holder holder = new Holder();
  private SocketConfig config; // made on first use: the superclass constructor asks for it
  private boolean inputShutdown, outputShutdown;
  private EventLoop loop;
  int reads;

  DestinationSocket() {
    super();
    config().setAutoRead(false);
    pipeline().addFirst("hold", holder);
    reads = 0; // the read EmbeddedChannel makes when it becomes active does not count
  }

  @Override
  public ChannelConfig config() {
    if (config == null) {
      config = new SocketConfig(this);
    }
    return config;
  }

  /** True if the socket was closed with SO_LINGER 0 (a TCP RST), as {@link Mux#abort} does. */
  boolean aborted() {
    return !isOpen() && config.linger == 0;
  }

  /** Pretends to be registered on {@code loop} (the mux requires the link's loop). */
  DestinationSocket onLoop(EventLoop loop) {
    this.loop = loop;
    return this;
  }

  @Override
  public EventLoop eventLoop() {
    return loop != null ? loop : super.eventLoop();
  }

  @Override
  public Channel read() {
    reads++;
    return super.read();
  }

  /** From now on, writes stay pending, as when the application does not read its socket. */
  void holdWrites() {
    holder.holding = true;
  }

  /** Lets every held write complete. */
  void releaseWrites() {
    holder.holding = false;
    holder.passOn();
  }

  /**
   * Makes the socket (not) writable, as a full (drained) outbound buffer does, and runs the
   * writability event.
   */
  void setWritable(boolean writable) {
    unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    runPendingTasks();
  }

  /** The application sends {@code s}. */
  void send(String s) {
    writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
  }

  void send(int bytes) {
    writeInbound(Unpooled.wrappedBuffer(new byte[bytes]));
  }

  /**
   * The application shut its output (TCP FIN). As Netty's transports do, this closes the socket
   * when ALLOW_HALF_CLOSURE is off, and only reports the end of input when it is on.
   */
  void sendEof() {
    inputShutdown = true;
    if (config.allowHalfClosure) {
      pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    } else {
      close();
    }
  }

  /** Everything written to the socket so far, as text; the buffers are released. */
  String received() {
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = readOutbound()) != null; ) {
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  int receivedBytes() {
    return received().length();
  }

  @Override
  public boolean isInputShutdown() {
    return inputShutdown;
  }

  @Override
  public ChannelFuture shutdownInput() {
    return shutdownInput(newPromise());
  }

  @Override
  public ChannelFuture shutdownInput(ChannelPromise promise) {
    inputShutdown = true;
    return promise.setSuccess();
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  @Override
  public ChannelFuture shutdownOutput() {
    return shutdownOutput(newPromise());
  }

  @Override
  public ChannelFuture shutdownOutput(ChannelPromise promise) {
    outputShutdown = true;
    return promise.setSuccess();
  }

  @Override
  public boolean isShutdown() {
    return inputShutdown && outputShutdown;
  }

  @Override
  public ChannelFuture shutdown() {
    return shutdown(newPromise());
  }

  @Override
  public ChannelFuture shutdown(ChannelPromise promise) {
    inputShutdown = true;
    outputShutdown = true;
    return promise.setSuccess();
  }

  /** The two socket options the mux sets on a stream's socket, kept as a real socket keeps them. */
  private static final class SocketConfig extends DefaultChannelConfig {
    boolean allowHalfClosure = true; // as Listeners and Connector set it
    int linger = -1;

    SocketConfig(Channel channel) {
      super(channel);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
      if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
        return (T) Boolean.valueOf(allowHalfClosure);
      }
      if (option == ChannelOption.SO_LINGER) {
        return (T) Integer.valueOf(linger);
      }
      return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
      if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
        allowHalfClosure = (Boolean) value;
        return true;
      }
      if (option == ChannelOption.SO_LINGER) {
        linger = (Integer) value;
        return true;
      }
      return super.setOption(option, value);
    }
  }

  private static final class Holder extends ChannelOutboundHandlerAdapter {
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    boolean holding;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (holding) {
        held.add(msg);
        held.add(promise);
      } else {
        ctx.write(msg, promise);
      }
    }

    void passOn() {
      while (!held.isEmpty()) {
        ctx.write(held.poll(), (ChannelPromise) held.poll());
      }
      ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
      while (!held.isEmpty()) {
        io.netty.util.ReferenceCountUtil.release(held.poll());
        ((ChannelPromise) held.poll()).tryFailure(new ClosedChannelException());
      }
      ctx.close(promise);
    }
  }
}
