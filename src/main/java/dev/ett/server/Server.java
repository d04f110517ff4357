package dev.ett.server;

import dev.ett.audit.AuditEvent;
import dev.ett.audit.AuditLog;
import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedClient;
import dev.ett.config.Hosts;
import dev.ett.config.KeyFile;
import dev.ett.exit.Connector;
import dev.ett.exit.FirstBytesBounds;
import dev.ett.exit.InterfaceAddresses;
import dev.ett.exit.Resolver;
import dev.ett.link.HandshakeFailedException;
import dev.ett.link.HandshakeRejection;
import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.PreambleDecoder;
import dev.ett.link.Records;
import dev.ett.link.ReplayGuard;
import dev.ett.link.ServerHandshake;
import dev.ett.mux.BufferBudget;
import dev.ett.mux.Mux;
import dev.ett.noise.KeyPair;
import dev.ett.policy.AddressRange;
import dev.ett.policy.ClientLimits;
import dev.ett.policy.Decision;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Host;
import dev.ett.policy.Limits;
import dev.ett.policy.Policy;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.GoawayCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An ett server: accepts links from authorized clients and connects their streams to where its
 * policy allows. Wires the pieces by hand: pipeline per link = idle timer, preamble, records,
 * handshake (replaced by the record layer), mux, link end.
 *
 * <p>Per link, a {@link LinkExit} stands between the mux and the {@link Connector}: it applies the
 * client's limits, picks the client's policy, and writes the stream events of the audit trail.
 *
 * <p><b>Reload.</b> {@link #reload} swaps the authorized clients, the global rules and the hosts
 * table at once (one volatile {@link Config}). Streams opened afterwards see the new rules; links
 * whose key is still authorized keep running with their streams; links whose key is gone get GOAWAY
 * {@code KEY_REVOKED} and are closed at once, resetting their streams.
 */
public final class Server implements AutoCloseable {
  /** Everything a server needs; the CLI builds it. */
  public record Options(
      InetSocketAddress listen,
      KeyPair key,
      Authorized authorized,
      Policy globalPolicy,
      Hosts hosts,
      LinkConfig link,
      int maxHandshakes,
      int threads,
      AuditLog audit,
      Limits defaultLimits,
      Resolver.Options resolver,
      FirstBytesBounds firstBytes) {
    public Options {
      if (firstBytes == null || firstBytes.maxBytes() > link.initialWindow()) {
        throw new IllegalArgumentException(
            "firstBytes: "
                + firstBytes
                + " (expected: a byte bound within the initial window, "
                + link.initialWindow()
                + ")");
      }
      if (resolver == null) {
        throw new IllegalArgumentException(
            "resolver: null (expected: Resolver.Options.defaults() or others)");
      }
      if (audit == null) {
        throw new IllegalArgumentException(
            "audit: null (expected: an audit log, or AuditLog.NONE)");
      }
      check(defaultLimits);
    }

    /** Default limits must set every field: there is nothing below them to inherit from. */
    static void check(Limits defaultLimits) {
      if (defaultLimits == null
          || defaultLimits.maxStreams() < 0
          || defaultLimits.opensPerSecond() < 0
          || defaultLimits.burst() < 0
          || defaultLimits.bytesPerSecond() < 0) {
        throw new IllegalArgumentException(
            "defaultLimits: " + defaultLimits + " (expected: no field inherited)");
      }
    }

    /** With the first-bytes bounds' defaults (16 KiB, 10 s). */
    public Options(
        InetSocketAddress listen,
        KeyPair key,
        Authorized authorized,
        Policy globalPolicy,
        Hosts hosts,
        LinkConfig link,
        int maxHandshakes,
        int threads,
        AuditLog audit,
        Limits defaultLimits,
        Resolver.Options resolver) {
      this(
          listen,
          key,
          authorized,
          globalPolicy,
          hosts,
          link,
          maxHandshakes,
          threads,
          audit,
          defaultLimits,
          resolver,
          FirstBytesBounds.defaults());
    }

    /** With the resolver's defaults (/etc/resolv.conf's name servers). */
    public Options(
        InetSocketAddress listen,
        KeyPair key,
        Authorized authorized,
        Policy globalPolicy,
        Hosts hosts,
        LinkConfig link,
        int maxHandshakes,
        int threads,
        AuditLog audit,
        Limits defaultLimits) {
      this(
          listen,
          key,
          authorized,
          globalPolicy,
          hosts,
          link,
          maxHandshakes,
          threads,
          audit,
          defaultLimits,
          Resolver.Options.defaults());
    }

    /** Without audit trail or per-client limits. */
    public Options(
        InetSocketAddress listen,
        KeyPair key,
        Authorized authorized,
        Policy globalPolicy,
        Hosts hosts,
        LinkConfig link,
        int maxHandshakes,
        int threads) {
      this(
          listen,
          key,
          authorized,
          globalPolicy,
          hosts,
          link,
          maxHandshakes,
          threads,
          AuditLog.NONE,
          Limits.UNLIMITED);
    }
  }

  /**
   * What a reload replaces, all at once. {@code hosts} may be null. {@code keys} are the server's
   * static keys (1 to {@link ServerHandshake#MAX_KEYS}, see {@link #setKeys}); empty: unchanged.
   */
  public record Config(
      Authorized authorized, Policy globalPolicy, Hosts hosts, List<KeyPair> keys) {
    /** Without keys: a reload that keeps the server's keys. */
    public Config(Authorized authorized, Policy globalPolicy, Hosts hosts) {
      this(authorized, globalPolicy, hosts, List.of());
    }

    public Config {
      keys = List.copyOf(keys);
      if (authorized == null || globalPolicy == null) {
        throw new IllegalArgumentException(
            "authorized, globalPolicy: "
                + authorized
                + ", "
                + globalPolicy
                + " (expected: non-null)");
      }
    }
  }

  /** A link that finished its handshake. {@code revoked} is set on its event loop. */
  static final class LiveLink {
    final long id;
    final Channel channel;
    final Mux mux;
    final byte[] key;
    final String name;
    final String fingerprint;
    final String remote;

    /** Fingerprint of the server key the client pinned (rotation: which clients moved over). */
    final String serverKey;

    final long upNanos = System.nanoTime();
    volatile boolean revoked;

    /** Run on the link's loop when it goes down (its -R listeners close). */
    private final List<Runnable> onDown = new ArrayList<>();

    void onDown(Runnable r) {
      onDown.add(r);
    }

    LiveLink(
        long id,
        Channel channel,
        Mux mux,
        byte[] key,
        String name,
        String remote,
        String serverKey) {
      this.id = id;
      this.channel = channel;
      this.mux = mux;
      this.key = key;
      this.name = name;
      this.fingerprint = KeyFile.fingerprint(key);
      this.remote = remote;
      this.serverKey = serverKey;
    }
  }

  private final Options options;
  private final ReplayGuard replay = new ReplayGuard();
  private final HandshakeSlots handshaking;

  /** Connections closed on accept: their source's share of --max-handshakes already under way. */
  private final AtomicLong handshakesRefused = new AtomicLong();

  private final RejectionLog rejections = new RejectionLog();

  /** Every rejection since start, by cause (the log's counts are cleared once written). */
  private final AtomicLongArray rejectionTotals =
      new AtomicLongArray(HandshakeRejection.values().length);

  /**
   * Per worker event loop, what the links that ended there carried: touched only on that loop (a
   * link folds its counts in as it goes down; {@link #activity} reads them there), so a scrape sees
   * each link exactly once, live or ended, without a lock or an atomic on the data path.
   */
  private final Map<EventExecutor, Ended> ended = new java.util.IdentityHashMap<>();

  /**
   * Per worker event loop, the last answer it gave {@link #activity}: used if it does not answer in
   * time.
   */
  private final Map<EventExecutor, Activity> lastActivity = new ConcurrentHashMap<>();

  /** Policy decisions by (policy, rule, outcome); at most {@link #MAX_DECISION_SERIES} keys. */
  private final Map<DecisionKey, java.util.concurrent.atomic.LongAdder> decisions =
      new ConcurrentHashMap<>();

  private final AtomicLong linkIds = new AtomicLong();
  private final ChannelGroup links = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Map<Channel, LiveLink> live = new ConcurrentHashMap<>();
  private final Map<String, ClientLimits> limits = new ConcurrentHashMap<>();
  private final EventLoopGroup boss = Transports.group(1, "ett-accept");
  private final EventLoopGroup workers;
  private final ReverseListeners reverse;
  private final Resolver resolver;
  private final Connector connector;

  /** This machine's interface addresses, closed unless a rule names them; re-read every 2 s. */
  private final InterfaceAddresses ownAddresses = InterfaceAddresses.watch();

  private final Clock clock = Clock.systemUTC();

  /**
   * Buffered stream data of all links together: a quarter of the direct memory in charges, at most
   * half of it in memory (see BufferBudget; 16 MiB under bin/ett's -Xmx64m).
   */
  private final BufferBudget bufferBudget =
      BufferBudget.forDirectMemory(io.netty.util.internal.PlatformDependent.maxDirectMemory());

  private volatile Config config;

  /**
   * The static keys new handshakes may use, in the order tried; a handshake reads the list once.
   * Links up under a key dropped since keep running: their transport keys do not depend on it.
   */
  private volatile List<KeyPair> keys;

  /**
   * --client-* limits for clients that set none: Options' at start, a config file's after a reload.
   */
  private volatile Limits defaultLimits;

  /** Set by {@link #shutdown}: links that come up from now on get GOAWAY at once. */
  private volatile boolean draining;

  private Channel listener;

  public Server(Options options) {
    this.options = options;
    this.config = new Config(options.authorized(), options.globalPolicy(), options.hosts());
    this.keys = List.of(options.key());
    this.handshaking = new HandshakeSlots(options.maxHandshakes());
    this.workers = Transports.group(options.threads(), "ett-server");
    this.reverse = new ReverseListeners(this, boss, workers);
    for (EventExecutor e : workers) {
      ended.put(e, new Ended());
    }
    // Names from --hosts resolve on the event loop; DNS lookups are asynchronous (no thread each),
    // capped per client and bounded in time: one client's silent name server stalls no one else.
    this.resolver = new Resolver(() -> config.hosts(), options.resolver());
    resolver.prepare(workers);
    this.connector = new Connector(resolver, options.link().connectTimeout(), options.firstBytes());
  }

  /** Binds and starts accepting; returns the bound address. */
  public InetSocketAddress start() throws InterruptedException {
    LinkConfig cfg = options.link();
    listener =
        new ServerBootstrap()
            .group(boss, workers)
            .channelFactory(
                Transports.serverChannel(
                    options.listen())) // exactly --listen: 0.0.0.0 is IPv4 only
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024))
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, Records.READS)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    List<AddressRange> from = proxyFrom;
                    if (from == null) {
                      initLink(ch);
                    } else if (!ProxyHeader.trusted(
                        from, ((InetSocketAddress) ch.remoteAddress()).getAddress())) {
                      rejected(HandshakeRejection.PROXY_SOURCE, ch);
                      ch.close();
                    } else {
                      // The link's handlers come after the header: the slot is the client's.
                      ProxyHeader.install(ch, cfg.handshakeTimeout(), proxyOutcome(this::initLink));
                    }
                  }

                  /** Idle timer, preamble, records, handshake, mux, link end. */
                  private void initLink(Channel ch) {
                    // At the cap, the oldest unfinished handshake (a silent one first) is closed to
                    // make room; closing a channel of another event loop is safe (it runs there).
                    HandshakeSlots.Admission admission =
                        handshaking.admit(
                            clientAddress(ch).getAddress(),
                            () -> {
                              Server.this.rejected(HandshakeRejection.EVICTED, ch);
                              ch.close();
                            });
                    if (!admission.admitted()) {
                      handshakesRefused.incrementAndGet();
                      rejected(admission.refusal(), ch);
                      ch.close();
                      return;
                    }
                    HandshakeSlots.Slot slot = admission.slot();
                    ServerHandshake hs =
                        new ServerHandshake(
                            () -> keys,
                            key -> config.authorized().lookup(key).map(AuthorizedClient::name),
                            replay,
                            cfg,
                            new ServerHandshake.Outcome() {
                              @Override
                              public void confirmed() {
                                slot.release();
                              }

                              @Override
                              public void rejected(HandshakeRejection why) {
                                if (slot.release()) { // else evicted, and counted as such already
                                  rejectedOrChecked(why, ch);
                                }
                              }
                            });
                    LinkExit exit = new LinkExit(Server.this);
                    Mux mux = new Mux(cfg, exit, m -> onLinkUp(ch, m, exit));
                    mux.setStreamObserver(exit);
                    mux.setBufferBudget(bufferBudget);
                    mux.setPeerAddress(addressText(clientAddress(ch)));
                    ch.pipeline()
                        .addLast(
                            "idle",
                            new IdleStateHandler(
                                cfg.keepalive().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                        .addLast(
                            "preamble",
                            new PreambleDecoder(
                                p -> {
                                  slot.spoke(); // evicted now only after every silent one
                                  hs.onPreamble(p);
                                }))
                        .addLast("framing", Records.decoder())
                        .addLast("handshake", hs)
                        .addLast("mux", mux)
                        .addLast("end", new LinkEnd(exit));
                  }
                })
            .bind(options.listen())
            .sync()
            .channel();
    // Rejections counted after a logged line are written once its minute is over.
    boss.scheduleAtFixedRate(
        () -> logRejections(rejections.flush(System.nanoTime())), 10, 10, TimeUnit.SECONDS);
    return (InetSocketAddress) listener.localAddress();
  }

  /**
   * The mux's onReady: the client's first record has authenticated (PROTOCOL.md §4, step 7), so the
   * client holds the keys. Message 2 alone proves nothing — a replayed message 1 gets one too after
   * a restart — so neither the log nor the audit trail says "link up" before this.
   */
  private void onLinkUp(Channel ch, Mux mux, LinkExit exit) {
    LinkEstablished e = mux.link();
    LiveLink l =
        new LiveLink(
            linkIds.incrementAndGet(),
            ch,
            mux,
            e.peerStaticKey(),
            e.peerName(),
            addressText(clientAddress(ch)),
            KeyFile.fingerprint(
                e.localStaticKey() == null ? options.key().publicKey() : e.localStaticKey()));
    exit.onLinkUp(l);
    mux.setListenerFrames(reverse.forLink(l, exit)); // -R: PROTOCOL.md §10
    // The client's bandwidth cap (if any) is shared by all its links: the mux asks it before
    // reading from a destination and before returning window credit.
    config
        .authorized()
        .lookup(l.key)
        .ifPresent(
            c -> {
              ClientLimits cl = limitsFor(c);
              mux.setThrottle(cl::consumeBytes);
            });
    links.add(ch);
    live.put(ch, l);
    Log.info(
        "link up: "
            + l.name
            + " ("
            + l.fingerprint
            + ") from "
            + l.remote
            + " "
            + e.suite().noiseName
            + " server key "
            + l.serverKey);
    options
        .audit()
        .record(
            new AuditEvent.LinkUp(
                clock.instant(),
                l.id,
                l.name,
                l.fingerprint,
                l.remote,
                e.suite().noiseName,
                l.serverKey));
    // A reload may have revoked the key between the handshake and now; the reload's sweep of
    // `live` ran before the put above or sees this link, and this check covers the other order.
    if (config.authorized().lookup(l.key).isEmpty()) {
      revoke(l);
    }
    // A link confirmed while the server drains (its handshake began before the listener closed)
    // is told at once, as the others were: otherwise the drain would wait for it to its deadline.
    if (draining) {
      mux.goAway(GoawayCode.NORMAL, "server shutting down");
    }
  }

  private void onLinkDown(LiveLink l) {
    // On the link's loop, as activity() reads it: counted as ended and no longer live at once.
    ended.get(l.channel.eventLoop()).add(l.name, Mux.ended(l.mux.counts()));
    live.remove(l.channel);
    l.onDown.forEach(Runnable::run); // listeners close at once, before the link's audit line
    String reason = l.revoked ? "key revoked" : "closed";
    Log.info("link down: " + l.name + " from " + l.remote + (l.revoked ? " (key revoked)" : ""));
    options
        .audit()
        .record(
            new AuditEvent.LinkDown(
                clock.instant(),
                l.id,
                l.name,
                l.fingerprint,
                l.remote,
                reason,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - l.upNanos)));
  }

  /** GOAWAY KEY_REVOKED, then close at once: the link's streams are reset. */
  private void revoke(LiveLink l) {
    l.channel
        .eventLoop()
        .execute(
            () -> {
              if (l.revoked) {
                return;
              }
              l.revoked = true;
              Log.info(
                  "key of "
                      + l.name
                      + " ("
                      + l.fingerprint
                      + ") revoked; closing its link from "
                      + l.remote);
              if (l.channel.isActive()) {
                l.mux.goAway(GoawayCode.KEY_REVOKED, "key revoked");
              }
              l.channel.close();
            });
  }

  /**
   * Applies a new configuration: new streams are checked against it at once, per-client limits
   * change in place, and links of keys that are no longer authorized are closed.
   *
   * @param source what was reloaded, for the log and the audit trail
   * @return the names of the clients whose links were closed
   */
  public List<String> reload(Config next, String source) {
    return reload(next, null, source);
  }

  /**
   * {@link #reload(Config, String)} that also replaces the limits of clients that set none ({@code
   * defaults}: null keeps them), applied to the clients' current limits at once.
   */
  public List<String> reload(Config next, Limits defaults, String source) {
    if (defaults != null) {
      Options.check(defaults);
      this.defaultLimits = defaults;
    }
    this.config = next;
    if (!next.keys().isEmpty()) {
      setKeys(next.keys());
    }
    ownAddresses.refresh();
    for (AuthorizedClient c : next.authorized().clients()) {
      ClientLimits cl = limits.get(hex(c.publicKey()));
      if (cl != null) {
        cl.setLimits(effectiveLimits(c));
      }
    }
    List<String> revoked = new ArrayList<>();
    for (LiveLink l : live.values()) {
      if (next.authorized().lookup(l.key).isEmpty()) {
        if (!revoked.contains(l.name)) {
          revoked.add(l.name);
        }
        revoke(l);
      }
    }
    reverse.recheck(); // -R listeners the new listen rules no longer allow close
    Log.info(
        "reloaded "
            + source
            + ": "
            + next.authorized().size()
            + " authorized client(s), "
            + next.globalPolicy().rules().size()
            + " global rule(s)"
            + (revoked.isEmpty() ? "" : "; revoked: " + String.join(", ", revoked)));
    options
        .audit()
        .record(
            new AuditEvent.Reloaded(clock.instant(), source, next.authorized().size(), revoked));
    return revoked;
  }

  /**
   * The event loops that carry the server: the accepting one first, then every link's. For a
   * watchdog that must stop when any of them wedges (see systemd.Notifier#watch).
   */
  public List<EventExecutor> eventLoops() {
    List<EventExecutor> loops = new ArrayList<>();
    boss.forEach(loops::add);
    workers.forEach(loops::add);
    return loops;
  }

  /**
   * Replaces the static keys new handshakes may use (1 to {@link ServerHandshake#MAX_KEYS}, no
   * duplicates), and logs the change with how many links each key carries. Links up under a key
   * dropped here keep running to their end (PROTOCOL.md §4 is over for them; their transport keys
   * do not depend on it), so clients move over when they next connect, without a broken stream. The
   * dropped key's pair is not zeroed: a handshake that read the list just before may still use it;
   * it is left to the garbage collector.
   */
  public void setKeys(List<KeyPair> next) {
    List<KeyPair> copy = List.copyOf(next);
    if (copy.isEmpty()
        || copy.size() > ServerHandshake.MAX_KEYS
        || new java.util.HashSet<>(copy).size() != copy.size()) {
      throw new IllegalArgumentException(
          "server keys: "
              + copy.size()
              + " (expected: 1~"
              + ServerHandshake.MAX_KEYS
              + " different keys)");
    }
    List<KeyPair> before = keys;
    if (before.equals(copy)) {
      return;
    }
    keys = copy;
    List<String> added = new ArrayList<>();
    for (KeyPair k : copy) {
      if (!before.contains(k)) {
        added.add(KeyFile.fingerprint(k.publicKey()));
      }
    }
    List<String> dropped = new ArrayList<>();
    for (KeyPair k : before) {
      if (!copy.contains(k)) {
        dropped.add(KeyFile.fingerprint(k.publicKey()));
      }
    }
    Map<String, Integer> using = linksByServerKey();
    StringBuilder line = new StringBuilder("server keys now");
    for (KeyPair k : copy) {
      String fp = KeyFile.fingerprint(k.publicKey());
      line.append(' ').append(fp).append(" (").append(using.getOrDefault(fp, 0)).append(" links)");
    }
    if (!added.isEmpty()) {
      line.append("; added ").append(String.join(", ", added));
    }
    for (String fp : dropped) {
      line.append("; dropped ")
          .append(fp)
          .append(" (")
          .append(using.getOrDefault(fp, 0))
          .append(" links up under it keep running)");
    }
    Log.info(line.toString());
  }

  /** The server's static keys now, in the order a handshake tries them. */
  public List<KeyPair> keys() {
    return keys;
  }

  /**
   * Links up now by the fingerprint of the server key their client pinned; every current key
   * present (0 if unused), and dropped keys while links under them last.
   */
  public Map<String, Integer> linksByServerKey() {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (KeyPair k : keys) {
      out.put(KeyFile.fingerprint(k.publicKey()), 0);
    }
    for (LiveLink l : live.values()) {
      out.merge(l.serverKey, 1, Integer::sum);
    }
    return out;
  }

  /** Replaces the authorized clients only (see {@link #reload}). */
  public void setAuthorized(Authorized a) {
    Config c = config;
    reload(new Config(a, c.globalPolicy(), c.hosts()), "authorized clients");
  }

  public Config config() {
    return config;
  }

  public int linkCount() {
    return links.size();
  }

  /** Streams open or opening on all links now (each link counted on its own event loop). */
  public int streamCount() {
    int n = 0;
    for (LiveLink l : live.values()) {
      try {
        n += l.channel.eventLoop().submit(l.mux::streamCount).get();
      } catch (java.util.concurrent.ExecutionException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        // the link went away meanwhile: its streams are gone too
      }
    }
    return n;
  }

  /**
   * Connections accepted whose handshake has not finished (or failed) yet. A handshake finishes
   * when the client's first record authenticates (PROTOCOL.md §4, step 7).
   */
  public int unfinishedHandshakes() {
    return handshaking.unfinished();
  }

  /**
   * Connections closed at accept because their source's share of the unfinished handshakes was
   * reached.
   */
  public long handshakesRefused() {
    return handshakesRefused.get();
  }

  /** Unfinished handshakes closed to make room for a new connection at --max-handshakes. */
  public long handshakesEvicted() {
    return handshaking.evicted();
  }

  /**
   * A connection closed before its link came up: counted for the log, which says so once a minute
   * at most.
   */
  private void rejected(HandshakeRejection why, Channel ch) {
    rejectionTotals.incrementAndGet(why.ordinal());
    logRejections(rejections.record(why, addressText(clientAddress(ch)), System.nanoTime()));
  }

  // ---- PROXY protocol (--proxy-protocol) -------------------------------------------------------

  /**
   * Sources whose PROXY header is believed (--proxy-from); null: --proxy-protocol is off and
   * connections are taken as they come.
   */
  private volatile List<AddressRange> proxyFrom;

  /** Connections from the balancer that carried no client: its health checks. */
  private final AtomicLong proxyChecks = new AtomicLong();

  /** What becomes of a PROXY header: {@code link} installs the link's handlers. */
  private ProxyHeader.Outcome proxyOutcome(java.util.function.Consumer<Channel> link) {
    return new ProxyHeader.Outcome() {
      @Override
      public void read(Channel ch, ProxyHeader.Source source) {
        link.accept(ch);
      }

      @Override
      public void failed(Channel ch, String why) {
        if (Log.debugEnabled()) {
          Log.debug("no valid PROXY header from " + addressText(ch.remoteAddress()) + ": " + why);
        }
        rejected(HandshakeRejection.PROXY_HEADER, ch);
      }

      @Override
      public void checked(Channel ch) {
        proxyChecked(ch);
      }
    };
  }

  /**
   * A handshake that failed: a rejection, unless the connection is the balancer's own (a PROXY
   * LOCAL header) and closed or went silent without a preamble: its health check, routine.
   */
  private void rejectedOrChecked(HandshakeRejection why, Channel ch) {
    ProxyHeader.Source s = ch.attr(ProxyHeader.SOURCE).get();
    if (s != null
        && s.local()
        && (why == HandshakeRejection.CLOSED || why == HandshakeRejection.SILENT)) {
      proxyChecked(ch);
    } else {
      rejected(why, ch);
    }
  }

  /**
   * Expects a PROXY protocol header (v1 or v2) at the start of every connection, believed only from
   * {@code from}; a connection from elsewhere is closed at once. Call before {@link #start}.
   */
  public void acceptProxyProtocol(List<AddressRange> from) {
    if (from == null || from.isEmpty()) {
      throw new IllegalArgumentException(
          "from: " + from + " (expected: at least one trusted source range)");
    }
    this.proxyFrom = List.copyOf(from);
  }

  private void proxyChecked(Channel ch) {
    proxyChecks.incrementAndGet();
    if (Log.debugEnabled()) {
      Log.debug("health check from " + addressText(ch.remoteAddress()));
    }
  }

  /** Connections from the load balancer that carried no client (its health checks) since start. */
  public long proxyChecks() {
    return proxyChecks.get();
  }

  /**
   * Where {@code ch} comes from: the client's address from its PROXY header, or the connection's
   * own address (no --proxy-protocol, or the balancer's own connection).
   */
  static InetSocketAddress clientAddress(Channel ch) {
    ProxyHeader.Source s = ch.attr(ProxyHeader.SOURCE).get();
    return s != null ? s.address() : (InetSocketAddress) ch.remoteAddress();
  }

  private static void logRejections(RejectionLog.Line line) {
    if (line == null) {
      return;
    }
    if (line.capReached()) {
      Log.warn(line.text());
    } else {
      Log.info(line.text());
    }
  }

  // ---- for the metrics endpoint (ServerMetrics) -------------------------------------------------

  /**
   * What the server's links carry, live and ended, in total and per client name.
   *
   * @param links links up now
   * @param all every link's counts; gauges (streams open, queued frames, buffered) are the live
   *     links'
   * @param byClient the same per client name (the authorized file's names), with its links up now
   */
  public record Activity(int links, Mux.Counts all, Map<String, ClientActivity> byClient) {
    static final Activity NONE = new Activity(0, Mux.NO_COUNTS, Map.of());

    static Activity sum(Activity a, Activity b) {
      Map<String, ClientActivity> m = new java.util.TreeMap<>(a.byClient());
      b.byClient().forEach((name, c) -> m.merge(name, c, ClientActivity::sum));
      return new Activity(a.links() + b.links(), Mux.sum(a.all(), b.all()), m);
    }
  }

  /** One client's links up now and what all its links carried. */
  public record ClientActivity(int links, Mux.Counts counts) {
    static ClientActivity sum(ClientActivity a, ClientActivity b) {
      return new ClientActivity(a.links() + b.links(), Mux.sum(a.counts(), b.counts()));
    }
  }

  /** Per event loop: what its ended links carried. Touched only on that loop. */
  private static final class Ended {
    Mux.Counts all = Mux.NO_COUNTS;
    final Map<String, Mux.Counts> byClient = new HashMap<>();

    void add(String client, Mux.Counts c) {
      all = Mux.sum(all, c);
      byClient.merge(client, c, Mux::sum);
    }
  }

  /**
   * Asks every worker loop for its links' counts (each answers on its own thread, so nothing on the
   * data path is shared) and sums them. A loop that does not answer within {@code wait} (wedged, or
   * the server stopping) is counted with its previous answer: a counter never goes back.
   */
  public Activity activity(Duration wait) {
    Map<EventExecutor, io.netty.util.concurrent.Future<Activity>> asked =
        new java.util.LinkedHashMap<>();
    for (EventExecutor loop : workers) {
      if (!loop.isShuttingDown()) {
        asked.put(loop, loop.submit(() -> loopActivity(loop)));
      }
    }
    long deadline = System.nanoTime() + wait.toNanos();
    Activity total = Activity.NONE;
    for (EventExecutor loop : workers) {
      Activity a = lastActivity.getOrDefault(loop, Activity.NONE);
      io.netty.util.concurrent.Future<Activity> f = asked.get(loop);
      if (f != null
          && f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
          && f.isSuccess()) {
        a = f.getNow();
        lastActivity.put(loop, a);
      }
      total = Activity.sum(total, a);
    }
    return total;
  }

  private Activity loopActivity(EventExecutor loop) {
    Ended e = ended.get(loop);
    Mux.Counts all = e.all;
    Map<String, ClientActivity> byClient = new java.util.TreeMap<>();
    e.byClient.forEach((name, c) -> byClient.put(name, new ClientActivity(0, c)));
    int n = 0;
    for (LiveLink l : live.values()) {
      if (l.channel.eventLoop() == loop) {
        Mux.Counts c = l.mux.counts();
        n++;
        all = Mux.sum(all, c);
        byClient.merge(l.name, new ClientActivity(1, c), ClientActivity::sum);
      }
    }
    return new Activity(n, all, byClient);
  }

  /** Handshakes rejected since start, by cause. */
  public long handshakesRejected(HandshakeRejection why) {
    return rejectionTotals.get(why.ordinal());
  }

  /** Handshakes that brought a link up since start. */
  public long handshakesConfirmed() {
    return linkIds.get();
  }

  /**
   * A policy decision's key for the metrics: the policy's name, the rule's index ("none"), the
   * outcome.
   */
  public record DecisionKey(String policy, String rule, String outcome) {}

  /**
   * Distinct (policy, rule, outcome) keys kept: the authorized file bounds them already (its
   * clients' rules and the global ones); this bounds them even against a huge file. Past it, a
   * decision is counted under ("other", "other", outcome).
   */
  static final int MAX_DECISION_SERIES = 2048;

  /** Counts the decision of an exit policy (LinkExit calls it once per decided stream). */
  void countDecision(Decision d) {
    String outcome = d.accepted() ? "accepted" : d.awaiting() ? "awaiting" : "refused";
    DecisionKey k =
        new DecisionKey(
            d.policy(), d.rule().map(r -> Integer.toString(r.index())).orElse("none"), outcome);
    java.util.concurrent.atomic.LongAdder n = decisions.get(k);
    if (n == null) {
      if (decisions.size() >= MAX_DECISION_SERIES) {
        k = new DecisionKey("other", "other", outcome);
      }
      n = decisions.computeIfAbsent(k, x -> new java.util.concurrent.atomic.LongAdder());
    }
    n.increment();
  }

  /** Policy decisions since start. */
  public Map<DecisionKey, Long> decisions() {
    Map<DecisionKey, Long> m = new HashMap<>();
    decisions.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Buffered stream data of all links now, in bytes (see BufferBudget). */
  public long bufferedBytes() {
    return bufferBudget.used();
  }

  /** Whether the listener is bound and the server is not draining, and why not. */
  public dev.ett.util.Health health() {
    Channel l = listener;
    if (l == null || !l.isActive()) {
      return new dev.ett.util.Health(false, "not listening");
    }
    if (draining) {
      return new dev.ett.util.Health(false, "draining: shutting down");
    }
    return new dev.ett.util.Health(
        true, "listening on " + addressText(l.localAddress()) + ", " + live.size() + " link(s) up");
  }

  /** Told of every DNS lookup's time and outcome (see Resolver#setLookupTimer). */
  public void setLookupTimer(Resolver.LookupTimer t) {
    resolver.setLookupTimer(t);
  }

  // ---- for LinkExit ----------------------------------------------------------------------------

  Optional<AuthorizedClient> currentClient(byte[] key) {
    return config.authorized().lookup(key);
  }

  ExitPolicy policyFor(AuthorizedClient c) {
    return c.exitPolicy(config.globalPolicy()).atServer(ownAddresses);
  }

  ClientLimits limitsFor(AuthorizedClient c) {
    return limits.computeIfAbsent(
        hex(c.publicKey()), k -> new ClientLimits(effectiveLimits(c), System::nanoTime));
  }

  private Limits effectiveLimits(AuthorizedClient c) {
    Limits d = defaultLimits;
    return c.limits().over(d != null ? d : options.defaultLimits());
  }

  Connector connector() {
    return connector;
  }

  AuditLog audit() {
    return options.audit();
  }

  Clock clock() {
    return clock;
  }

  /** {@code 192.0.2.1:4242}, {@code [2001:db8::1]:4242}: no leading slash, IPv6 compressed. */
  private static String addressText(java.net.SocketAddress a) {
    if (a instanceof InetSocketAddress isa && isa.getAddress() != null) {
      return new Host.Address(isa.getAddress()) + ":" + isa.getPort();
    }
    return String.valueOf(a);
  }

  private static String hex(byte[] key) {
    return HexFormat.of().formatHex(key);
  }

  /**
   * Graceful stop (SIGTERM): stops accepting, tells every link GOAWAY (no new streams; each link
   * closes when its last stream ends), waits up to {@code drain} for them, then closes what is left
   * (its streams are reset toward their applications) and stops. Each link's end is audited once,
   * by the same path as any other link end.
   */
  public void shutdown(Duration drain) {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    draining = true;
    int open = live.size();
    if (open > 0) {
      Log.info(
          "shutting down: " + open + " link(s) draining for up to " + drain.toSeconds() + " s");
      for (LiveLink l : live.values()) {
        l.channel
            .eventLoop()
            .execute(() -> l.mux.goAway(GoawayCode.NORMAL, "server shutting down"));
      }
      long deadline = System.nanoTime() + drain.toNanos();
      while (!live.isEmpty() && System.nanoTime() - deadline < 0) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (!live.isEmpty()) {
        Log.info(
            "shutting down: closing "
                + live.size()
                + " link(s) still busy after the drain deadline");
      }
    }
    close();
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    links.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolver.close();
    ownAddresses.close();
  }

  /**
   * Last handler of a link: errors before authentication are dropped silently, others logged; the
   * link's end is reported after the mux has ended its streams (so the audit trail has the streams'
   * ends before the link's).
   */
  private final class LinkEnd extends ChannelInboundHandlerAdapter {
    private final LinkExit exit;

    LinkEnd(LinkExit exit) {
      this.exit = exit;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      LiveLink l = exit.link();
      if (l != null) {
        onLinkDown(l);
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof HandshakeFailedException)) {
        Log.info(
            "link from "
                + addressText(clientAddress(ctx.channel()))
                + " closed: "
                + describe(cause));
      }
      ctx.close();
    }
  }

  static String describe(Throwable t) {
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
