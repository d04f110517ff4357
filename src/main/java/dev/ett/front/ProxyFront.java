package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.mux.StreamListener;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A {@code -D} proxy port: each accepted connection says, in its first bytes, whether it speaks
 * SOCKS4/4a, SOCKS5 or HTTP ({@link ProtocolDetector}); its request names the destination, which
 * travels to the server as the application wrote it (names are resolved by the server only).
 *
 * <p>Admission control: at most {@link Limits#maxConnections} connections at once (more are closed
 * on accept), and a request must be complete within {@link Limits#requestTimeout} of the accept
 * (slow or silent clients are closed).
 */
public final class ProxyFront implements AutoCloseable {
  /** Per-front caps. */
  public record Limits(int maxConnections, Duration requestTimeout) {
    public static final int DEFAULT_MAX_CONNECTIONS = 4096;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    public Limits {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
      }
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
      }
    }

    public static Limits defaults() {
      return new Limits(DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT);
    }
  }

  /** How a front hands a socket over: {@link Client#open} (tests pass a recorder). */
  interface StreamOpener {
    void open(Destination destination, Channel socket, StreamListener listener, boolean zeroRtt);
  }

  private final ProxySpec spec;
  private final Client client;
  final StreamOpener opener;
  /** Null: no authentication. */
  final Authenticator authenticator;
  final Limits limits;
  private int connections; // only touched on the client's loop
  private Channel listener;

  public ProxyFront(ProxySpec spec, Client client, Authenticator authenticator, Limits limits) {
    this(spec, client, client::open, authenticator, limits);
  }

  ProxyFront(ProxySpec spec, Client client, StreamOpener opener, Authenticator authenticator, Limits limits) {
    this.spec = spec;
    this.client = client;
    this.opener = opener;
    this.authenticator = authenticator;
    this.limits = limits;
  }

  public InetSocketAddress start() throws InterruptedException, java.net.BindException {
    listener = Listeners.bind(client, spec.bindAddress(), "-D " + spec, new Acceptor());
    InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
    Log.info("SOCKS4/4a/5 and HTTP proxy on " + bound + " (names resolved by the server)"
        + (authenticator != null ? ", users required" : ""));
    if (authenticator == null && !spec.loopbackOnly()) {
      Log.warn("-D " + spec + " listens beyond loopback without --users: anyone who reaches "
          + bound + " can use the tunnel");
    }
    return bound;
  }

  /** Connections open now (for tests). Call on the client's loop. */
  int connections() {
    return connections;
  }

  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (connections >= limits.maxConnections()) {
        Log.debug("-D " + spec + ": " + connections + " connections open, closing a new one");
        ctx.pipeline().remove(this);
        ctx.close();
        return;
      }
      connections++;
      ctx.channel().closeFuture().addListener(f -> connections--);
      accepted(ctx.channel());
      ctx.pipeline().remove(this);
      ctx.read();
    }
  }

  /** Starts serving a connection: its first bytes decide the protocol. */
  void accepted(Channel socket) {
    ProxyConnection conn = new ProxyConnection(this, socket);
    socket.pipeline().addFirst(ProtocolDetector.NAME, new ProtocolDetector(conn));
  }

  String describe() {
    return "-D " + spec;
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }
}
