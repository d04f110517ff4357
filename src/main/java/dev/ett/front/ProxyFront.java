package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.mux.StreamListener;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A {@code -D} proxy port: each accepted connection says, in its first bytes, whether it speaks
 * SOCKS4/4a, SOCKS5 or HTTP ({@link ProtocolDetector}); its request names the destination, which
 * travels to the server as the application wrote it (names are resolved by the server only).
 *
 * <p>Admission control: at most {@link Limits#maxConnections} connections at once, and a request
 * must be complete within {@link Limits#requestTimeout} of the accept (slow clients are closed); a
 * connection that has sent nothing is closed after {@link #SILENT_TIMEOUT}.
 *
 * <p>At the cap, a new connection is not refused while some connection is still reading its
 * request: the oldest of those (one that has sent nothing first) is closed to make room. Every
 * application comes from 127.0.0.1 here, so a share per source address cannot tell an attacker from
 * a browser; but an idle socket is cheap, and a real application's request completes within
 * milliseconds of its connect, so to push it out an attacker would have to open the whole cap's
 * worth of connections within those milliseconds (issue 12, item 3: 4,096 idle sockets, reopened as
 * the deadline closed them, kept every application out). Connections that carry a stream are never
 * closed to make room; when all of them do, a new one is closed at accept.
 */
public final class ProxyFront implements AutoCloseable {
  /** Per-front caps. */
  public record Limits(int maxConnections, Duration requestTimeout) {
    public static final int DEFAULT_MAX_CONNECTIONS = 4096;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    public Limits {
      if (maxConnections < 1) {
        throw new IllegalArgumentException(
            "maxConnections: " + maxConnections + " (expected: >= 1)");
      }
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException(
            "requestTimeout: " + requestTimeout + " (expected: > 0)");
      }
    }

    public static Limits defaults() {
      return new Limits(DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT);
    }
  }

  /**
   * How a front hands a socket over: {@link Client#open}; on a server's {@code -R} proxy listener,
   * a reverse stream toward the client (tests pass a recorder).
   */
  public interface StreamOpener {
    void open(Destination destination, Channel socket, StreamListener listener, boolean zeroRtt);
  }

  /**
   * A connection that has not sent its first byte by then is closed (our choice; see the class
   * comment).
   */
  static final Duration SILENT_TIMEOUT = Duration.ofSeconds(3);

  private final ProxySpec spec;
  private final Client client;
  private final String name; // "-D 127.0.0.1:1080": how logs name this front
  final StreamOpener opener;

  /** Null: no authentication. */
  final Authenticator authenticator;

  final Limits limits;
  private int connections; // only touched on the client's loop

  /**
   * Connections still reading their request, oldest first: those that sent nothing, and the others.
   */
  private final Set<ProxyConnection> silent = new LinkedHashSet<>(),
      talking = new LinkedHashSet<>();

  private long evicted;
  private Channel listener;

  /** Failed logins on this port, logged at most once a minute with counts; guarded by itself. */
  private final FailedLogins failedLogins;

  /** When the next summary of failed logins is due; guarded by {@link #failedLogins}. */
  private ScheduledFuture<?> summaryTimer;

  public ProxyFront(ProxySpec spec, Client client, Authenticator authenticator, Limits limits) {
    this(spec, client, client::open, authenticator, limits);
  }

  ProxyFront(
      ProxySpec spec,
      Client client,
      StreamOpener opener,
      Authenticator authenticator,
      Limits limits) {
    this.spec = spec;
    this.client = client;
    this.opener = opener;
    this.authenticator = authenticator;
    this.limits = limits;
    this.name = "-D " + spec;
    this.failedLogins = new FailedLogins(describe());
  }

  private ProxyFront(String name, StreamOpener opener, Limits limits) {
    this.spec = null;
    this.client = null;
    this.name = name;
    this.opener = opener;
    this.authenticator = null;
    this.limits = limits;
    this.failedLogins = new FailedLogins(name);
  }

  /**
   * The proxy a server serves on a {@code -R [BIND:]PORT} listener for one link (PROTOCOL.md
   * §10.2): the same SOCKS4/4a/5 and HTTP sessions, but accepted sockets come from {@link #serve}
   * (the server registers them on the link's loop itself) and each request goes to {@code opener}.
   * No users: who may connect to that port is the server's listen rules' business. Every method on
   * the link's loop.
   */
  public static ProxyFront forReverse(String name, StreamOpener opener, Limits limits) {
    return new ProxyFront(name, opener, limits);
  }

  /**
   * Serves one accepted connection, registered on this front's loop with AUTO_READ off: the same
   * admission as {@code -D}'s acceptor, then its first bytes decide the protocol.
   */
  public void serve(Channel socket) {
    if (connections >= limits.maxConnections() && !closeOldestUnfinished()) {
      Log.debug(name + ": " + connections + " connections open, all carrying streams; closing one");
      socket.close();
      return;
    }
    connections++;
    socket.closeFuture().addListener(f -> connections--);
    accepted(socket);
    socket.read();
  }

  public InetSocketAddress start() throws InterruptedException, java.net.BindException {
    listener = Listeners.bind(client, spec.bindAddress(), "-D " + spec, new Acceptor());
    InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
    Log.info(
        "SOCKS4/4a/5 and HTTP proxy on "
            + bound
            + " (names resolved by the server)"
            + (authenticator != null ? ", users required" : ""));
    if (authenticator == null && !spec.loopbackOnly()) {
      Log.warn(
          "-D "
              + spec
              + " listens beyond loopback without --users: anyone who reaches "
              + bound
              + " can use the tunnel");
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
      if (connections >= limits.maxConnections() && !closeOldestUnfinished()) {
        Log.debug(
            "-D "
                + spec
                + ": "
                + connections
                + " connections open, all carrying streams; closing a new one");
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

  /**
   * Closes the oldest connection still reading its request, preferring one that has sent nothing;
   * false if there is none. Its close completes on this loop before the new one is counted.
   */
  private boolean closeOldestUnfinished() {
    Set<ProxyConnection> from = !silent.isEmpty() ? silent : talking;
    if (from.isEmpty()) {
      return false;
    }
    ProxyConnection oldest = from.iterator().next();
    from.remove(oldest);
    if (evicted++ % 1000 == 0) {
      Log.info(
          describe()
              + ": "
              + connections
              + " connections open (--proxy-max-connections): closing the oldest"
              + " that has not finished its request to make room ("
              + evicted
              + " so far)");
    }
    oldest.socket.close();
    return true;
  }

  /** Called by a new connection, and as it sends its first bytes, hands off or closes. */
  void onNegotiating(ProxyConnection c, boolean spoke) {
    if (spoke) {
      silent.remove(c);
      talking.add(c);
    } else {
      silent.add(c);
    }
  }

  void onNegotiated(ProxyConnection c) {
    silent.remove(c);
    talking.remove(c);
  }

  /** Starts serving a connection: its first bytes decide the protocol. */
  void accepted(Channel socket) {
    ProxyConnection conn = new ProxyConnection(this, socket);
    socket.pipeline().addFirst(ProtocolDetector.NAME, new ProtocolDetector(conn));
  }

  /** Logs a failed login from {@code socket}'s peer, or counts it for the next summary. */
  void loginFailed(Channel socket) {
    String source =
        socket.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
            ? a.getAddress().getHostAddress()
            : String.valueOf(socket.remoteAddress());
    synchronized (failedLogins) {
      String line = failedLogins.onFailure(source);
      if (line != null) {
        Log.info(line);
        scheduleSummary(socket.eventLoop());
      }
    }
  }

  /** Guarded by {@link #failedLogins}. */
  private void scheduleSummary(EventLoop loop) {
    if (summaryTimer != null) {
      summaryTimer.cancel(false);
    }
    summaryTimer =
        loop.schedule(
            () -> {
              synchronized (failedLogins) {
                if (summarizeFailedLogins()) {
                  scheduleSummary(loop);
                }
              }
            },
            FailedLogins.WINDOW_SECONDS,
            TimeUnit.SECONDS);
  }

  /**
   * Logs the failed logins counted since the last line, if any, and says whether there were: the
   * minute's timer calls it (tests, too).
   */
  boolean summarizeFailedLogins() {
    synchronized (failedLogins) {
      String summary = failedLogins.endOfWindow();
      if (summary != null) {
        Log.info(summary);
      }
      return summary != null;
    }
  }

  String describe() {
    return name;
  }

  @Override
  public void close() {
    synchronized (failedLogins) {
      if (summaryTimer != null) {
        summaryTimer.cancel(false);
      }
    }
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }
}
