package dev.ett.util;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the fronts' accepted sockets and the exit's outgoing ones rely on Netty
 * turning TCP_NODELAY on by itself (front/Listeners, exit/Connector set no option, which saved a
 * setsockopt per stream). Should a Netty upgrade stop doing so, small writes would wait for Nagle's
 * algorithm: this fails first.
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
}
