package dev.ett.exit;

import dev.ett.config.Hosts;
import dev.ett.mux.Exit;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.policy.Decision;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Host;
import dev.ett.policy.HostParser;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The server's exit: resolves the destination itself, checks the policy against every address it
 * might use, and connects to exactly an address that passed — never re-resolving, so a name that
 * changes its answer between check and connect (DNS rebinding) cannot slip through.
 */
public final class Connector implements Exit {
  private final Function<String, ExitPolicy> policyFor;
  private final Hosts hosts;
  private final Executor resolverPool;
  private final Duration connectTimeout;

  /**
   * @param policyFor the policy for a client name (its own rules combined with the global ones)
   * @param hosts names that override DNS for this server only, or null
   * @param resolverPool runs blocking name lookups off the event loops
   */
  public Connector(Function<String, ExitPolicy> policyFor, Hosts hosts, Executor resolverPool, Duration connectTimeout) {
    this.policyFor = policyFor;
    this.hosts = hosts;
    this.resolverPool = resolverPool;
    this.connectTimeout = connectTimeout;
  }

  @Override
  public void open(String client, Destination destination, EventLoop loop, Callback callback) {
    Host host;
    try {
      // Numeric spellings (127.1, 0x7f.1, 2130706433, [::ffff:127.0.0.1]) become the address they
      // denote here, before any rule sees them.
      host = destination.isName() ? HostParser.parse(destination.name()) : new Host.Address(destination.address());
    } catch (IllegalArgumentException e) {
      callback.refused(RefuseCode.HOST_UNREACHABLE, "bad host name");
      return;
    }
    dev.ett.policy.Destination requested = new dev.ett.policy.Destination(host, destination.port());
    ExitPolicy policy = policyFor.apply(client);
    if (host instanceof Host.Address a) {
      connectChecked(client, requested, List.of(a.address()), policy, loop, callback);
      return;
    }
    String name = ((Host.Name) host).name();
    resolverPool.execute(
        () -> {
          List<InetAddress> addresses;
          try {
            addresses = resolve(name);
          } catch (UnknownHostException e) {
            loop.execute(() -> {
              Log.info("stream " + client + " -> " + requested + " refused: name does not resolve");
              callback.refused(RefuseCode.HOST_UNREACHABLE, "name does not resolve");
            });
            return;
          }
          loop.execute(() -> connectChecked(client, requested, addresses, policy, loop, callback));
        });
  }

  private List<InetAddress> resolve(String name) throws UnknownHostException {
    if (hosts != null) {
      List<InetAddress> fromHosts = hosts.lookup(name);
      if (!fromHosts.isEmpty()) {
        return fromHosts;
      }
    }
    return Arrays.asList(InetAddress.getAllByName(name));
  }

  private void connectChecked(
      String client,
      dev.ett.policy.Destination requested,
      List<InetAddress> addresses,
      ExitPolicy policy,
      EventLoop loop,
      Callback callback) {
    List<InetAddress> allowed = new ArrayList<>();
    Decision firstRefusal = null;
    for (InetAddress a : addresses) {
      Decision d = policy.decide(requested, a);
      if (d.accepted()) {
        allowed.add(a);
      } else if (firstRefusal == null) {
        firstRefusal = d;
      }
    }
    if (allowed.isEmpty()) {
      Decision d = firstRefusal;
      Log.info("stream " + client + " -> " + requested + " refused by policy: " + (d == null ? "" : d.reason()));
      callback.refused(RefuseCode.POLICY, d == null ? "" : d.reason());
      return;
    }
    tryConnect(client, requested, allowed, 0, loop, callback, null);
  }

  private void tryConnect(
      String client,
      dev.ett.policy.Destination requested,
      List<InetAddress> candidates,
      int index,
      EventLoop loop,
      Callback callback,
      Throwable lastError) {
    if (index >= candidates.size()) {
      RefuseCode code = refuseCodeFor(lastError);
      Log.info("stream " + client + " -> " + requested + " failed: " + code.text);
      callback.refused(code, code.text);
      return;
    }
    InetAddress address = candidates.get(index);
    ChannelFuture f =
        new Bootstrap()
            .group(loop)
            .channel(Transports.socketChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
            .handler(new StreamSocketInstaller())
            .connect(new InetSocketAddress(address, requested.port()));
    f.addListener(
        (ChannelFuture cf) -> {
          if (cf.isSuccess()) {
            Log.debug("stream " + client + " -> " + requested + " connected to " + address.getHostAddress());
            callback.connected(cf.channel(), Destination.of(address, requested.port()));
          } else {
            tryConnect(client, requested, candidates, index + 1, loop, callback, cf.cause());
          }
        });
  }

  /** Puts the stream handler on a destination socket before it can be read. */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class StreamSocketInstaller extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(io.netty.channel.ChannelHandlerContext ctx) {
      StreamSocketHandler.install(ctx.channel());
      ctx.pipeline().remove(this);
    }
  }

  static RefuseCode refuseCodeFor(Throwable t) {
    if (t instanceof ConnectTimeoutException) {
      return RefuseCode.TIMED_OUT;
    }
    if (t instanceof NoRouteToHostException) {
      return RefuseCode.HOST_UNREACHABLE;
    }
    String m = t == null || t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
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
