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
 *
 * <p>Threading: with {@code --links N}, each accepted socket is registered at once on the loop of
 * the link that will carry its stream (the least busy one up: {@link Client#streamLoops}), and its
 * request is read there, so a port's connections live on N loops. What they share is locked: the
 * cap and its lists ({@link Admission}, one lock: the admission decision stays one decision however
 * many loops ask), the failed-login log (synchronized on it) and the login lanes ({@link
 * Authenticator}'s lock; each answer runs on its connection's loop). Everything else belongs to one
 * connection and lives on its loop.
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

  /**
   * The cap and the lists of connections still reading their request, shared by the loops the
   * port's sockets live on (one per link with {@code --links}; see {@link Admission}).
   */
  private final Admission<Channel> admission;

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
    this.admission = new Admission<>(limits.maxConnections());
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
    this.admission = new Admission<>(limits.maxConnections());
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
    if (!accepted(socket)) {
      Log.debug(name + ": " + limits.maxConnections() + " connections open, all carrying streams");
      socket.close();
      return;
    }
    socket.read();
  }

  public InetSocketAddress start() throws InterruptedException, java.net.BindException {
    // Each connection becomes one stream: with --links, its socket goes at accept to the loop of
    // the least busy link that is up (Client.streamLoops), where its request is read and its stream
    // then runs; the port's shared state (cap, lists, failed logins, login lanes) is locked.
    listener =
        Listeners.bind(
            client, client.streamLoops(), spec.bindAddress(), "-D " + spec, new Acceptor());
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

  /** Connections open now (for tests). Any thread. */
  int connections() {
    return admission.connections();
  }

  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    /** Runs on the loop the socket was registered on: any of the links' loops. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.pipeline().remove(this);
      if (!accepted(ctx.channel())) {
        Log.debug(
            "-D "
                + spec
                + ": "
                + limits.maxConnections()
                + " connections open, all carrying streams; closing a new one");
        ctx.close();
        return;
      }
      ctx.read();
    }
  }

  /**
   * Closes a connection that was still reading its request, whose slot went to a new one (its close
   * runs on its own loop, maybe another one).
   */
  private void madeRoom(Channel oldest, long n) {
    if (n % 1000 == 1) {
      Log.info(
          describe()
              + ": "
              + limits.maxConnections()
              + " connections open (--proxy-max-connections): closing the oldest"
              + " that has not finished its request to make room ("
              + n
              + " so far)");
    }
    oldest.close();
  }

  /** A connection sent its first bytes. */
  void onSpoke(ProxyConnection c) {
    admission.spoke(c.socket);
  }

  /**
   * A connection's request is complete: false if it was closed to make room meanwhile (then it must
   * not be handed off).
   */
  boolean onNegotiated(ProxyConnection c) {
    return admission.handOff(c.socket);
  }

  /**
   * A new connection, on its loop: admitted within the cap (maybe closing another to make room),
   * then served, its first bytes deciding the protocol; false if refused (the caller closes it).
   */
  boolean accepted(Channel socket) {
    Admission.Verdict<Channel> verdict = admission.admit(socket);
    if (!verdict.admitted()) {
      return false;
    }
    socket.closeFuture().addListener(f -> admission.closed(socket));
    if (verdict.evicted() != null) {
      madeRoom(verdict.evicted(), verdict.evictions());
    }
    ProxyConnection conn = new ProxyConnection(this, socket);
    socket.pipeline().addFirst(ProtocolDetector.NAME, new ProtocolDetector(conn));
    return true;
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
