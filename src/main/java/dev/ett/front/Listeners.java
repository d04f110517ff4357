package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.util.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import java.net.SocketAddress;

/** The listening socket every front uses: accepted sockets live on the client's event loop. */
public final class Listeners {
  private Listeners() {}

  /**
   * Binds {@code bind}; each accepted socket gets {@code acceptor}, with AUTO_READ off (the front
   * and then the mux decide when to read) and half-close allowed (a FIN is relayed, not a close).
   */
  public static Channel bind(Client client, SocketAddress bind, ChannelHandler acceptor) throws InterruptedException {
    return bind(client, bind, acceptor, 1024);
  }

  /** As {@link #bind(Client, SocketAddress, ChannelHandler)}, with an accept backlog of {@code backlog}. */
  public static Channel bind(Client client, SocketAddress bind, ChannelHandler acceptor, int backlog)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(client.eventLoop(), client.eventLoop())
        .channel(Transports.serverChannel())
        .option(ChannelOption.SO_BACKLOG, backlog)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(acceptor)
        .bind(bind)
        .sync()
        .channel();
  }
}
