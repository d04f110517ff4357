package dev.ett.mux;

import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Many streams over one link (PROTOCOL.md §6). Sits above the {@code RecordLayer} on the link's
 * pipeline and sees frames; each stream's socket gets a {@link StreamSocketHandler} that reports
 * back here. Everything runs on the link's event loop: sockets of a link's streams are registered
 * on that loop, so no state here is shared between threads.
 *
 * <p>Back-pressure: a stream's socket is read only when the stream has send credit and the link is
 * writable (AUTO_READ off). Received DATA is written to the socket and its credit returned only
 * when the write completed, so a slow reader stalls its own stream and nothing else.
 *
 * <p>Memory: what a stream holds of received DATA is bounded by its window in bytes of memory, not
 * only of payload. A small payload never pins its record (FrameCodec copies it out), small payloads
 * held for a stream share one buffer, and a socket's outbound buffer takes writes only while it is
 * writable (beyond its high water mark they wait in {@link Stream#inbound}). On the server all of
 * it is charged to a {@link BufferBudget} shared by every link; a link over its fair share of a
 * spent budget has its streams reset (issue 12, item 1).
 */
public final class Mux extends ChannelInboundHandlerAdapter {
  private static final int MAX_IDLE_ROUNDS = 3;

  /** Netty's HTTP/2 default for the same guard (Http2ControlFrameLimitEncoder). */
  public static final int DEFAULT_MAX_QUEUED_CONTROL_FRAMES = 10_000;

  private final LinkConfig config;
  private final Exit exit; // server only

  /** Client: where streams the server opens (ROPEN, PROTOCOL.md §10.2) go; null refuses them. */
  private ReverseExit reverseExit;

  /** Listener frames (PROTOCOL.md §10.1) for the side that handles them; null: none expected. */
  private java.util.function.Consumer<Frame> listenerFrames;

  private final Consumer<Mux> onReady;
  private final IntObjectMap<Stream> streams = new IntObjectHashMap<>();
  private final ArrayDeque<Stream> waitingForLink = new ArrayDeque<>();

  /** Server: streams waiting for their first bytes that got more since their exit last looked. */
  private final ArrayDeque<Stream> judgesDue = new ArrayDeque<>();

  /** Client: OPENs kept back while the server's pending-opens limit is reached. */
  private final ArrayDeque<DeferredOpen> deferredOpens = new ArrayDeque<>();

  /** Client: streams whose OPEN was sent and not yet answered. */
  private int opening;

  private ChannelHandlerContext ctx;
  private LinkEstablished link;
  private int nextStreamId = 1;
  private int lastPeerStreamId;
  private int pendingOpens;
  private int idleRounds;
  // Volatile: written on the link's loop only, but isUsable() is also asked from another thread
  // (the server's accept loop picking a pool member for a -R connection, ReverseListeners.pick).
  private volatile boolean goawaySent;
  private volatile boolean goawayReceived;
  private GoAwayListener goAwayListener = (code, reason) -> {};

  /**
   * Frames we write only because the peer sent something (PONG, REFUSED, RESET) while the link's
   * TCP connection cannot take more: a peer that floods PINGs or OPENs and never reads would
   * otherwise grow our outbound buffer without bound (the "ping flood" and "reset flood" of HTTP/2,
   * CVE-2019-9512/9514). Past the limit the link is closed.
   */
  private int queuedControlFrames;

  private int maxQueuedControlFrames;
  private StreamObserver observer = StreamObserver.NONE;

  /**
   * What this link carried, for the metrics endpoint: plain fields, written on the event loop
   * beside the stream's own counts and read there too ({@link #counts}), so a frame costs nothing
   * more than two additions.
   */
  private long streamsOpened, bytesFromClient, bytesToClient;

  /**
   * REFUSED sent (server) or received (client), by code; RESET after OPENED by the exit, by code.
   */
  private final long[] refused = new long[RefuseCode.values().length];

  private final long[] resetAfterOpened = new long[ResetCode.values().length];
  private Throttle throttle = bytes -> 0;

  /** Server: the budget shared by all links, and this link's account in it (opened at link up). */
  private BufferBudget budget;

  private BufferBudget.Account account;

  /** Payloads smaller than this are appended to a stream's collecting buffer when held. */
  static final int COLLECT_BELOW = 1024;

  /** A collecting buffer grows (doubling) up to this, then another is started. */
  static final int COLLECT_MAX = 16 * 1024;

  /**
   * A bandwidth cap (server side, per client): told of the bytes carried, answers how long to hold
   * off. The mux then delays reading the destination (toward the client) or returning window credit
   * (from the client): the peer slows down, nothing is dropped.
   */
  public interface Throttle {
    /** Counts {@code bytes}; returns nanoseconds to wait before carrying more (0: go on). */
    long consume(long bytes);
  }

  /** Told when the peer says it is going away. */
  public interface GoAwayListener {
    void onGoAway(GoawayCode code, String reason);
  }

  /**
   * @param exit the server's exit, or null on the client (which refuses OPENs)
   * @param onReady called once the link is established and streams may be opened
   */
  public Mux(LinkConfig config, Exit exit, Consumer<Mux> onReady) {
    this.config = config;
    this.exit = exit;
    this.onReady = onReady;
    this.maxQueuedControlFrames = config.maxQueuedAnswers();
  }

  public void setGoAwayListener(GoAwayListener l) {
    this.goAwayListener = l;
  }

  /** See {@link #DEFAULT_MAX_QUEUED_CONTROL_FRAMES}; at least 1. */
  public void setMaxQueuedControlFrames(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("maxQueuedControlFrames: " + max + " (expected: >= 1)");
    }
    this.maxQueuedControlFrames = max;
  }

  /**
   * Client: accepts the server's ROPENs (PROTOCOL.md §10.2) and connects them with {@code e}.
   * Without one, a ROPEN is a protocol error (the client asked for no listener).
   */
  public void setReverseExit(ReverseExit e) {
    this.reverseExit = e;
  }

  /**
   * The handler of LISTEN and UNLISTEN (server) or LISTENING, LISTEN_REFUSED and UNLISTEN (client).
   * Frames of the other direction, or any when none is set, are protocol errors.
   */
  public void setListenerFrames(java.util.function.Consumer<Frame> handler) {
    this.listenerFrames = handler;
  }

  /** Sends a link frame (a listener frame) and flushes it. Call on the event loop. */
  public void sendLinkFrame(Frame f) {
    if (f.stream() != 0) {
      throw new IllegalArgumentException("not a link frame: " + f);
    }
    ctx.writeAndFlush(f, ctx.voidPromise());
  }

  /**
   * Whether {@code id} is a stream this side opened: odd ids are the client's, even the server's.
   */
  private boolean ours(int id) {
    return ((id & 1) == 1) == (link.role() == LinkEstablished.Role.CLIENT);
  }

  public void setStreamObserver(StreamObserver o) {
    this.observer = o;
  }

  public void setThrottle(Throttle t) {
    this.throttle = t;
  }

  /** Server: charges this link's buffered stream data to {@code b} (see {@link BufferBudget}). */
  public void setBufferBudget(BufferBudget b) {
    this.budget = b;
  }

  public LinkEstablished link() {
    return link;
  }

  public Channel channel() {
    return ctx.channel();
  }

  public int streamCount() {
    return streams.size();
  }

  /**
   * What this link has carried so far and holds now (the metrics endpoint sums these over links).
   * Bytes are stream payload, named from the client's side whichever end this is.
   *
   * @param refused REFUSED answers by {@link RefuseCode} ordinal: sent (server) or received
   *     (client)
   * @param resetAfterOpened RESETs the server's exit sent after OPENED (a stream judged on its
   *     first bytes, PROTOCOL.md §6.1), by {@link ResetCode} ordinal
   */
  public record Counts(
      int streamsOpen,
      long streamsOpened,
      long bytesFromClient,
      long bytesToClient,
      int queuedControlFrames,
      long buffered,
      long[] refused,
      long[] resetAfterOpened) {}

  /** A copy of this link's counts. Call on the event loop. */
  public Counts counts() {
    return new Counts(
        streams.size(),
        streamsOpened,
        bytesFromClient,
        bytesToClient,
        queuedControlFrames,
        account == null ? 0 : account.used(),
        refused.clone(),
        resetAfterOpened.clone());
  }

  /** Nothing carried, nothing held. */
  public static final Counts NO_COUNTS =
      new Counts(
          0,
          0,
          0,
          0,
          0,
          0,
          new long[RefuseCode.values().length],
          new long[ResetCode.values().length]);

  /** The sum of two links' counts (or of a link's and those of links gone before). */
  public static Counts sum(Counts a, Counts b) {
    long[] refused = a.refused().clone();
    long[] reset = a.resetAfterOpened().clone();
    for (int i = 0; i < refused.length; i++) {
      refused[i] += b.refused()[i];
    }
    for (int i = 0; i < reset.length; i++) {
      reset[i] += b.resetAfterOpened()[i];
    }
    return new Counts(
        a.streamsOpen() + b.streamsOpen(),
        a.streamsOpened() + b.streamsOpened(),
        a.bytesFromClient() + b.bytesFromClient(),
        a.bytesToClient() + b.bytesToClient(),
        a.queuedControlFrames() + b.queuedControlFrames(),
        a.buffered() + b.buffered(),
        refused,
        reset);
  }

  /** What a link that ended leaves to the totals: its counters, none of what it held. */
  public static Counts ended(Counts c) {
    return new Counts(
        0,
        c.streamsOpened(),
        c.bytesFromClient(),
        c.bytesToClient(),
        0,
        0,
        c.refused(),
        c.resetAfterOpened());
  }

  /**
   * The id of the newest stream the peer opened. Inside {@link Exit#open} it is the id of the
   * stream being opened, so the exit can name it (the audit trail does). Call on the event loop.
   */
  public int lastPeerStreamId() {
    return lastPeerStreamId;
  }

  /** The id the next stream this side opens will get (the server names a reverse stream early). */
  public int peekNextStreamId() {
    return nextStreamId;
  }

  /**
   * True while new streams may be opened on this link. Safe to ask from any thread (the answer may
   * be a moment old there); the link's loop has the last word when it opens the stream.
   */
  public boolean isUsable() {
    return link != null && ctx.channel().isActive() && !goawayReceived && !goawaySent;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof LinkEstablished e) {
      link = e;
      nextStreamId = e.role() == LinkEstablished.Role.SERVER ? 2 : 1; // PROTOCOL.md §5
      if (budget != null && ctx.channel().isActive()) {
        // Opened once authenticated, so that unfinished handshakes do not thin the fair share.
        account = budget.open(() -> ctx.executor().execute(this::shedOverShare));
      }
      onReady.accept(this);
    } else if (evt instanceof IdleStateEvent) {
      onIdle();
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  // ---- opening (client) ------------------------------------------------------------------------

  /**
   * Opens a stream to {@code destination} carrying {@code socket} (registered on this link's event
   * loop, AUTO_READ off). With {@code zeroRtt} the socket is read at once and its bytes sent before
   * OPENED arrives; otherwise reading starts on OPENED, after {@link StreamListener#onOpened}.
   */
  public void open(
      Destination destination, Channel socket, StreamListener listener, boolean zeroRtt) {
    if (!ctx.executor().inEventLoop() || socket.eventLoop() != ctx.executor()) {
      throw new IllegalStateException(
          "open must run on the link's event loop with a socket of that loop");
    }
    if (link.role() != LinkEstablished.Role.CLIENT) {
      throw new IllegalStateException("only the client opens streams");
    }
    if (!isUsable()) {
      listener.onRefused(RefuseCode.GENERAL, "link is closing");
      return;
    }
    if (streams.size() + deferredOpens.size() >= link.peerMaxStreams()) {
      listener.onRefused(RefuseCode.TOO_MANY_STREAMS, "link has " + streams.size() + " streams");
      return;
    }
    if (link.peerMaxPendingOpens() > 0 && opening >= link.peerMaxPendingOpens()) {
      // The server would refuse this OPEN (too many opening at once): hold it until one of those
      // is answered. The socket's bytes wait in its StreamSocketHandler meanwhile.
      StreamSocketHandler.install(socket);
      deferredOpens.add(new DeferredOpen(destination, socket, listener, zeroRtt));
      return;
    }
    sendOpen(destination, socket, listener, zeroRtt);
  }

  /**
   * Server: opens a stream toward the client for a connection accepted on listener {@code
   * listenerId} (ROPEN, PROTOCOL.md §10.2). {@code socket} is registered on this link's loop with
   * AUTO_READ off, and is read only after OPENED. {@code destination} is a proxy listener's
   * request; empty for a forward listener.
   *
   * @return the stream's id, or 0 when it was refused at once (the listener was told)
   */
  public int openReverse(
      int listenerId,
      java.util.Optional<Destination> destination,
      Channel socket,
      StreamListener l) {
    if (!ctx.executor().inEventLoop() || socket.eventLoop() != ctx.executor()) {
      throw new IllegalStateException(
          "openReverse must run on the link's event loop with a socket of that loop");
    }
    if (link.role() != LinkEstablished.Role.SERVER) {
      throw new IllegalStateException("only the server opens reverse streams");
    }
    if (!isUsable()) {
      l.onRefused(RefuseCode.SHUTTING_DOWN, "link is closing");
      return 0;
    }
    if (streams.size() >= Math.min(config.maxStreams(), link.peerMaxStreams())) {
      l.onRefused(RefuseCode.TOO_MANY_STREAMS, "link has " + streams.size() + " streams");
      return 0;
    }
    int id = nextStreamId;
    sendOpen(
        destination.orElse(null),
        socket,
        l,
        false,
        new Frame.ReverseOpen(id, listenerId, destination));
    return id;
  }

  private record DeferredOpen(
      Destination destination, Channel socket, StreamListener listener, boolean zeroRtt) {}

  private void sendOpen(
      Destination destination, Channel socket, StreamListener listener, boolean zeroRtt) {
    sendOpen(destination, socket, listener, zeroRtt, new Frame.Open(nextStreamId, destination));
  }

  private void sendOpen(
      Destination destination,
      Channel socket,
      StreamListener listener,
      boolean zeroRtt,
      Frame open) {
    opening++;
    int id = nextStreamId;
    nextStreamId += 2;
    Stream s = new Stream(id, link.peerInitialWindow(), config.initialWindow(), listener);
    s.readBeforeOpened = zeroRtt;
    s.requested = destination;
    streams.put(id, s);
    ctx.write(open, ctx.voidPromise()); // before any DATA from attach
    attach(s, socket);
    maybeRead(s);
    if (zeroRtt) {
      flushAfterNextRead();
    } else {
      ctx.flush();
    }
  }

  private boolean openFlushScheduled;

  /**
   * Sends the OPENs written in this turn of the loop together with the first DATA of their sockets
   * when it is already there, as it usually is when the application speaks first: the loop's next
   * I/O round reads it, and its read-complete flush seals OPEN and DATA into one record (a record,
   * a send and a decryption less on each side per connection). The flush that follows is a task due
   * at once, scheduled twice over: the loop takes in the scheduled tasks that are due once per
   * turn, before running its tasks, so the first hop runs after the I/O round in which the socket
   * was accepted and the second after the next one. An OPEN whose socket has nothing to say yet (a
   * server that speaks first) leaves then, a loop turn later, without waiting for anything else.
   */
  private void flushAfterNextRead() {
    if (openFlushScheduled) {
      return;
    }
    openFlushScheduled = true;
    ctx.executor()
        .schedule(
            () ->
                ctx.executor()
                    .schedule(
                        () -> {
                          openFlushScheduled = false;
                          ctx.flush();
                        },
                        0,
                        TimeUnit.NANOSECONDS),
            0,
            TimeUnit.NANOSECONDS);
  }

  // ---- inbound frames --------------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    idleRounds = 0;
    if (!(msg instanceof Frame f)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    switch (f) {
      case Frame.Open o -> onOpen(o);
      case Frame.OpenBadName o -> onOpenBadName(o);
      case Frame.Opened o -> onOpened(o);
      case Frame.Refused r -> onRefused(r);
      case Frame.Data d -> onData(d);
      case Frame.Window w -> onWindow(w);
      case Frame.Fin fin -> onFin(fin);
      case Frame.Reset r -> onReset(r);
      case Frame.Ping p -> writeControl(new Frame.Pong(p.opaque()));
      case Frame.Pong p -> {}
      case Frame.GoAway g -> onGoAway(g);
      case Frame.Rekey r -> throw new IllegalStateException("record layer passed up " + f);
      case Frame.KeyExchange k -> throw new IllegalStateException("record layer passed up " + f);
      case Frame.KeyExchangeDone k ->
          throw new IllegalStateException("record layer passed up " + f);
      case Frame.ReverseOpen r -> onReverseOpen(r);
      case Frame.Listen l -> onListenerFrame(f, LinkEstablished.Role.SERVER);
      case Frame.Listening l -> onListenerFrame(f, LinkEstablished.Role.CLIENT);
      case Frame.ListenRefused r -> onListenerFrame(f, LinkEstablished.Role.CLIENT);
      case Frame.Unlisten u -> onListenerFrame(f, link.role());
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
  }

  /** PROTOCOL.md §10.1: listener frames go one way each, and only to a side that handles them. */
  private void onListenerFrame(Frame f, LinkEstablished.Role receiver) {
    if (link == null || link.role() != receiver || listenerFrames == null) {
      protocolError("unexpected " + f.getClass().getSimpleName() + " frame");
      return;
    }
    listenerFrames.accept(f);
  }

  /**
   * Takes {@code id} as the peer's newest stream if it may open it; else fails the link. The client
   * opens odd ids with OPEN (to a server's exit); the server even ids with ROPEN (to a client that
   * asked for listeners).
   */
  private boolean acceptPeerStreamId(int id) {
    boolean server = link.role() == LinkEstablished.Role.SERVER;
    boolean handled = server ? exit != null : reverseExit != null;
    boolean peerParity = ((id & 1) == 1) == server;
    if (!handled || !peerParity || Integer.compareUnsigned(id, lastPeerStreamId) <= 0) {
      protocolError((server ? "OPEN" : "ROPEN") + " of stream " + Integer.toUnsignedString(id));
      return false;
    }
    lastPeerStreamId = id;
    return true;
  }

  /**
   * PROTOCOL.md §5: a name with bytes no name may hold is refused for its own stream (the id is
   * used up, as any refused one), not answered with GOAWAY: a local application behind an older or
   * foreign client chose the name, and it must not cost every other stream on the link.
   */
  private void onOpenBadName(Frame.OpenBadName o) {
    if (acceptPeerStreamId(o.stream())) {
      refused[RefuseCode.HOST_UNREACHABLE.ordinal()]++;
      writeControl(new Frame.Refused(o.stream(), RefuseCode.HOST_UNREACHABLE, "bad host name"));
    }
  }

  private void onOpen(Frame.Open o) {
    if (link.role() != LinkEstablished.Role.SERVER) {
      protocolError("OPEN from the server, stream " + Integer.toUnsignedString(o.stream()));
      return;
    }
    int id = o.stream();
    if (!acceptPeerStreamId(id)) {
      return;
    }
    if (!admitPeerStream(id)) {
      return;
    }
    Stream s =
        new Stream(id, link.peerInitialWindow(), config.initialWindow(), StreamListener.NONE);
    s.requested = o.destination();
    startExit(s, cb -> exit.open(link.peerName(), o.destination(), ctx.channel().eventLoop(), cb));
  }

  /** Client: the server opens a stream for a connection on one of our listeners (§10.2). */
  private void onReverseOpen(Frame.ReverseOpen r) {
    if (link.role() != LinkEstablished.Role.CLIENT) {
      protocolError("ROPEN from the client, stream " + Integer.toUnsignedString(r.stream()));
      return;
    }
    int id = r.stream();
    if (!acceptPeerStreamId(id) || !admitPeerStream(id)) {
      return;
    }
    Stream s =
        new Stream(id, link.peerInitialWindow(), config.initialWindow(), StreamListener.NONE);
    s.requested = r.destination().orElse(null);
    startExit(
        s, cb -> reverseExit.open(r.listener(), r.destination(), ctx.channel().eventLoop(), cb));
  }

  /** Refuses a new peer stream while going away or past the limits; true if it may open. */
  private boolean admitPeerStream(int id) {
    if (goawaySent) {
      refused[RefuseCode.SHUTTING_DOWN.ordinal()]++;
      writeControl(new Frame.Refused(id, RefuseCode.SHUTTING_DOWN, ""));
      return false;
    }
    // The pending-opens cap guards the server's resolver and connects against a client's flood;
    // the client does not announce one (P1 has no such field), so the server cannot pace its
    // ROPENs by it: a client caps reverse streams by its maximum streams alone.
    boolean pacing = link.role() == LinkEstablished.Role.SERVER;
    if (streams.size() >= config.maxStreams()
        || (pacing && pendingOpens >= config.maxPendingOpens())) {
      streamLimitHits++;
      logLimit(
          "refusing streams past the limit of "
              + config.maxStreams()
              + " streams / "
              + config.maxPendingOpens()
              + " opening (--max-streams, --max-pending-opens): "
              + streamLimitHits
              + " so far");
      refused[RefuseCode.TOO_MANY_STREAMS.ordinal()]++;
      writeControl(
          new Frame.Refused(
              id,
              RefuseCode.TOO_MANY_STREAMS,
              streams.size() + " streams, " + pendingOpens + " opening"));
      return false;
    }
    return true;
  }

  /** Registers the peer's new stream and lets {@code start} begin connecting it. */
  private void startExit(Stream s, Consumer<Exit.Callback> start) {
    s.readBeforeOpened = false;
    streams.put(s.id, s);
    pendingOpens++;
    start.accept(
        new Exit.Callback() {
          /**
           * OPENED went out before the decision (PROTOCOL.md §6.1): the open is answered already.
           */
          private boolean waited;

          @Override
          public void connected(Channel socket, Destination bound) {
            if (!waited) {
              pendingOpens--;
            }
            if (s.state == Stream.State.CLOSED) {
              abort(socket);
              return;
            }
            s.judge = null;
            if (s.state != Stream.State.OPEN) {
              streamsOpened++; // else counted when OPENED went out before the first bytes
            }
            s.state = Stream.State.OPEN;
            s.connected = bound;
            if (!waited) {
              // OPENED goes before any DATA the destination already sent (a SOCKS front answers
              // its application on OPENED, and that answer must come first).
              ctx.write(new Frame.Opened(s.id, bound), ctx.voidPromise());
            }
            // Bound before the early DATA is written: a socket that fills and drains again during
            // the flush says so to its handler, which must know the stream by then. Held first
            // bytes go out here as they were received, before anything else.
            attach(s, socket);
            drainInbound(s);
            maybeRead(s);
            ctx.flush();
          }

          @Override
          public void refused(RefuseCode code, String reason) {
            if (waited) {
              throw new IllegalStateException(
                  "refused after OPENED for stream " + s.id + " (expected: reset)");
            }
            pendingOpens--;
            if (s.state == Stream.State.CLOSED) {
              return;
            }
            close(s, "refused: " + code.text);
            refused[code.ordinal()]++;
            ctx.writeAndFlush(new Frame.Refused(s.id, code, reason), ctx.voidPromise());
          }

          @Override
          public Exit.HeldBytes awaitFirstBytes(
              Destination opened, int maxBytes, Exit.Judge judge) {
            if (waited) {
              throw new IllegalStateException("stream " + s.id + " awaits its first bytes already");
            }
            if (maxBytes < 1 || maxBytes > config.initialWindow()) {
              throw new IllegalArgumentException(
                  "maxBytes: "
                      + maxBytes
                      + " (expected: 1~"
                      + config.initialWindow()
                      + ", the initial window)");
            }
            waited = true;
            pendingOpens--; // answered: the client counts it as open from OPENED on
            if (s.state == Stream.State.CLOSED) {
              return null;
            }
            s.state = Stream.State.OPEN;
            streamsOpened++;
            s.connected = opened;
            s.judge = judge;
            s.firstBytesMax = maxBytes;
            ctx.writeAndFlush(new Frame.Opened(s.id, opened), ctx.voidPromise());
            return new Held(s);
          }

          @Override
          public void reset(ResetCode code) {
            if (!waited) {
              throw new IllegalStateException(
                  "reset before OPENED for stream " + s.id + " (expected: refused)");
            }
            s.judge = null; // it answered: not told of the stream's end
            if (s.state != Stream.State.CLOSED) {
              resetAfterOpened[code.ordinal()]++;
            }
            Mux.this.reset(s, code); // frees the held bytes
          }
        });
  }

  /**
   * A waiting stream's held DATA as the exit sees it (PROTOCOL.md §6.1). While the stream waits,
   * every byte it received is held: nothing is written anywhere before the decision.
   */
  private static final class Held implements Exit.HeldBytes {
    private static final ByteBuffer NONE = ByteBuffer.allocate(0).asReadOnlyBuffer();
    private final Stream s;

    Held(Stream s) {
      this.s = s;
    }

    /**
     * The first buffer's own memory when it holds all the bytes to look at, which is the usual
     * case: a ClientHello or request head comes in one DATA frame, or small frames are gathered
     * into one collecting buffer. Only bytes split over several buffers (a small frame after a
     * large one) are copied, at most {@code maxBytes} (16 KiB), for the inspection alone: what goes
     * to the destination is always the held buffers themselves.
     */
    @Override
    public ByteBuffer view() {
      int n = Math.min(size(), s.firstBytesMax);
      ByteBuf first = s.inbound.peek();
      if (n == 0 || first == null) {
        return NONE;
      }
      if (first.readableBytes() >= n) {
        return first.nioBuffer(first.readerIndex(), n).asReadOnlyBuffer();
      }
      byte[] copy = new byte[n];
      int at = 0;
      for (ByteBuf b : s.inbound) {
        int k = Math.min(b.readableBytes(), n - at);
        b.getBytes(b.readerIndex(), copy, at, k);
        at += k;
        if (at == n) {
          break;
        }
      }
      return ByteBuffer.wrap(copy).asReadOnlyBuffer();
    }

    @Override
    public int size() {
      return s.state == Stream.State.CLOSED ? 0 : (int) s.bytesIn;
    }

    @Override
    public boolean fin() {
      return s.finReceived;
    }

    @Override
    public boolean full() {
      return size() >= s.firstBytesMax;
    }
  }

  /**
   * A waiting stream got more bytes or the client's FIN: its exit decides again, once the link's
   * current read is done (a task on the loop runs after the read). The outcome is the same as
   * deciding on every DATA frame — the decision is taken on all bytes held, and bytes after a
   * complete start change nothing — but a client that sends its start one byte per frame costs one
   * inspection per read of the link instead of one per byte: each inspection reads every byte held,
   * and 16 Ki of them over 16 KiB took about 150 ms of CPU.
   */
  private void askJudge(Stream s) {
    if (s.judge == null || s.judgeDue || s.state == Stream.State.CLOSED) {
      return;
    }
    s.judgeDue = true;
    if (judgesDue.isEmpty()) {
      ctx.executor().execute(this::askJudges);
    }
    judgesDue.add(s);
  }

  private void askJudges() {
    for (Stream s; (s = judgesDue.poll()) != null; ) {
      s.judgeDue = false;
      if (s.judge != null && s.state != Stream.State.CLOSED) {
        s.judge.onFirstBytes(new Held(s)); // may reset the stream (RESET 05), which flushes
      }
    }
  }

  private void onOpened(Frame.Opened o) {
    Stream s = streams.get(o.stream());
    if (s == null) {
      return; // we reset it meanwhile
    }
    if (s.state != Stream.State.OPENING || !ours(s.id)) {
      protocolError("OPENED for stream " + o.stream() + " in state " + s.state);
      return;
    }
    s.state = Stream.State.OPEN;
    streamsOpened++;
    s.connected = o.bound();
    answered();
    s.listener.onOpened(o.bound());
    maybeRead(s);
  }

  /** Client: an OPEN was answered (OPENED, REFUSED, or the stream ended first): send a held one. */
  private void answered() {
    opening--;
    while (!deferredOpens.isEmpty() && opening < link.peerMaxPendingOpens() && isUsable()) {
      DeferredOpen d = deferredOpens.poll();
      if (d.socket().isActive()) {
        sendOpen(d.destination(), d.socket(), d.listener(), d.zeroRtt());
      }
    }
  }

  private void onRefused(Frame.Refused r) {
    Stream s = streams.get(r.stream());
    if (s == null) {
      return;
    }
    if (s.state != Stream.State.OPENING || !ours(s.id)) {
      protocolError("REFUSED for stream " + r.stream() + " in state " + s.state);
      return;
    }
    Channel socket = s.socket;
    refused[r.code().ordinal()]++;
    close(s, "refused: " + r.code().text);
    s.listener.onRefused(r.code(), r.reason());
    if (socket != null && socket.isOpen()) {
      abort(socket);
    }
  }

  private void onData(Frame.Data d) {
    Stream s = streams.get(d.stream());
    if (s == null) {
      d.release(); // reset or refused meanwhile: the peer had not seen it yet
      return;
    }
    int n = d.payload().readableBytes();
    if (s.finReceived || !s.recvWindow.onReceived(n)) {
      d.release();
      reset(s, ResetCode.PROTOCOL_ERROR);
      return;
    }
    s.bytesIn += n;
    if (link.role() == LinkEstablished.Role.SERVER) {
      bytesFromClient += n;
    } else {
      bytesToClient += n;
    }
    ByteBuf payload = d.payload();
    if (s.socket != null && s.inbound.isEmpty() && s.socket.isWritable()) {
      if (!charge(s, n + BufferBudget.PER_BUFFER)) {
        payload.release();
        return;
      }
      writeToSocket(s, payload);
      s.socket.flush();
      return;
    }
    hold(s, payload);
    askJudge(s);
  }

  /**
   * Keeps {@code payload} in the stream's inbound queue until its socket exists and can take it. A
   * small payload is appended to the stream's collecting buffer (started if needed), so that a
   * window's worth of one-byte frames is one buffer, not 256 Ki buffers of a hundred bytes each.
   */
  private void hold(Stream s, ByteBuf payload) {
    int n = payload.readableBytes();
    if (n >= COLLECT_BELOW) {
      if (charge(s, n + BufferBudget.PER_BUFFER)) {
        s.inbound.add(payload);
        s.collecting = null;
      } else {
        payload.release();
      }
      return;
    }
    ByteBuf into = s.collecting;
    boolean fresh = into == null || into.readableBytes() + n > COLLECT_MAX;
    if (!charge(s, fresh ? n + BufferBudget.PER_BUFFER : n)) {
      payload.release();
      return;
    }
    try {
      if (fresh) {
        into = ctx.alloc().directBuffer(n, COLLECT_MAX);
        s.inbound.add(into);
        s.collecting = into;
      }
      into.writeBytes(payload);
    } finally {
      payload.release();
    }
  }

  /**
   * Hands held DATA to the socket while it takes more; the peer's FIN follows the last byte. Writes
   * stop when the socket's outbound buffer passes its high water mark; the flush may empty it into
   * the kernel at once, so the socket is asked again after each flush.
   */
  private void drainInbound(Stream s) {
    while (s.state != Stream.State.CLOSED && !s.inbound.isEmpty() && s.socket.isWritable()) {
      for (ByteBuf b;
          s.state != Stream.State.CLOSED
              && s.socket.isWritable()
              && (b = s.inbound.poll()) != null; ) {
        if (b == s.collecting) {
          s.collecting = null;
        }
        writeToSocket(s, b);
      }
      s.socket.flush();
    }
    if (s.state != Stream.State.CLOSED && s.finReceived && s.inbound.isEmpty()) {
      shutdownOutputAfterWrites(s);
    }
  }

  /** The socket's outbound buffer went below its low water mark: it takes held DATA again. */
  void onSocketWritable(Stream s) {
    if (s.state != Stream.State.CLOSED && !s.inbound.isEmpty()) {
      drainInbound(s);
    }
  }

  /**
   * Charges {@code bytes} held for {@code s} to the link's budget; on refusal resets the stream
   * (its held bytes are freed) and returns false.
   */
  private boolean charge(Stream s, long bytes) {
    if (account == null) {
      return true;
    }
    if (!account.tryCharge(bytes)) {
      budgetHits++;
      logLimit(
          "buffered stream data over this link's share of the server's budget ("
              + (budget.fairShare() >> 10)
              + " KiB of "
              + (budget.limit() >> 10)
              + " KiB; it holds "
              + (account.used() >> 10)
              + " KiB): resetting streams, "
              + budgetHits
              + " so far");
      reset(s, ResetCode.INTERNAL);
      return false;
    }
    s.charged += bytes;
    return true;
  }

  private void uncharge(Stream s, long bytes) {
    if (account != null) {
      s.charged -= bytes;
      account.release(bytes);
    }
  }

  private long budgetHits;

  /**
   * The server's budget is spent and this link holds more than its fair share: its streams holding
   * the most are reset until it is back within its share (their buffers are freed at once, and
   * their sockets' pending writes fail and give back theirs).
   */
  private void shedOverShare() {
    if (account == null) {
      return;
    }
    long excess = account.shedding();
    if (excess <= 0 || !ctx.channel().isActive()) {
      return;
    }
    ArrayList<Stream> byCharge = new ArrayList<>(streams.values());
    byCharge.sort((a, b) -> Long.compare(b.charged, a.charged));
    budgetHits++;
    logLimit(
        "buffered stream data over this link's share of the server's budget ("
            + (budget.fairShare() >> 10)
            + " KiB of "
            + (budget.limit() >> 10)
            + " KiB; it holds "
            + (account.used() >> 10)
            + " KiB) while another link needs it: resetting streams, "
            + budgetHits
            + " so far");
    for (Stream s : byCharge) {
      if (excess <= 0 || s.charged <= 0) {
        break;
      }
      excess -= s.charged;
      reset(s, ResetCode.INTERNAL);
    }
  }

  /**
   * Writes {@code payload} (ours; the socket releases it) to the stream's socket, not flushed. When
   * the write is done its bytes go back to the budget and, if it succeeded, to the peer's window.
   */
  private void writeToSocket(Stream s, ByteBuf payload) {
    int n = payload.readableBytes();
    s.lastWrite = s.socket.write(payload);
    s.lastWrite.addListener(
        (ChannelFutureListener)
            f -> {
              uncharge(s, n + BufferBudget.PER_BUFFER);
              if (!f.isSuccess()) {
                if (s.state != Stream.State.CLOSED) {
                  reset(s, ResetCode.CANCEL);
                }
                return;
              }
              if (s.state == Stream.State.CLOSED) {
                return;
              }
              int credit = s.recvWindow.onConsumed(n);
              if (credit > 0 && ctx.channel().isActive()) {
                long wait = throttle.consume(credit);
                if (wait <= 0) {
                  ctx.writeAndFlush(new Frame.Window(s.id, credit), ctx.voidPromise());
                } else {
                  ctx.executor()
                      .schedule(
                          () -> {
                            if (s.state != Stream.State.CLOSED && ctx.channel().isActive()) {
                              ctx.writeAndFlush(new Frame.Window(s.id, credit), ctx.voidPromise());
                            }
                          },
                          wait,
                          java.util.concurrent.TimeUnit.NANOSECONDS);
                }
              }
            });
  }

  private void onWindow(Frame.Window w) {
    Stream s = streams.get(w.stream());
    if (s == null) {
      return;
    }
    if (!s.sendWindow.onWindowUpdate(w.increment())) {
      reset(s, ResetCode.PROTOCOL_ERROR);
      return;
    }
    sendUnsent(s);
    maybeRead(s);
  }

  private void onFin(Frame.Fin fin) {
    Stream s = streams.get(fin.stream());
    if (s == null) {
      return;
    }
    if (s.finReceived) {
      reset(s, ResetCode.PROTOCOL_ERROR);
      return;
    }
    s.finReceived = true;
    if (s.socket != null && s.inbound.isEmpty()) {
      shutdownOutputAfterWrites(s); // else once the held DATA is written (drainInbound)
    }
    askJudge(s); // waiting for its first bytes: none are coming now
  }

  private void onReset(Frame.Reset r) {
    Stream s = streams.get(r.stream());
    if (s == null) {
      return;
    }
    Channel socket = s.socket;
    close(s, "reset by peer: " + r.code().text);
    if (socket != null) {
      abort(socket);
    }
    if (link.role() == LinkEstablished.Role.CLIENT
        && (r.code() == ResetCode.POLICY || r.code() == ResetCode.UNREACHABLE)) {
      // As a REFUSED is logged by the fronts: the server decided on the stream's first bytes
      // (PROTOCOL.md §6.1), after OPENED; its reasons are in its own log, not on the wire.
      Log.info("stream to " + s.requested + " reset by the server: " + r.code().text);
    }
  }

  private void onGoAway(Frame.GoAway g) {
    goawayReceived = true;
    goAwayListener.onGoAway(g.code(), g.reason());
    if (streams.isEmpty()) {
      closeLinkAfterWrites();
    }
  }

  private void onIdle() {
    if (link == null) {
      return; // the handshake has its own deadline
    }
    idleRounds++;
    if (idleRounds >= MAX_IDLE_ROUNDS) {
      // Dead: close now. Waiting for our writes to go out first would wait for as long as the
      // path is gone (TCP gives up after ~15 min) whenever stream data is queued on the link.
      // The GOAWAY is a courtesy that gets out only if the socket has room for it.
      ctx.writeAndFlush(
          new Frame.GoAway(GoawayCode.TIMEOUT, "nothing received"), ctx.voidPromise());
      ctx.close();
      return;
    }
    ctx.writeAndFlush(new Frame.Ping(ThreadLocalRandom.current().nextLong()), ctx.voidPromise());
  }

  /** Stops accepting new streams; the link closes when the last stream ends. */
  public void goAway(GoawayCode code, String reason) {
    if (!goawaySent) {
      goawaySent = true;
      ctx.writeAndFlush(new Frame.GoAway(code, reason), ctx.voidPromise());
    }
    if (streams.isEmpty()) {
      closeLinkAfterWrites();
    }
  }

  // ---- the socket side -------------------------------------------------------------------------

  private void attach(Stream s, Channel socket) {
    s.socket = socket;
    StreamSocketHandler.of(socket).bind(this, s);
  }

  /** Called with each buffer read from a stream's socket; takes ownership of {@code buf}. */
  void onSocketData(Stream s, ByteBuf buf) {
    if (s.state == Stream.State.CLOSED || s.finSent) {
      buf.release();
      return;
    }
    long wait = throttle.consume(buf.readableBytes());
    if (wait > 0) {
      s.throttledUntil = System.nanoTime() + wait;
      ctx.executor().schedule(() -> maybeRead(s), wait, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    s.unsent.add(buf);
    sendUnsent(s);
  }

  /**
   * Sends queued socket bytes as far as the window allows; FIN follows the last of them.
   *
   * <p>A frame is not cut to fit a sliver of window: with less credit left than the next frame and
   * less than half the peer's initial window, the bytes wait for credit. Otherwise a bulk stream
   * sends a 96-byte frame and its 65,416-byte rest at every turn of the window (a 256 KiB window is
   * 4 full frames and 96 bytes), two records and wake-ups for one. It cannot stall: more than half
   * the peer's window is then in flight, and the peer returns credit at half (PROTOCOL.md §6).
   */
  private void sendUnsent(Stream s) {
    ByteBuf buf;
    while ((buf = s.unsent.peek()) != null && s.sendWindow.available() > 0) {
      int whole = Math.min(buf.readableBytes(), Frame.MAX_DATA);
      int credit = s.sendWindow.available();
      if (credit < whole && credit < link.peerInitialWindow() / 2) {
        break;
      }
      int n = Math.min(whole, credit);
      s.sendWindow.consume(n);
      s.bytesOut += n;
      if (link.role() == LinkEstablished.Role.SERVER) {
        bytesToClient += n;
      } else {
        bytesFromClient += n;
      }
      ctx.write(new Frame.Data(s.id, buf.readRetainedSlice(n)), ctx.voidPromise());
      if (!buf.isReadable()) {
        s.unsent.poll().release();
      }
    }
    if (s.unsent.isEmpty() && s.socketEof) {
      sendFin(s);
    }
  }

  void onSocketReadComplete(Stream s) {
    ctx.flush();
    maybeRead(s);
  }

  /** The application shut its output: FIN, once everything read before it has gone out. */
  void onSocketEof(Stream s) {
    if (s.state == Stream.State.CLOSED || s.socketEof) {
      return;
    }
    s.socketEof = true;
    if (s.unsent.isEmpty()) {
      sendFin(s);
      ctx.flush();
    }
  }

  private void sendFin(Stream s) {
    if (s.finSent) {
      return;
    }
    s.finSent = true;
    ctx.write(new Frame.Fin(s.id), ctx.voidPromise());
    maybeFinish(s);
  }

  /** The socket closed or failed. Unless both directions had finished cleanly, that is a reset. */
  void onSocketClosed(Stream s, boolean error) {
    if (s.state == Stream.State.CLOSED) {
      return;
    }
    if (!error && s.finSent && s.finReceived && s.outputShutdown) {
      close(s, "fin");
      return;
    }
    if (!error && s.outputShutdown && !s.socketEof) {
      // Our side was shut first, so half-closure was turned off (shutdownOutputAfterWrites): the
      // transport read every byte up to the peer's FIN, then closed instead of shutting input.
      // That FIN ends our read side like any other; bytes still waiting for window go first.
      onSocketEof(s);
      return;
    }
    reset(
        s,
        error && link.role() == LinkEstablished.Role.SERVER
            ? ResetCode.DESTINATION_RESET
            : ResetCode.CANCEL);
  }

  /**
   * Ends the socket's output once everything queued for it is written. Both ways avoid an exception
   * (with its stack trace) per stream that the plain half-close costs in Netty's epoll transport,
   * and a syscall or two; the connection benchmark showed no difference beyond its noise:
   *
   * <ul>
   *   <li>When the application's FIN is in and ours went out, the stream is done: close the socket
   *       (a FIN, as the input is at its end) instead of shutting output first, which builds a
   *       ChannelOutputShutdownException every time.
   *   <li>Otherwise shut output and turn half-closure off: the peer's FIN then closes the socket
   *       ({@link #onSocketClosed}) instead of making the transport shut input on a socket already
   *       shut both ways, which fails with ENOTCONN.
   * </ul>
   */
  private void shutdownOutputAfterWrites(Stream s) {
    if (s.outputEnding) {
      return;
    }
    s.outputEnding = true;
    Runnable shut =
        () -> {
          if (s.state == Stream.State.CLOSED || !(s.socket instanceof DuplexChannel dc)) {
            return;
          }
          if (s.finSent && s.socketEof) {
            s.outputShutdown = true;
            maybeFinish(s); // closes the socket
            return;
          }
          dc.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
          dc.shutdownOutput()
              .addListener(
                  f -> {
                    s.outputShutdown = true;
                    maybeFinish(s);
                  });
        };
    if (s.lastWrite == null || s.lastWrite.isDone()) {
      shut.run();
    } else {
      s.lastWrite.addListener(f -> shut.run());
    }
  }

  private void maybeFinish(Stream s) {
    if (s.finSent && s.finReceived && s.outputShutdown && s.state != Stream.State.CLOSED) {
      Channel socket = s.socket;
      close(s, "fin");
      socket.close();
    }
  }

  void maybeRead(Stream s) {
    if (!s.readable() || (s.throttledUntil != 0 && System.nanoTime() - s.throttledUntil < 0)) {
      return;
    }
    if (!ctx.channel().isWritable()) {
      if (!s.waitingForLink) {
        s.waitingForLink = true;
        waitingForLink.add(s);
      }
      return;
    }
    s.socket.read();
  }

  /**
   * Writes a frame that answers the peer (not flushed: the read loop flushes). While the link is
   * not writable these are counted, and a peer that makes us queue more than the limit loses its
   * link.
   */
  private void writeControl(Frame f) {
    if (!ctx.channel().isWritable() && ++queuedControlFrames > maxQueuedControlFrames) {
      if (ctx.channel().isActive()) {
        Log.warn(
            describeLink()
                + ": peer made us queue "
                + queuedControlFrames
                + " control frames (PONG/REFUSED/RESET) without reading them; closing the link");
        ctx.close();
      }
      return;
    }
    ctx.write(f, ctx.voidPromise());
  }

  private long streamLimitHits;
  private long limitLoggedAt = Long.MIN_VALUE;

  /**
   * Logs a limit that fired: once per link and minute at most, so a flood does not flood the log.
   */
  private void logLimit(String what) {
    long now = System.nanoTime();
    if (limitLoggedAt == Long.MIN_VALUE || now - limitLoggedAt >= 60_000_000_000L) {
      limitLoggedAt = now;
      Log.info(describeLink() + ": " + what);
    }
  }

  private String describeLink() {
    return "link "
        + (link == null ? "?" : link.peerName())
        + " from "
        + (peerAddress != null ? peerAddress : ctx.channel().remoteAddress());
  }

  /**
   * Where the peer is, for log lines, when that is not the socket's address: a server behind a load
   * balancer names the client's address from the PROXY header. Call before the link is up.
   */
  public void setPeerAddress(String address) {
    this.peerAddress = address;
  }

  private String peerAddress;

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      queuedControlFrames = 0;
      // Resume every stream that paused for the link, in the order they paused.
      for (int i = waitingForLink.size(); i > 0 && ctx.channel().isWritable(); i--) {
        Stream s = waitingForLink.poll();
        s.waitingForLink = false;
        maybeRead(s);
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  // ---- ending ----------------------------------------------------------------------------------

  private void reset(Stream s, ResetCode code) {
    if (s.state == Stream.State.CLOSED) {
      return;
    }
    Channel socket = s.socket;
    boolean refusedEarly = s.state == Stream.State.OPENING && ours(s.id);
    if (ctx.channel().isActive()) {
      ctx.writeAndFlush(
          new Frame.Reset(s.id, code), ctx.voidPromise()); // before close(s) may end the link
    }
    close(s, "reset: " + code.text);
    if (refusedEarly) {
      s.listener.onRefused(RefuseCode.GENERAL, "stream reset: " + code.text);
    }
    if (socket != null) {
      abort(socket);
    }
  }

  /** Forgets the stream and frees its buffers; does not touch the socket or the wire. */
  private void close(Stream s, String how) {
    if (s.state == Stream.State.CLOSED) {
      return;
    }
    boolean wasOpening = s.state == Stream.State.OPENING && ours(s.id);
    s.state = Stream.State.CLOSED;
    boolean server = link.role() == LinkEstablished.Role.SERVER;
    observer.onStreamEnd(
        link.peerName(),
        s.id,
        s.requested,
        s.connected,
        server ? s.bytesIn : s.bytesOut,
        server ? s.bytesOut : s.bytesIn,
        System.nanoTime() - s.openedAt,
        how);
    streams.remove(s.id);
    s.unsent.forEach(ByteBuf::release);
    s.unsent.clear();
    // Held DATA is freed now; what the socket is still writing is freed (and uncharged) when the
    // socket closes and fails those writes.
    for (ByteBuf b; (b = s.inbound.poll()) != null; ) {
      uncharge(s, b.readableBytes() + BufferBudget.PER_BUFFER);
      b.release();
    }
    s.collecting = null;
    if (s.judge != null) {
      Exit.Judge judge = s.judge;
      s.judge = null;
      judge.onStreamEnd(); // its timer goes; the stream's limits slot goes with onStreamEnd above
    }
    if (wasOpening) {
      answered();
    }
    if (streams.isEmpty() && deferredOpens.isEmpty() && (goawaySent || goawayReceived)) {
      closeLinkAfterWrites();
    }
  }

  /**
   * Closes the link once everything written so far has gone out: a plain close would drop
   * flushed-but-unwritten frames, such as the last stream's FIN after a GOAWAY.
   */
  private void closeLinkAfterWrites() {
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /** Closes a socket with a TCP RST, so the application sees a reset and not a clean end. */
  public static void abort(Channel socket) {
    if (socket.isOpen()) {
      try {
        socket.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // not every channel supports linger; a plain close is the next best thing
      }
      socket.close();
    }
  }

  private void protocolError(String why) {
    ctx.writeAndFlush(new Frame.GoAway(GoawayCode.PROTOCOL_ERROR, why), ctx.voidPromise());
    closeLinkAfterWrites();
  }

  /** The link is gone: every stream is reset toward its application, never silently truncated. */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    for (Stream s : new ArrayList<>(streams.values())) {
      Channel socket = s.socket;
      boolean opening = s.state == Stream.State.OPENING;
      close(s, "link closed");
      if (opening && link != null && ours(s.id)) {
        s.listener.onRefused(RefuseCode.GENERAL, "link closed");
      }
      if (socket != null) {
        abort(socket);
      }
    }
    for (DeferredOpen d; (d = deferredOpens.poll()) != null; ) {
      d.listener().onRefused(RefuseCode.GENERAL, "link closed");
      abort(d.socket());
    }
    waitingForLink.clear();
    if (account != null) {
      account.close();
    }
    super.channelInactive(ctx);
  }
}
