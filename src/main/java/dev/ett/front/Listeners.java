package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.util.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import java.net.SocketAddress;

/** The listening socket every front uses: accepted sockets live on the client's event loop. */
final class Listeners {
  private Listeners() {}

  /**
   * Binds {@code bind}; each accepted socket gets {@code acceptor}, with AUTO_READ off (the front
   * and then the mux decide when to read) and half-close allowed (a FIN is relayed, not a close).
   */
  static Channel bind(Client client, SocketAddress bind, ChannelHandler acceptor) throws InterruptedException {
    return new ServerBootstrap()
        .group(client.eventLoop(), client.eventLoop())
        .channel(Transports.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(acceptor)
        .bind(bind)
        .sync()
        .channel();
  }
}
