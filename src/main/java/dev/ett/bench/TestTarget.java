package dev.ett.bench;

import dev.ett.util.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;

/**
 * A destination for demos, benchmarks and tests (the "target" command). Modes:
 *
 * <ul>
 *   <li>ECHO: writes back what it reads, with back-pressure; half-closes after the peer does.
 *   <li>SINK: discards; when the peer half-closes, answers the hex SHA-256 of all it read + "\n".
 *   <li>SOURCE: reads an 8-byte big-endian count N, sends N bytes of a fixed pattern, closes.
 *   <li>HTTP: answers every request (ends with an empty line) with a small 200 response.
 * </ul>
 */
public final class TestTarget implements AutoCloseable {
  public enum Mode {
    ECHO,
    SINK,
    SOURCE,
    HTTP
  }

  public static final String HTTP_BODY = "hello from the far side of ett\n";

  private final EventLoopGroup group;
  private final Channel listener;

  private TestTarget(EventLoopGroup group, Channel listener) {
    this.group = group;
    this.listener = listener;
  }

  public static TestTarget start(InetSocketAddress bind, Mode mode) throws InterruptedException {
    EventLoopGroup group = Transports.group(1, "ett-target");
    Channel ch =
        new ServerBootstrap()
            .group(group)
            .channelFactory(Transports.serverChannel(bind))
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel c) {
                    c.pipeline().addLast(handlerFor(mode));
                  }
                })
            .bind(bind)
            .sync()
            .channel();
    return new TestTarget(group, ch);
  }

  private static ChannelInboundHandlerAdapter handlerFor(Mode mode) {
    return switch (mode) {
      case ECHO -> new Echo();
      case SINK -> new Sink();
      case SOURCE -> new Source();
      case HTTP -> new Http();
    };
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Echo with back-pressure: stop reading while the socket cannot take more. */
  private static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(true);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        // Both directions are done once our FIN is out: close, or every connection keeps its fd.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
            .addListener(
                (ChannelFutureListener)
                    f ->
                        ((DuplexChannel) ctx.channel())
                            .shutdownOutput()
                            .addListener(ChannelFutureListener.CLOSE));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final class Sink extends ChannelInboundHandlerAdapter {
    private final MessageDigest sha = sha256();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      sha.update(b.nioBuffer());
      b.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        String hex = ByteBufUtil.hexDump(sha.digest()) + "\n";
        ctx.writeAndFlush(Unpooled.copiedBuffer(hex, StandardCharsets.US_ASCII))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Sends N bytes of {@link #pattern} with back-pressure, as slices of one shared buffer. */
  private static final class Source extends ChannelInboundHandlerAdapter {
    private final ByteBuf header = Unpooled.buffer(8);
    private long remaining = -1;
    private long offset;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      if (remaining < 0) {
        header.writeBytes(b, Math.min(b.readableBytes(), header.writableBytes()));
        if (!header.isWritable()) {
          remaining = header.readLong();
          header.release();
          pump(ctx);
        }
      }
      b.release();
    }

    private void pump(ChannelHandlerContext ctx) {
      while (remaining > 0 && ctx.channel().isWritable()) {
        int n = (int) Math.min(remaining, 64 * 1024);
        int start = (int) (offset % PERIOD);
        ctx.write(PATTERN.retainedSlice(start, n));
        offset += n;
        remaining -= n;
      }
      ctx.flush();
      if (remaining == 0) {
        remaining = -2;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && remaining > 0) {
        pump(ctx);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (remaining == -1) {
        header.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A prime period, so the pattern does not line up with any buffer or record size. */
  private static final int PERIOD = 65_521;

  private static final ByteBuf PATTERN = makePattern();

  private static ByteBuf makePattern() {
    byte[] b = new byte[PERIOD + 64 * 1024];
    for (int i = 0; i < b.length; i++) {
      b[i] = pattern(i);
    }
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(b));
  }

  /** The byte at {@code offset} of a SOURCE stream: periodic with a prime period of 65521. */
  public static byte pattern(long offset) {
    long x = (offset % PERIOD) * 0x9E3779B97F4A7C15L;
    return (byte) (x >>> 56 ^ (offset % PERIOD));
  }

  private static final class Http extends ChannelInboundHandlerAdapter {
    private final StringBuilder pending = new StringBuilder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      pending.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
      int end;
      while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
        pending.delete(0, end + 4);
        String resp =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + HTTP_BODY.length()
                + "\r\n\r\n"
                + HTTP_BODY;
        ctx.write(Unpooled.copiedBuffer(resp, StandardCharsets.ISO_8859_1));
      }
      if (pending.length() > 65536) {
        ctx.close();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
