package dev.ett.util;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;

/** Native epoll where the platform has it, NIO otherwise. */
public final class Transports {
  private Transports() {}

  public static boolean nativeEpoll() {
    return Epoll.isAvailable() && !Boolean.getBoolean("ett.nio");
  }

  public static EventLoopGroup group(int threads, String name) {
    IoHandlerFactory f = nativeEpoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), f);
  }

  public static Class<? extends SocketChannel> socketChannel() {
    return nativeEpoll() ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  public static Class<? extends DatagramChannel> datagramChannel() {
    return nativeEpoll() ? EpollDatagramChannel.class : NioDatagramChannel.class;
  }

  /**
   * A listening channel of the default kind: an IPv6 socket where the host has IPv6, which then
   * takes IPv4 connections as well whatever it is bound to. For addresses the user gave, use {@link
   * #serverChannel(InetSocketAddress)}.
   */
  public static Class<? extends ServerSocketChannel> serverChannel() {
    return nativeEpoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /**
   * A listening channel that takes connections on exactly {@code bind}, as ssh binds -L: a socket
   * of the address's own family, so {@code 0.0.0.0} is IPv4 only and {@code [::]} IPv6 only
   * (IPV6_V6ONLY set, as ssh does for every IPv6 listener). Without this, Netty's sockets are IPv6
   * sockets that Linux makes dual-stack by default: {@code -L 0.0.0.0:P} took connections to {@code
   * [::1]:P} too. {@link #everyAddress(int)} is the one exception: one IPv6 socket with IPV6_V6ONLY
   * off, every address of both families (ssh's {@code -L *:P}).
   *
   * <p>The NIO fallback ({@code -Dett.nio=true}) cannot set IPV6_V6ONLY (the JDK has no such
   * option): there {@code [::]} takes IPv4 too; {@code 0.0.0.0} is still IPv4 only.
   */
  public static ChannelFactory<ServerSocketChannel> serverChannel(InetSocketAddress bind) {
    boolean v6 = bind.getAddress() instanceof Inet6Address;
    SocketProtocolFamily family = v6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    boolean v6only = v6 && !isEveryAddress(bind);
    return () -> {
      if (!nativeEpoll()) {
        return new NioServerSocketChannel(SelectorProvider.provider(), family);
      }
      EpollServerSocketChannel ch = new EpollServerSocketChannel(family);
      if (v6) {
        ch.config().setOption(IPV6_V6ONLY, v6only ? 1 : 0);
      }
      return ch;
    };
  }

  /**
   * IPV6_V6ONLY (level IPPROTO_IPV6 = 41, option 26 in Linux's in6.h), which Netty does not name.
   */
  private static final IntegerUnixChannelOption IPV6_V6ONLY =
      new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

  /** The host name that marks {@link #everyAddress(int)}'s address. */
  private static final String EVERY = "*";

  /**
   * Every local address of both families on {@code port} ({@code *} in -L, -D and --listen): the
   * IPv6 wildcard with IPV6_V6ONLY off, which takes IPv4 connections as well; the IPv4 wildcard on
   * a host without IPv6. The address prints as {@code *:PORT}.
   */
  public static InetSocketAddress everyAddress(int port) {
    try {
      byte[] any = new byte[ipv6() ? 16 : 4];
      return new InetSocketAddress(InetAddress.getByAddress(EVERY, any), port);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // only for a wrong length, and both are right
    }
  }

  /** Whether {@code a} came from {@link #everyAddress(int)}. */
  public static boolean isEveryAddress(InetSocketAddress a) {
    return a.getAddress() != null
        && a.getAddress().isAnyLocalAddress()
        && EVERY.equals(a.getHostString());
  }

  private static volatile Boolean ipv6;

  /** Whether an IPv6 socket can be opened here (not so with -Djava.net.preferIPv4Stack=true). */
  private static boolean ipv6() {
    Boolean v = ipv6;
    if (v == null) {
      try (var ch =
          java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.INET6)) {
        v = true;
      } catch (java.io.IOException | UnsupportedOperationException e) {
        v = false;
      }
      ipv6 = v;
    }
    return v;
  }

  /**
   * The one line an operator gets when a listening socket cannot be bound: which address, for which
   * option, and why in plain words, e.g. {@code "cannot listen on 127.0.0.1:9000 (-L
   * 127.0.0.1:9000:host:80): address already in use"}. Netty's own text ({@code "bind(..) failed
   * with error(-98): Address already in use"}) names neither.
   */
  public static String listenFailure(InetSocketAddress bind, String origin, Throwable cause) {
    return "cannot listen on " + text(bind) + " (" + origin + "): " + reason(cause);
  }

  /** HOST:PORT, IPv6 in brackets, {@code *:PORT} for {@link #everyAddress(int)}. */
  public static String text(InetSocketAddress a) {
    if (isEveryAddress(a)) {
      return EVERY + ":" + a.getPort();
    }
    String host =
        a.getAddress() != null ? NetUtil.toAddressString(a.getAddress()) : a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  private static String reason(Throwable cause) {
    String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    // Netty's native errors: "bind(..) failed with error(-98): Address already in use"
    int colon = m.lastIndexOf("): ");
    if (m.startsWith("bind(") && colon >= 0) {
      m = m.substring(colon + 3);
    }
    if (m.equals("Cannot assign requested address")) {
      m = "no such address on this host";
    }
    return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }
}
