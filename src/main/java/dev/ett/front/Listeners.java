package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.util.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * The listening socket every front uses: it accepts on the client's event loop, and registers the
 * accepted sockets there or on the loops a front asks for ({@link Client#streamLoops()}).
 */
public final class Listeners {
  private Listeners() {}

  /**
   * Binds {@code bind}; each accepted socket gets {@code acceptor}, with AUTO_READ off (the front
   * and then the mux decide when to read) and half-close allowed (a FIN is relayed, not a close).
   * The socket takes connections on exactly {@code bind} ({@link Transports#serverChannel(
   * InetSocketAddress)}: 0.0.0.0 is IPv4 only).
   */
  public static Channel bind(Client client, InetSocketAddress bind, ChannelHandler acceptor)
      throws InterruptedException {
    return bind(client, bind, acceptor, 1024);
  }

  /**
   * As {@link #bind(Client, InetSocketAddress, ChannelHandler)}, with an accept backlog of {@code
   * backlog}.
   */
  public static Channel bind(
      Client client, InetSocketAddress bind, ChannelHandler acceptor, int backlog)
      throws InterruptedException {
    return bind(client, client.eventLoop(), bind, acceptor, backlog);
  }

  /**
   * As {@link #bind(Client, InetSocketAddress, ChannelHandler, int)}, the accepted sockets
   * registered on {@code children} ({@link Client#streamLoops()} spreads them over {@code
   * --links}).
   */
  public static Channel bind(
      Client client,
      io.netty.channel.EventLoopGroup children,
      InetSocketAddress bind,
      ChannelHandler acceptor,
      int backlog)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(client.eventLoop(), children)
        .channelFactory(Transports.serverChannel(bind))
        .option(ChannelOption.SO_BACKLOG, backlog)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        // No TCP_NODELAY option: Netty's socket config turns it on for every TCP socket it makes
        // (TransportsTest checks), and setting it again cost a setsockopt per connection.
        .childHandler(acceptor)
        .bind(bind)
        .sync()
        .channel();
  }

  /**
   * As {@link #bind(Client, InetSocketAddress, ChannelHandler)} for an address the user gave with
   * {@code origin} (e.g. {@code "-L 127.0.0.1:9000:host:80"}), which a failure names.
   *
   * @throws BindException "cannot listen on ADDRESS (ORIGIN): REASON"
   */
  public static Channel bind(
      Client client, InetSocketAddress bind, String origin, ChannelHandler acceptor)
      throws InterruptedException, BindException {
    return bind(client, client.eventLoop(), bind, origin, acceptor);
  }

  /**
   * As above, the accepted sockets registered on {@code children} ({@link Client#streamLoops()}).
   */
  public static Channel bind(
      Client client,
      io.netty.channel.EventLoopGroup children,
      InetSocketAddress bind,
      String origin,
      ChannelHandler acceptor)
      throws InterruptedException, BindException {
    try {
      return bind(client, children, bind, acceptor, 1024);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // Netty rethrows the socket's IOException undeclared
      BindException b = new BindException(Transports.listenFailure(bind, origin, e));
      b.initCause(e);
      throw b;
    }
  }
}
