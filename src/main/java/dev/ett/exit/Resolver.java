package dev.ett.exit;

import dev.ett.config.Hosts;
import dev.ett.util.Transports;
import dev.ett.wire.RefuseCode;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DefaultAuthoritativeDnsServerCache;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DefaultDnsCnameCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverChannelStrategy;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.Serial;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Resolves a host name the way the server does: its {@code --hosts} file first (split horizon),
 * then the machine's /etc/hosts, then DNS. Shared with {@code ett policy check} so that the check
 * sees the addresses the server would.
 *
 * <p>The {@code --hosts} table is a map lookup ({@link #fromHosts}): it never waits, so the {@link
 * Connector} does it on the event loop and a name listed there is never delayed by anyone's DNS.
 * DNS ({@link #lookUp}) is Netty's asynchronous resolver, not a pool of blocking threads: a lookup
 * in flight holds a promise and a UDP socket, no thread, so one client's name server that never
 * answers delays only that client's own lookups, each until {@link Options#timeout}.
 *
 * <p>Choices, and why:
 *
 * <ul>
 *   <li>Answers are cached for their records' TTL (one cache shared by every event loop); failures
 *       are not cached.
 *   <li>Both IPv4 and IPv6 answers are returned, IPv4 first, as the JDK's resolver returned them
 *       before (its default, {@code java.net.preferIPv6Addresses=false}). The policy checks every
 *       one of them; the connector tries those that passed in this order.
 *   <li>The machine's /etc/hosts is still honoured, after {@code --hosts}, as getaddrinfo honoured
 *       it: operators' entries there keep working. It is read once, when the server starts; names
 *       that change belong in {@code --hosts}, which is reloaded.
 *   <li>Search domains and {@code ndots} come from /etc/resolv.conf, as before; the name servers
 *       too, unless {@link Options#dnsServers} names others.
 *   <li>A fresh UDP socket (so a fresh random source port) for each lookup: a spoofed answer must
 *       guess the port as well as the query ID (RFC 5452 §9.2). The exit connects where the answer
 *       points, so the answer is worth protecting.
 * </ul>
 */
public final class Resolver implements AutoCloseable {
  /**
   * How the server looks names up.
   *
   * @param dnsServers the name servers to ask, in order; empty: those of /etc/resolv.conf
   * @param timeout how long one name may take to resolve, all servers and retries included
   * @param maxLookupsPerClient DNS lookups one client may have in flight, across its links
   */
  public record Options(
      List<InetSocketAddress> dnsServers, Duration timeout, int maxLookupsPerClient) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_LOOKUPS_PER_CLIENT = 32;

    public Options {
      dnsServers = List.copyOf(dnsServers);
      for (InetSocketAddress a : dnsServers) {
        if (a.isUnresolved() || a.getPort() == 0) {
          throw new IllegalArgumentException(
              "dnsServers: " + a + " (expected: an IP address and a port 1~65535)");
        }
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      if (maxLookupsPerClient < 1) {
        throw new IllegalArgumentException(
            "maxLookupsPerClient: " + maxLookupsPerClient + " (expected: >= 1)");
      }
    }

    /** The name servers of /etc/resolv.conf, 10 s, 32 lookups per client. */
    public static Options defaults() {
      return new Options(List.of(), DEFAULT_TIMEOUT, DEFAULT_MAX_LOOKUPS_PER_CLIENT);
    }
  }

  /** A name that gave no address, with the code and reason a client is told. */
  public static final class Unresolved extends UnknownHostException {
    @Serial private static final long serialVersionUID = 1L;

    /** TIMED_OUT, HOST_UNREACHABLE, or SHUTTING_DOWN once the resolver is closed. */
    public final RefuseCode code;

    Unresolved(RefuseCode code, String reason) {
      super(reason);
      this.code = code;
    }
  }

  private final Supplier<Hosts> hosts;
  private final Options options;
  private final DnsServerAddressStreamProvider nameServers;
  private final long queryTimeoutMillis;
  private final DefaultDnsCache cache = new DefaultDnsCache();
  private final DefaultDnsCnameCache cnames = new DefaultDnsCnameCache();
  private final DefaultAuthoritativeDnsServerCache authoritative =
      new DefaultAuthoritativeDnsServerCache();

  /** One DNS resolver per event loop: a Netty resolver belongs to one loop and answers on it. */
  private final Map<EventLoop, DnsNameResolver> byLoop = new ConcurrentHashMap<>();

  /** Told how long each DNS lookup took and how it ended (the metrics endpoint's histogram). */
  public interface LookupTimer {
    /**
     * @param outcome "ok", "timeout" or "not_found"
     * @param nanos from {@link #lookUp} to its answer or deadline
     */
    void lookedUp(String outcome, long nanos);

    LookupTimer NONE = (outcome, nanos) -> {};
  }

  private volatile LookupTimer timer = LookupTimer.NONE;

  /** Replaces the lookup timer (default: none). */
  public void setLookupTimer(LookupTimer t) {
    this.timer = t;
  }

  /** For {@link #resolve}, made on first use. */
  private EventLoopGroup ownLoop;

  private volatile boolean closed;

  /**
   * @param hosts the current hosts table (it may be reloaded), or a supplier of null
   */
  public Resolver(Supplier<Hosts> hosts, Options options) {
    this.hosts = hosts;
    this.options = options;
    this.nameServers =
        !options.dnsServers().isEmpty()
            ? new SequentialDnsServerAddressStreamProvider(options.dnsServers())
            : resolvConfNamesAServer(Path.of("/etc/resolv.conf"))
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(
                    new InetSocketAddress(GLIBC_DEFAULT_SERVER, 53));
    // Each query may take three quarters of the budget, shared among the name servers: a silent
    // server leaves time for the next one, and a name whose A query is answered but whose AAAA
    // query is dropped still resolves (to its IPv4 addresses) before the deadline.
    int servers = Math.max(1, nameServers.nameServerAddressStream("").size());
    this.queryTimeoutMillis = Math.max(50, options.timeout().toMillis() * 3 / 4 / servers);
  }

  /** What glibc asks when /etc/resolv.conf names no name server (resolv.conf(5)). */
  private static final InetAddress GLIBC_DEFAULT_SERVER = InetAddress.getLoopbackAddress();

  /**
   * Whether {@code resolvConf} names at least one name server. Without one, Netty's platform
   * default falls back to Google Public DNS (8.8.8.8): the exit would send its clients' names to a
   * third party the operator never chose. glibc asks 127.0.0.1 instead, and so do we.
   */
  static boolean resolvConfNamesAServer(Path resolvConf) {
    try {
      for (String line : Files.readAllLines(resolvConf)) {
        String t = line.strip();
        if (t.startsWith("nameserver")
            && t.length() > "nameserver".length()
            && Character.isWhitespace(t.charAt("nameserver".length()))) {
          return true;
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Makes the DNS resolver of every loop of {@code group} now, at start: the first one made loads
   * Netty's DNS classes (about half a second on a loaded machine), which would otherwise stall the
   * event loop of the first stream that asks for a name.
   */
  public void prepare(EventLoopGroup group) {
    for (EventExecutor e : group) {
      dnsFor((EventLoop) e);
    }
  }

  public Options options() {
    return options;
  }

  /**
   * The addresses the {@code --hosts} table lists for {@code name}, in file order; empty if it does
   * not list it. Never waits.
   */
  public List<InetAddress> fromHosts(String name) {
    Hosts h = hosts.get();
    return h == null ? List.of() : h.lookup(name);
  }

  /**
   * Looks {@code name} up in the machine's /etc/hosts and DNS ({@code --hosts} is the caller's
   * {@link #fromHosts}), within {@link Options#timeout}, on {@code loop}; the future completes
   * there, with every address (IPv4 first), or fails with {@link Unresolved}: TIMED_OUT "name did
   * not resolve within N s" if the deadline passed or every name server was silent,
   * HOST_UNREACHABLE "name does not resolve" otherwise.
   */
  public Future<List<InetAddress>> lookUp(String name, EventLoop loop) {
    Promise<List<InetAddress>> out = loop.newPromise();
    if (closed) {
      return out.setFailure(new Unresolved(RefuseCode.SHUTTING_DOWN, "server shutting down"));
    }
    Promise<List<InetAddress>> dns = loop.newPromise();
    LookupTimer t = timer;
    if (t != LookupTimer.NONE) {
      long start = System.nanoTime();
      out.addListener(
          (Future<List<InetAddress>> f) ->
              t.lookedUp(
                  f.isSuccess()
                      ? "ok"
                      : f.cause() instanceof Unresolved u && u.code == RefuseCode.TIMED_OUT
                          ? "timeout"
                          : "not_found",
                  System.nanoTime() - start));
    }
    ScheduledFuture<?> deadline =
        loop.schedule(
            () -> {
              if (out.tryFailure(timedOut())) {
                dns.cancel(false); // closes the lookup's socket; late answers are dropped
              }
            },
            options.timeout().toNanos(),
            TimeUnit.NANOSECONDS);
    dns.addListener(
        (Future<List<InetAddress>> f) -> {
          deadline.cancel(false);
          if (f.isSuccess()) {
            out.trySuccess(f.getNow());
          } else if (!f.isCancelled()) {
            out.tryFailure(
                DnsNameResolver.isTimeoutError(f.cause())
                    ? timedOut()
                    : new Unresolved(RefuseCode.HOST_UNREACHABLE, "name does not resolve"));
          }
        });
    if (loop.inEventLoop()) {
      dnsFor(loop).resolveAll(name, dns);
    } else {
      loop.execute(() -> dnsFor(loop).resolveAll(name, dns));
    }
    return out;
  }

  /**
   * {@code --hosts}, then {@link #lookUp}, waiting for the answer: for {@code ett policy check},
   * which has no event loop of its own. Not for an event loop thread.
   */
  public List<InetAddress> resolve(String name) throws UnknownHostException {
    List<InetAddress> listed = fromHosts(name);
    if (!listed.isEmpty()) {
      return listed;
    }
    EventLoop loop;
    synchronized (this) {
      if (ownLoop == null) {
        ownLoop = Transports.group(1, "ett-resolve");
      }
      loop = ownLoop.next();
    }
    Future<List<InetAddress>> f = lookUp(name, loop).awaitUninterruptibly();
    if (f.cause() instanceof Unresolved u) {
      throw u;
    }
    return f.getNow();
  }

  private Unresolved timedOut() {
    return new Unresolved(
        RefuseCode.TIMED_OUT, "name did not resolve within " + seconds(options.timeout()) + " s");
  }

  /** {@code 10}, {@code 1.5}: seconds as an operator wrote them. */
  static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0
        ? Long.toString(ms / 1000)
        : java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString();
  }

  private DnsNameResolver dnsFor(EventLoop loop) {
    return byLoop.computeIfAbsent(
        loop,
        l ->
            new DnsNameResolverBuilder(l)
                .datagramChannelType(Transports.datagramChannel())
                .socketChannelType(Transports.socketChannel()) // TCP when an answer is truncated
                .datagramChannelStrategy(DnsNameResolverChannelStrategy.ChannelPerResolution)
                .nameServerProvider(nameServers)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .resolveCache(cache)
                .cnameCache(cnames)
                .authoritativeDnsServerCache(authoritative)
                .queryTimeoutMillis(queryTimeoutMillis)
                .build());
  }

  @Override
  public void close() {
    closed = true;
    byLoop.values().forEach(DnsNameResolver::close);
    byLoop.clear();
    synchronized (this) {
      if (ownLoop != null) {
        ownLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }
}
