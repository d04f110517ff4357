package dev.ett.exit;

import dev.ett.inspect.FirstBytes;
import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import dev.ett.mux.Exit;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.policy.Decision;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Host;
import dev.ett.policy.HostParser;
import dev.ett.policy.OwnAddresses;
import dev.ett.policy.Request;
import dev.ett.policy.StreamStart;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The server's way out: resolves the destination itself, checks the policy against every address it
 * might use, and connects to exactly an address that passed — never re-resolving, so a name that
 * changes its answer between check and connect (DNS rebinding) cannot slip through.
 *
 * <p>Steps for one stream:
 *
 * <ol>
 *   <li>The requested host is parsed with {@link HostParser}: every numeric spelling ({@code
 *       127.1}, {@code 0x7f.1}, {@code 2130706433}, {@code [::ffff:127.0.0.1]}) becomes the address
 *       it denotes before any rule sees it. A host that is neither is refused (HOST_UNREACHABLE).
 *   <li>A name is resolved by the {@link Resolver}: a name in the {@code --hosts} table at once, on
 *       the event loop; any other name by an asynchronous DNS lookup that ends within the
 *       resolution timeout (TIMED_OUT "name did not resolve within N s" if not). A client may have
 *       {@link Resolver.Options#maxLookupsPerClient} DNS lookups in flight across its links; one
 *       more is refused at once (GENERAL, "client limit: ..."), not queued: a queue would make the
 *       client's good names wait behind its hanging ones, while a refusal tells the application
 *       now, and lookups that answer take milliseconds, so a client that is not stuck rarely has
 *       more than a few in flight.
 *   <li>Each address is checked: name rules against the name asked for, address rules against the
 *       address. Refused addresses are dropped; if none is left, REFUSED POLICY with the first
 *       refusal's reason.
 *   <li>If the decision for some address waits for the stream's first bytes (a rule with a
 *       protocol, {@code accept *:443 tls}: PROTOCOL.md §6.1), the stream is opened at once without
 *       a socket ({@link Result#awaitFirstBytes}) and every address is decided again on the bytes
 *       the mux holds ({@link FirstBytesWait}) until none waits, at the latest at the byte or time
 *       bound ({@link FirstBytesBounds}); then on as above and below, a refusal now being a RESET.
 *       When no address waits, nothing of this runs: the stream costs what it did before.
 *   <li>The accepted addresses are tried in order, each within the connect timeout; the first that
 *       connects is the stream's socket ({@code connected} gets it, with its decision).
 * </ol>
 */
public final class Connector {
  /** How a stream's opening ended; called on the stream's event loop. */
  public interface Result {
    /** Connected to {@code bound}, an address that {@code decision} accepted. */
    void connected(Channel socket, Destination bound, Decision decision);

    /**
     * Not connected.
     *
     * @param checked the address the refusal is about (the first refused, or the last tried), or
     *     null if none was (bad or unresolvable name)
     * @param decision the policy decision for {@code checked}, or null
     */
    void refused(RefuseCode code, String reason, InetAddress checked, Decision decision);

    /** Not started: the client has too many name lookups in flight (a limit, not a failure). */
    void overLimit(RefuseCode code, String reason);

    /**
     * The policy waits for the stream's first bytes (PROTOCOL.md §6.1): pass on to {@link
     * Exit.Callback#awaitFirstBytes}. Afterwards the stream ends in {@link #connected} (accepted on
     * its first bytes) or {@link #refused} (POLICY: refused on them; any other code: accepted, but
     * no address connected), both now to be told with a RESET instead of REFUSED.
     *
     * @param waiting the decision at OPEN time for {@code opened}: the rule that waits
     * @return the mux's held bytes, or null if the stream is gone already
     */
    Exit.HeldBytes awaitFirstBytes(
        Destination opened, Decision waiting, int maxBytes, Exit.Judge judge);
  }

  private final Resolver resolver;
  private final Duration connectTimeout;
  private final FirstBytesBounds firstBytes;

  /** DNS lookups in flight per client name; a name leaves the map when its count drops to 0. */
  private final Map<String, Integer> lookups = new ConcurrentHashMap<>();

  public Connector(Resolver resolver, Duration connectTimeout) {
    this(resolver, connectTimeout, FirstBytesBounds.defaults());
  }

  public Connector(Resolver resolver, Duration connectTimeout, FirstBytesBounds firstBytes) {
    this.resolver = resolver;
    this.connectTimeout = connectTimeout;
    this.firstBytes = firstBytes;
  }

  /**
   * Opens a TCP connection to {@code destination} if {@code policy} allows it, registered on {@code
   * loop} with AUTO_READ off, and reports to {@code result} on {@code loop}.
   *
   * @param client the client's name, for log lines
   */
  public void open(
      String client, ExitPolicy policy, Destination destination, EventLoop loop, Result result) {
    long openedAt = System.nanoTime(); // the first-bytes time bound counts from the OPEN
    Host host;
    try {
      host =
          destination.isName()
              ? HostParser.parse(destination.name())
              : new Host.Address(destination.address());
    } catch (IllegalArgumentException e) {
      result.refused(RefuseCode.HOST_UNREACHABLE, "bad host name", null, null);
      return;
    }
    if (destination.port() == 0) {
      result.refused(RefuseCode.HOST_UNREACHABLE, "port 0", null, null);
      return;
    }
    Request requested = new Request(host, destination.port());
    if (host instanceof Host.Address a) {
      connectChecked(client, requested, List.of(a.address()), policy, loop, result, openedAt);
      return;
    }
    String name = ((Host.Name) host).name();
    List<InetAddress> listed = resolver.fromHosts(name);
    if (!listed.isEmpty()) {
      connectChecked(client, requested, listed, policy, loop, result, openedAt);
      return;
    }
    int max = resolver.options().maxLookupsPerClient();
    if (!startLookup(client, max)) {
      String reason = "client limit: " + max + " name lookups in flight (--client-max-lookups)";
      Log.info("stream " + client + " -> " + requested + " refused: " + reason);
      result.overLimit(RefuseCode.GENERAL, reason);
      return;
    }
    resolver
        .lookUp(name, loop)
        .addListener(
            (Future<List<InetAddress>> f) -> {
              endLookup(client);
              if (f.isSuccess()) {
                connectChecked(client, requested, f.getNow(), policy, loop, result, openedAt);
                return;
              }
              RefuseCode code = RefuseCode.HOST_UNREACHABLE;
              String reason = "name does not resolve";
              if (f.cause() instanceof Resolver.Unresolved u) {
                code = u.code;
                reason = u.getMessage();
              }
              Log.info("stream " + client + " -> " + requested + " refused: " + reason);
              result.refused(code, reason, null, null);
            });
  }

  /** Counts one more lookup for {@code client} unless it has {@code max} in flight already. */
  private boolean startLookup(String client, int max) {
    boolean[] started = {false};
    lookups.compute(
        client,
        (k, n) -> {
          int now = n == null ? 0 : n;
          if (now >= max) {
            return n;
          }
          started[0] = true;
          return now + 1;
        });
    return started[0];
  }

  private void endLookup(String client) {
    lookups.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** One address and the decision the policy took for it. */
  public record Checked(InetAddress address, Decision decision) {}

  /**
   * Checks every address as at OPEN time ({@link StreamStart#NOT_SEEN}: a rule with a protocol
   * waits); pure, shared with {@code ett policy check}.
   */
  public static List<Checked> check(
      ExitPolicy policy, Request requested, List<InetAddress> addresses) {
    return check(policy, requested, addresses, StreamStart.NOT_SEEN);
  }

  /**
   * Checks every address against the stream's first bytes as far as seen ({@code start}); pure,
   * shared with {@code ett policy check --first-bytes}. An address's decision may be {@linkplain
   * Decision#awaiting awaiting} until {@code start} is complete.
   */
  public static List<Checked> check(
      ExitPolicy policy, Request requested, List<InetAddress> addresses, StreamStart start) {
    List<Checked> out = new ArrayList<>(addresses.size());
    for (InetAddress a : addresses) {
      out.add(new Checked(a, policy.decide(requested, a, OwnAddresses.NONE, start)));
    }
    return out;
  }

  private void connectChecked(
      String client,
      Request requested,
      List<InetAddress> addresses,
      ExitPolicy policy,
      EventLoop loop,
      Result result,
      long openedAt) {
    List<Checked> checked = check(policy, requested, addresses);
    for (Checked c : checked) {
      if (c.decision().awaiting()) {
        new FirstBytesWait(client, requested, addresses, policy, loop, result)
            .start(checked, openedAt);
        return;
      }
    }
    connectDecided(client, requested, checked, loop, result, false);
  }

  /**
   * Connects to the accepted addresses in order, or refuses: every decision in {@code checked} is
   * final.
   *
   * @param onFirstBytes whether the decisions were taken on the stream's first bytes (for the log)
   */
  private void connectDecided(
      String client,
      Request requested,
      List<Checked> checked,
      EventLoop loop,
      Result result,
      boolean onFirstBytes) {
    List<Checked> allowed = new ArrayList<>();
    Checked firstRefusal = null;
    for (Checked c : checked) {
      if (c.decision().accepted()) {
        allowed.add(c);
      } else if (firstRefusal == null) {
        firstRefusal = c;
      }
    }
    if (allowed.isEmpty()) {
      if (firstRefusal == null) {
        result.refused(RefuseCode.HOST_UNREACHABLE, "name has no address", null, null);
        return;
      }
      Decision d = firstRefusal.decision();
      Log.info(
          "stream "
              + client
              + " -> "
              + requested
              + " refused "
              + (onFirstBytes ? "on its first bytes" : "by policy")
              + ": "
              + d.reason());
      result.refused(RefuseCode.POLICY, d.reason(), firstRefusal.address(), d);
      return;
    }
    tryConnect(client, requested, allowed, 0, false, loop, result, null);
  }

  /**
   * One stream whose policy waits for its first bytes (PROTOCOL.md §6.1), from OPENED to the
   * decision. Lives on the stream's event loop. Each time the mux has more to show (DATA, the
   * client's FIN, the byte bound) and once at the time bound, every address is decided again on all
   * the bytes held; as long as one address still waits, so does the stream. Then the accepted
   * addresses are connected in order, or the stream is refused (RESET, told by the caller). The
   * timer is cancelled when the decision is taken or the stream ends, whichever comes first.
   */
  private final class FirstBytesWait implements Exit.Judge {
    private final String client;
    private final Request requested;
    private final List<InetAddress> addresses;
    private final ExitPolicy policy;
    private final EventLoop loop;
    private final Result result;
    private Exit.HeldBytes held;
    private ScheduledFuture<?> timer;

    /** Decided, or the stream ended: later calls change nothing. */
    private boolean done;

    FirstBytesWait(
        String client,
        Request requested,
        List<InetAddress> addresses,
        ExitPolicy policy,
        EventLoop loop,
        Result result) {
      this.client = client;
      this.requested = requested;
      this.addresses = addresses;
      this.policy = policy;
      this.loop = loop;
      this.result = result;
    }

    /** OPENED names the first address the policy has not refused: the one tried first. */
    void start(List<Checked> atOpen, long openedAt) {
      Checked first = null;
      Checked waiting = null;
      for (Checked c : atOpen) {
        if (first == null && !c.decision().refused()) {
          first = c;
        }
        if (waiting == null && c.decision().awaiting()) {
          waiting = c;
        }
      }
      if (Log.debugEnabled()) {
        Log.debug("stream " + client + " -> " + requested + ": " + waiting.decision().reason());
      }
      held =
          result.awaitFirstBytes(
              Destination.of(first.address(), requested.port()),
              waiting.decision(),
              firstBytes.maxBytes(),
              this);
      if (held == null) {
        done = true; // the stream ended while its name resolved
        return;
      }
      long left = firstBytes.timeout().toNanos() - (System.nanoTime() - openedAt);
      timer = loop.schedule(this::onTimeout, Math.max(0, left), TimeUnit.NANOSECONDS);
      onFirstBytes(held); // 0-RTT DATA that came while the name resolved, or a FIN
    }

    @Override
    public void onFirstBytes(Exit.HeldBytes h) {
      if (done) {
        return;
      }
      ByteBuffer bytes = h.view();
      if (h.full()) {
        decide(StreamStart.of(bytes, true));
      } else if (h.fin()) {
        decide(ended(bytes, "before the client's FIN"));
      } else {
        decide(StreamStart.of(bytes, false));
      }
    }

    @Override
    public void onStreamEnd() {
      done = true;
      if (timer != null) {
        timer.cancel(false);
      }
    }

    private void onTimeout() {
      if (!done) {
        decide(ended(held.view(), "within " + text(firstBytes.timeout())));
      }
    }

    /** Decides every address on {@code start}; connects or refuses once none waits. */
    private void decide(StreamStart start) {
      List<Checked> checked = check(policy, requested, addresses, start);
      for (Checked c : checked) {
        if (c.decision().awaiting()) {
          return;
        }
      }
      done = true;
      timer.cancel(false);
      connectDecided(client, requested, checked, loop, result, true);
    }
  }

  /**
   * A stream's first bytes when no more will come before the decision (the client's FIN, the time
   * bound): a valid start cut short does not match, and says how far it got ("only 20 bytes of one
   * within 10 s", "no data before the client's FIN"). Not {@code StreamStart.of(bytes, true)}: its
   * words are for the byte bound ("a TLS ClientHello longer than 20 bytes").
   */
  public static StreamStart ended(ByteBuffer bytes, String when) {
    Map<Protocol, Inspection> seen = new EnumMap<>(Protocol.class);
    return expected ->
        seen.computeIfAbsent(
            expected,
            p -> {
              Inspection i = FirstBytes.inspect(p, bytes, false);
              if (!(i instanceof Inspection.NeedMore)) {
                return i;
              }
              int n = bytes.remaining();
              return new Inspection.Mismatched(
                  n == 0
                      ? "no data " + when
                      : "only " + n + (n == 1 ? " byte" : " bytes") + " of one " + when);
            });
  }

  /** "10 s", "600 ms". */
  static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private void tryConnect(
      String client,
      Request requested,
      List<Checked> candidates,
      int index,
      boolean retried,
      EventLoop loop,
      Result result,
      Throwable lastError) {
    if (index >= candidates.size()) {
      RefuseCode code = refuseCodeFor(lastError);
      Checked last = candidates.get(candidates.size() - 1);
      String cause = lastError == null ? "" : " (" + describe(lastError) + ")";
      Log.info("stream " + client + " -> " + requested + " failed: " + code.text + cause);
      result.refused(code, code.text, last.address(), last.decision());
      return;
    }
    Checked candidate = candidates.get(index);
    InetAddress address = candidate.address();
    ChannelFuture f =
        new Bootstrap()
            .group(loop)
            .channel(Transports.socketChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            // No TCP_NODELAY option: Netty's socket config turns it on for every TCP socket it
            // makes (TransportsTest checks); setting it again cost a setsockopt per stream.
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
            .handler(new StreamSocketInstaller())
            .connect(new InetSocketAddress(address, requested.port()));
    f.addListener(
        (ChannelFuture cf) -> {
          if (cf.isSuccess()) {
            if (Log.debugEnabled()) {
              Log.debug(
                  "stream "
                      + client
                      + " -> "
                      + requested
                      + " connected to "
                      + address.getHostAddress());
            }
            result.connected(
                cf.channel(), Destination.of(address, requested.port()), candidate.decision());
          } else if (!retried && isTransportGlitch(cf.cause())) {
            Log.info(
                "stream "
                    + client
                    + " -> "
                    + requested
                    + ": retrying "
                    + address.getHostAddress()
                    + " after "
                    + describe(cf.cause()));
            tryConnect(client, requested, candidates, index, true, loop, result, cf.cause());
          } else {
            tryConnect(client, requested, candidates, index + 1, false, loop, result, cf.cause());
          }
        });
  }

  /** Puts the stream handler on a destination socket before it can be read. */
  @ChannelHandler.Sharable
  private static final class StreamSocketInstaller extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      StreamSocketHandler.install(ctx.channel());
      ctx.pipeline().remove(this);
    }
  }

  /**
   * Whether a failed connect was the epoll transport tripping over itself rather than an answer
   * from the network, so the same address is worth one more try with a new socket.
   *
   * <p>Under heavy socket churn (the soak: about 1 connect in 1,500) Netty 4.2.18's epoll transport
   * can deliver to a socket still connecting an event meant for the closed socket that held the
   * same descriptor number a moment before. The socket then fails with {@code epoll_ctl(..) failed
   * with error(-2)} (its descriptor is not in the epoll set) or is closed under the connect (a
   * ClosedChannelException). Neither says anything about the destination. The destination may have
   * seen that first connection open and close with no data; a tunnel cannot unsend it, and refusing
   * the stream instead would fail a working destination.
   */
  static boolean isTransportGlitch(Throwable t) {
    if (t instanceof ClosedChannelException) {
      return true;
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof Errors.NativeIoException
          && String.valueOf(c.getMessage()).startsWith("epoll_ctl")) {
        return true;
      }
    }
    return false;
  }

  /** The error and, for Netty's stackless exceptions, the one frame that says where it was made. */
  static String describe(Throwable t) {
    StackTraceElement[] st = t.getStackTrace();
    return st.length == 1
        ? t + " at " + st[0].getClassName() + "." + st[0].getMethodName()
        : t.toString();
  }

  static RefuseCode refuseCodeFor(Throwable t) {
    if (t instanceof ConnectTimeoutException) {
      return RefuseCode.TIMED_OUT;
    }
    if (t instanceof NoRouteToHostException) {
      return RefuseCode.HOST_UNREACHABLE;
    }
    String m = t == null || t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
    if (m.contains("network is unreachable")) {
      return RefuseCode.NETWORK_UNREACHABLE;
    }
    if (m.contains("no route to host") || m.contains("host is unreachable")) {
      return RefuseCode.HOST_UNREACHABLE;
    }
    if (m.contains("timed out")) {
      return RefuseCode.TIMED_OUT;
    }
    if (t instanceof ConnectException || m.contains("refused")) {
      return RefuseCode.CONNECTION_REFUSED;
    }
    return RefuseCode.GENERAL;
  }
}
