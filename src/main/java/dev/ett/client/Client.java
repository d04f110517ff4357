package dev.ett.client;

import dev.ett.link.ClientHandshake;
import dev.ett.link.HandshakeFailedException;
import dev.ett.link.LinkConfig;
import dev.ett.link.Records;
import dev.ett.link.Suite;
import dev.ett.mux.Mux;
import dev.ett.mux.StreamListener;
import dev.ett.noise.KeyPair;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An ett client: keeps one link to the server up (reconnecting with backoff when it dies) and opens
 * streams on it for its fronts. Everything — link, fronts' sockets, this object's state — runs on
 * one event loop, so nothing here is shared between threads.
 */
public final class Client implements AutoCloseable {
  private static final long MIN_BACKOFF_MS = 250, MAX_BACKOFF_MS = 30_000;

  /**
   * A stream asked for while the client backs off pulls the next attempt forward, to at most this
   * long after the previous one began: an application does not wait out a 30 s backoff once the
   * server is back, and a busy application cannot make the client try more than once a second.
   */
  private static final long DEMAND_GAP_MS = 1_000;

  /** Everything a client needs to reach its server. */
  public record Options(
      InetSocketAddress server,
      byte[] serverKey,
      KeyPair key,
      Suite suite,
      LinkConfig link,
      int maxQueuedOpens) {}

  private enum State {
    IDLE,
    CONNECTING,
    UP,
    CLOSED
  }

  /**
   * What a client tells its owner about its link (a chained route uses it to name hops in messages
   * and to reconnect the next layer at once). Called on the client's event loop.
   */
  public interface LinkListener {
    /** A link finished its handshake. */
    default void onLinkUp() {}

    /**
     * An attempt to set up a link failed; returns the text to log, keep as {@link #lastFailure()}
     * and give to the streams waiting for the link (by default {@code why} itself).
     */
    default String onLinkFailed(String why) {
      return why;
    }

    LinkListener NONE = new LinkListener() {};
  }

  private record PendingOpen(
      Destination destination, Channel socket, StreamListener listener, boolean zeroRtt) {}

  private final Options options;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final boolean ownsGroup;
  private final ArrayDeque<PendingOpen> queued = new ArrayDeque<>();
  private final CompletableFuture<Void> firstLink = new CompletableFuture<>();
  private final CompletableFuture<Boolean> firstAttempt = new CompletableFuture<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private State state = State.IDLE;
  private Mux mux;
  private long backoffMs = MIN_BACKOFF_MS;
  private int linksEstablished;
  private volatile String lastFailure = "";

  /** Why the link being set up failed, as its pipeline said; becomes lastFailure in linkFailed. */
  private String handshakeFailure = "";

  private LinkListener linkListener = LinkListener.NONE;

  /** Told of each link's mux once it is up, before queued streams go out (-R: ReverseForwards). */
  private java.util.function.Consumer<Mux> muxUpHook = m -> {};

  private String peerName;
  private Channel linkChannel; // the link being set up or up, for linkLocalAddress()
  private ScheduledFuture<?> retry;

  /** Links up now: the current one, and one draining after a GOAWAY. For {@link #activity}. */
  private final java.util.List<Mux> upMuxes = new java.util.ArrayList<>();

  /** What the links that ended carried (Mux.ended of each). */
  private Mux.Counts endedCounts = Mux.NO_COUNTS;

  private long failedAttempts;

  /** Set on the event loop; read by /healthz's thread. */
  private volatile boolean linkUp;

  private long lastAttemptNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(DEMAND_GAP_MS);

  /**
   * Which server and key the next attempt uses (several {@code --server}s, two pinned keys); by
   * default the one server of the options.
   */
  private ServerList.Cursor servers;

  /** The server of the link being set up or up. */
  private ServerList.Target target;

  /** {@code --failback}: how often to look for the preferred server while on another; 0: never. */
  private long failbackMs;

  private ScheduledFuture<?> failbackProbe;

  /**
   * A fail-back attempt is being set up while the current link keeps serving: if it fails, the
   * current link stays; if it comes up, new streams go to it and the old link drains.
   */
  private int[] failingBackFrom;

  /** The links of {@code --links N}, when this client is one of them; null otherwise. */
  private Links links;

  /** Sockets handed to this link and still open (with {@link #links} only): what Links balances. */
  private final java.util.concurrent.atomic.AtomicInteger load =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Streams' sockets open on this link, for {@link Links}' choice. Any thread. */
  int streamLoad() {
    return load.get();
  }

  /** Whether a link is up for new streams. Any thread. */
  boolean isUp() {
    return linkUp;
  }

  public Client(Options options) {
    this(options, Transports.group(1, "ett-client"), true);
  }

  public Client(Options options, EventLoopGroup group, boolean ownsGroup) {
    this.options = options;
    this.group = group;
    this.loop = group.next();
    this.ownsGroup = ownsGroup;
    this.servers =
        ServerList.of(options.server(), serverName(options.server()), options.serverKey())
            .cursor(0, ThreadLocalRandom.current());
    this.target = servers.current();
  }

  /**
   * Replaces the one server of the options with a list ({@code --server} repeatable, two keys per
   * server), tried from this link's preferred one ({@link ServerList#cursor}). With {@code
   * failback} positive, while linked to another server than the preferred one, the client looks for
   * the preferred one that often and moves new streams back once it answers (the old link drains:
   * its streams are never broken). Call before {@link #start}.
   */
  public void setServers(ServerList list, int link, java.time.Duration failback) {
    this.servers = list.cursor(link, new java.util.Random());
    this.target = servers.current();
    this.failbackMs = failback.toMillis();
  }

  /** Makes this client one of the links of {@code links}. Call before {@link #start}. */
  void joinLinks(Links links) {
    this.links = links;
  }

  /**
   * The event loops the sockets of new streams may be registered on: with {@code --links N}, the
   * loop of the link with the fewest streams among those up ({@link Links}); otherwise {@link
   * #eventLoop()}. A front registering on them shares its per-port state between these loops
   * (front.ProxyFront locks its cap and lists); {@code ett connect}'s one socket stays on {@link
   * #eventLoop()}.
   */
  public EventLoopGroup streamLoops() {
    return links == null ? loop : links.streamLoops();
  }

  private static String serverName(InetSocketAddress a) {
    String host = a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** The event loop every socket handed to {@link #open} must be registered on. */
  public EventLoop eventLoop() {
    return loop;
  }

  /**
   * Starts connecting (once; later calls only return the future); the future completes when the
   * first link is up, or fails on close.
   */
  public CompletableFuture<Void> start() {
    if (started.compareAndSet(false, true)) {
      loop.execute(this::connect);
    }
    return firstLink;
  }

  /**
   * Completes when the first attempt to set up a link ends: true if the link came up, false if the
   * attempt failed (the client keeps retrying); failed on close. A service manager is told the
   * client is ready then (cli.ClientCommand), rather than only once a link is up.
   */
  public CompletableFuture<Boolean> firstAttempt() {
    return firstAttempt;
  }

  /**
   * How log lines name the server (default: its socket address). A chained route's inner layers
   * connect to a local forward, so they are named after the hop instead. Call before {@link
   * #start}.
   */
  public void setPeerName(String name) {
    this.peerName = name;
  }

  /** See {@link #muxUpHook}; call before {@link #start}. */
  public void setMuxUpHook(java.util.function.Consumer<Mux> hook) {
    this.muxUpHook = hook;
  }

  /** Replaces the listener (default: none). Call before {@link #start}. */
  public void setLinkListener(LinkListener listener) {
    this.linkListener = listener;
  }

  /**
   * The local address of the link's socket (being connected, or up), or null when there is none.
   * The socket's address is known once the connect has been issued. Call on {@link #eventLoop()}.
   */
  public InetSocketAddress linkLocalAddress() {
    Channel ch = linkChannel;
    return ch == null || !ch.isOpen() ? null : (InetSocketAddress) ch.localAddress();
  }

  /**
   * If the client is waiting to reconnect, reconnects now and starts its backoff over (a chained
   * route calls it when the layer beneath came back, so the layer above does not sit out a long
   * backoff). Does nothing while a link is up or being set up.
   */
  public void reconnectNow() {
    loop.execute(
        () -> {
          if (state != State.IDLE || !started.get()) {
            return;
          }
          cancelRetry();
          backoffMs = MIN_BACKOFF_MS;
          connect();
        });
  }

  /**
   * {@code example.net:7000}, {@code 192.0.2.1:7000}, {@code [2001:db8::1]:7000}: as the user wrote
   * it.
   */
  private String peer() {
    if (peerName != null) {
      return peerName;
    }
    return target.toString();
  }

  /** How many links have come up so far (1 + reconnects). */
  public int linksEstablished() {
    return linksEstablished;
  }

  /**
   * What the client's links carried (live and ended) and how its attempts went, for the metrics.
   *
   * @param up whether a link is up for new streams now
   * @param links links up now (a draining one after a GOAWAY included)
   * @param linksEstablished links that came up since start (the handshakes that succeeded)
   * @param failedAttempts attempts to set up a link that failed (connect or handshake)
   */
  public record Activity(
      boolean up, int links, Mux.Counts counts, long linksEstablished, long failedAttempts) {}

  /**
   * Reads the counts on the client's event loop (where they are kept); if the loop does not answer
   * within {@code wait}, the previous answer (counters never go back).
   */
  public Activity activity(java.time.Duration wait) {
    CompletableFuture<Activity> f = new CompletableFuture<>();
    try {
      loop.execute(
          () -> {
            Mux.Counts c = endedCounts;
            for (Mux m : upMuxes) {
              c = Mux.sum(c, m.counts());
            }
            f.complete(new Activity(linkUp, upMuxes.size(), c, linksEstablished, failedAttempts));
          });
      Activity a = f.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      lastActivity = a;
      return a;
    } catch (java.util.concurrent.RejectedExecutionException
        | java.util.concurrent.TimeoutException
        | java.util.concurrent.ExecutionException e) {
      return lastActivity;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return lastActivity;
    }
  }

  private volatile Activity lastActivity = new Activity(false, 0, Mux.NO_COUNTS, 0, 0);

  /** Whether a link is up for new streams; with the reason it is not. For /healthz. */
  public dev.ett.util.Health health() {
    if (linkUp) {
      return new dev.ett.util.Health(true, "link up to " + peer());
    }
    String why = lastFailure;
    return new dev.ett.util.Health(false, "link down" + (why.isEmpty() ? "" : ": " + why));
  }

  /** Why the last attempt failed, for messages. */
  public String lastFailure() {
    return lastFailure;
  }

  private void connect() {
    if (state != State.IDLE) {
      return; // closed, or a link is being set up or up (a stale retry)
    }
    retry = null;
    state = State.CONNECTING;
    dial();
  }

  /** Starts an attempt to {@link #servers}' current server and key. */
  private void dial() {
    target = servers.current();
    InetSocketAddress address = target.server().address();
    byte[] serverKey = target.key();
    lastAttemptNanos = System.nanoTime();
    LinkConfig cfg = options.link();
    Mux newMux = new Mux(cfg, null, this::onLinkUp);
    ChannelFuture f =
        new Bootstrap()
            .group(loop)
            .channel(Transports.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) cfg.handshakeTimeout().toMillis())
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024))
            .option(ChannelOption.RCVBUF_ALLOCATOR, Records.READS)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            "idle",
                            new IdleStateHandler(
                                cfg.keepalive().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                        .addLast("framing", Records.decoder())
                        .addLast(
                            "handshake",
                            new ClientHandshake(options.suite(), options.key(), serverKey, cfg))
                        .addLast("mux", newMux)
                        .addLast("errors", new LinkEnd(newMux));
                  }
                })
            .connect(address);
    linkChannel = f.channel();
    f.addListener(
        (ChannelFuture cf) -> {
          if (!cf.isSuccess()) {
            linkFailed(
                cf.cause() instanceof java.net.UnknownHostException
                    ? "cannot resolve " + address.getHostString()
                    : "cannot connect to " + peer() + ": " + describe(cf.cause()),
                false);
            return;
          }
        });
  }

  private void onLinkUp(Mux m) {
    if (state == State.CLOSED) {
      m.channel().close();
      return;
    }
    Mux old = mux;
    mux = m;
    state = State.UP;
    linkUp = true;
    upMuxes.add(m);
    servers.succeeded();
    if (failingBackFrom != null) {
      failingBackFrom = null;
      if (old != null && old != m) {
        // Streams on the old link go on to their end; it closes once it has none (Mux.goAway).
        old.goAway(GoawayCode.NORMAL, "client moved to its preferred server");
      }
    }
    scheduleFailback();
    backoffMs = MIN_BACKOFF_MS;
    linksEstablished++;
    lastFailure = "";
    Log.info("link up to " + peer() + " (" + options.suite().noiseName + ")");
    m.setGoAwayListener(
        (code, reason) -> {
          Log.info(
              "server is going away (" + code.text + (reason.isEmpty() ? "" : ": " + reason) + ")");
          if (mux == m) {
            // New streams go to a fresh link (on the next server of the list, if there are
            // several: this one is shutting down); this one drains.
            mux = null;
            state = State.IDLE;
            linkUp = false;
            servers.lost();
            connect();
          }
        });
    firstLink.complete(null);
    firstAttempt.complete(true);
    linkListener.onLinkUp();
    muxUpHook.accept(m);
    for (PendingOpen p; (p = queued.poll()) != null; ) {
      if (p.socket().isActive()) {
        m.open(p.destination(), p.socket(), p.listener(), p.zeroRtt());
      }
    }
  }

  private void onLinkClosed(Mux m) {
    if (state == State.CLOSED) {
      return;
    }
    if (upMuxes.remove(m)) {
      endedCounts = Mux.sum(endedCounts, Mux.ended(m.counts()));
    }
    if (mux == m && failingBackFrom != null) {
      // Lost while a fail-back attempt is under way: that attempt is now the only one.
      mux = null;
      linkUp = false;
      failingBackFrom = null;
      Log.info("link to " + peer() + " lost while moving to the preferred server");
    } else if (mux == m) {
      mux = null;
      state = State.IDLE;
      linkUp = false;
      String lost = peer();
      ServerList.Server was = target.server();
      servers.lost();
      ServerList.Target next = servers.current();
      Log.info(
          "link to "
              + lost
              + " lost; reconnecting"
              + (next.server().equals(was) ? "" : " to " + next)
              + " in "
              + seconds(scheduleReconnect()));
    } else if (state == State.CONNECTING && m.link() == null) {
      String why =
          handshakeFailure.isEmpty() ? "handshake with " + peer() + " failed" : handshakeFailure;
      handshakeFailure = "";
      linkFailed(why);
    }
  }

  private void linkFailed(String why) {
    linkFailed(why, true);
  }

  /**
   * An attempt failed; {@code reached}: whether the TCP connection was made (false: the server's
   * other keys are skipped in this round).
   */
  private void linkFailed(String why, boolean reached) {
    if (state == State.CLOSED) {
      return;
    }
    failedAttempts++;
    if (failingBackFrom != null) {
      // The preferred server answered the probe but not the handshake: stay where we are.
      servers.reset(failingBackFrom);
      failingBackFrom = null;
      target = servers.current();
      state = State.UP;
      Log.info("staying on " + peer() + ": " + why);
      scheduleFailback();
      return;
    }
    why = linkListener.onLinkFailed(why);
    lastFailure = why;
    state = State.IDLE;
    if (servers.failed(reached)) {
      // Another server or key of this round: at once, without backoff (nor refusing the streams
      // waiting: they go to whichever answers).
      String failed = target.toString();
      Log.info(
          (why.contains(failed) ? why : failed + ": " + why)
              + " (trying "
              + servers.current()
              + ")");
      cancelRetry();
      loop.execute(this::connect);
      return;
    }
    for (PendingOpen p; (p = queued.poll()) != null; ) {
      p.listener().onRefused(RefuseCode.GENERAL, "no link to the server: " + why);
    }
    Log.error(why + " (retrying in " + seconds(scheduleReconnect()) + ")");
    firstAttempt.complete(false);
  }

  /** Schedules the next attempt; returns its delay in milliseconds. */
  private long scheduleReconnect() {
    if (state == State.CLOSED) {
      return 0;
    }
    long jitter = (long) (backoffMs * (ThreadLocalRandom.current().nextDouble(-0.2, 0.2)));
    long delay = backoffMs + jitter;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    cancelRetry();
    retry = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    return delay;
  }

  /**
   * While up on another server than the preferred one, and {@code --failback} is set: in {@code
   * failbackMs}, tries a TCP connection to the preferred server; if it is accepted, sets up a link
   * to it beside the current one ({@link #failingBackFrom}).
   */
  private void scheduleFailback() {
    if (failbackProbe != null) {
      failbackProbe.cancel(false);
      failbackProbe = null;
    }
    if (failbackMs <= 0 || servers.onPreferred() || state != State.UP) {
      return;
    }
    failbackProbe = loop.schedule(this::probePreferred, failbackMs, TimeUnit.MILLISECONDS);
  }

  private void probePreferred() {
    failbackProbe = null;
    if (state != State.UP || servers.onPreferred()) {
      return;
    }
    ServerList.Server preferred = servers.preferred();
    new Bootstrap()
        .group(loop)
        .channel(Transports.socketChannel())
        .option(
            ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) options.link().handshakeTimeout().toMillis())
        .handler(new ChannelInboundHandlerAdapter())
        .connect(preferred.address())
        .addListener(
            (ChannelFuture cf) -> {
              cf.channel().close();
              if (!cf.isSuccess() || state != State.UP || mux == null) {
                scheduleFailback();
                return;
              }
              Log.info(preferred + " answers again: moving new streams back to it");
              failingBackFrom = servers.mark();
              servers.toPreferred();
              state = State.CONNECTING;
              dial();
            });
  }

  /** {@code 0.3 s}, {@code 12 s}: a delay as a person reads it. */
  private static String seconds(long ms) {
    return ms < 10_000
        ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0)
        : (ms + 500) / 1000 + " s";
  }

  /**
   * Opens a stream for {@code socket} (registered on {@link #eventLoop()}, AUTO_READ off). Waits
   * for the link if it is being (re)established; refuses through the listener when it cannot.
   */
  public void open(
      Destination destination, Channel socket, StreamListener listener, boolean zeroRtt) {
    if (links != null && socket.eventLoop() != loop) {
      links.onLoop(socket.eventLoop(), this).open(destination, socket, listener, zeroRtt);
      return;
    }
    if (!loop.inEventLoop()) {
      loop.execute(() -> open(destination, socket, listener, zeroRtt));
      return;
    }
    if (state == State.CLOSED) {
      listener.onRefused(RefuseCode.GENERAL, "client closed");
      return;
    }
    if (links != null) {
      load.incrementAndGet();
      socket.closeFuture().addListener(f -> load.decrementAndGet());
    }
    if (mux != null && mux.isUsable()) {
      mux.open(destination, socket, listener, zeroRtt);
      return;
    }
    if (queued.size() >= options.maxQueuedOpens()) {
      listener.onRefused(RefuseCode.TOO_MANY_STREAMS, "too many streams waiting for the link");
      return;
    }
    queued.add(new PendingOpen(destination, socket, listener, zeroRtt));
    if (state == State.IDLE) {
      connectOnDemand();
    }
  }

  /** Connects now, or as soon as {@link #DEMAND_GAP_MS} after the last attempt allows. */
  private void connectOnDemand() {
    long waitMs =
        TimeUnit.NANOSECONDS.toMillis(
            lastAttemptNanos + TimeUnit.MILLISECONDS.toNanos(DEMAND_GAP_MS) - System.nanoTime());
    if (waitMs <= 0) {
      cancelRetry();
      connect(); // the backoff is not reset: if this fails, the next timed attempt waits longer
    } else if (retry == null || retry.getDelay(TimeUnit.MILLISECONDS) > waitMs) {
      cancelRetry();
      retry = loop.schedule(this::connect, waitMs, TimeUnit.MILLISECONDS);
    }
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  /** For tests and benchmarks: the current link's mux, or null. Call on the event loop. */
  public Mux currentMux() {
    return mux;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return; // a second close (a front, a shutdown hook, a test's clean-up) has nothing to do
    }
    if (loop.isShuttingDown()) {
      return; // a group shared with others (--links) and already shut down: nothing is running
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(
        () -> {
          state = State.CLOSED;
          linkUp = false;
          if (failbackProbe != null) {
            failbackProbe.cancel(false);
          }
          firstLink.completeExceptionally(new IllegalStateException("client closed"));
          firstAttempt.completeExceptionally(new IllegalStateException("client closed"));
          Mux m = mux;
          mux = null;
          if (m != null) {
            m.goAway(GoawayCode.NORMAL, "client closing");
            m.channel().close();
          }
          done.complete(null);
        });
    done.completeOnTimeout(null, 2, TimeUnit.SECONDS).join();
    if (ownsGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /**
   * Last handler of a link: records why it failed and reports its end. Pipeline order matters: the
   * handshake's failure reason arrives here before channelInactive does.
   */
  private final class LinkEnd extends ChannelInboundHandlerAdapter {
    private final Mux linkMux;

    LinkEnd(Mux linkMux) {
      this.linkMux = linkMux;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      onLinkClosed(linkMux);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof HandshakeFailedException) {
        handshakeFailure = cause.getMessage(); // reported (and reworded for a hop) by linkFailed
      } else {
        Log.info("link to " + peer() + ": " + describe(cause));
      }
      ctx.close();
    }
  }

  static String describe(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
