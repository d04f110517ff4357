package dev.ett.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Goals: the defaults of Netty's sockets that ett relies on without setting them. The fronts'
 * accepted sockets and the exit's outgoing ones rely on Netty turning TCP_NODELAY on by itself
 * (front/Listeners, exit/Connector set no option, which saved a setsockopt per stream). Should a
 * Netty upgrade stop doing so, small writes would wait for Nagle's algorithm: this fails first.
 */
class TransportsTest {
  @Test
  void streamSocketsHaveNoDelayWithoutAskingForIt() throws Exception {
    EventLoopGroup group = Transports.group(1, "transports-test");
    try {
      CompletableFuture<Boolean> accepted = new CompletableFuture<>();
      Channel server =
          new ServerBootstrap()
              .group(group, group)
              .channelFactory(Transports.serverChannel(new InetSocketAddress("127.0.0.1", 0)))
              .childHandler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                      // Left open: closing here raced the client's own read of its option
                      // (ClosedChannelException once the FIN had closed the client's channel).
                      accepted.complete(
                          ctx.channel().config().getOption(ChannelOption.TCP_NODELAY));
                    }
                  })
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      try {
        Channel client =
            new Bootstrap()
                .group(group)
                .channel(Transports.socketChannel())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.localAddress())
                .sync()
                .channel();
        assertThat(client.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
        assertThat(accepted.get(10, TimeUnit.SECONDS)).isTrue();
        client.close().sync();
      } finally {
        server.close().sync();
      }
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }
  }

  /**
   * A server, a -L or -D port restarted while connections it closed first are in TIME_WAIT on its
   * port (for 60 s on Linux) must bind again at once, or `systemctl restart` after a busy minute
   * fails with "address already in use". Netty's native sockets set SO_REUSEADDR by themselves (as
   * the JDK's server sockets do), so ett's listeners set no option; this fails if that changes
   * (checked: with SO_REUSEADDR turned off, the second bind fails).
   */
  @Test
  void aListenerBindsAgainOnItsPortWhileConnectionsItClosedAreInTimeWait() throws Exception {
    EventLoopGroup group = Transports.group(1, "transports-test");
    try {
      InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
      Channel first = listenerThatClosesEachConnection(group, any);
      InetSocketAddress bound = (InetSocketAddress) first.localAddress();
      for (int i = 0; i < 3; i++) {
        try (Socket s = new Socket(bound.getAddress(), bound.getPort());
            InputStream in = s.getInputStream()) {
          s.setSoTimeout(10_000);
          assertThat(in.read()).isEqualTo(-1); // the listener's side closed first: TIME_WAIT there
        }
      }
      first.close().sync();
      Channel second = listenerThatClosesEachConnection(group, bound);
      assertThat(second.localAddress()).isEqualTo(bound);
      second.close().sync();
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }
  }

  private static Channel listenerThatClosesEachConnection(
      EventLoopGroup group, InetSocketAddress bind) throws InterruptedException {
    return new ServerBootstrap()
        .group(group, group)
        .channelFactory(Transports.serverChannel(bind))
        .childHandler(
            new io.netty.channel.ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.eventLoop().execute(ch::close);
              }
            })
        .bind(bind)
        .sync()
        .channel();
  }
}
