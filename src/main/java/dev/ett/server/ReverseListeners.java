package dev.ett.server;

import dev.ett.audit.AuditEvent;
import dev.ett.config.AuthorizedClient;
import dev.ett.front.ProxyFront;
import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.policy.ListenPolicy;
import dev.ett.policy.ListenRule;
import dev.ett.policy.PortRange;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The server's side of reverse forwarding (PROTOCOL.md §10): binds the addresses clients ask for
 * when their {@code listen} rules allow it, and turns each accepted connection into a ROPEN on a
 * link of a client that holds the address.
 *
 * <p>An address is held by one client, or shared by a pool: clients whose deciding rules name the
 * same pool for it. Connections are handed round-robin to the members whose link is up; a member
 * leaves the moment its link ends, and the address is closed when its last member leaves.
 *
 * <p>Threads: {@link #byAddress} and each {@link Shared} are touched from the links' loops (LISTEN,
 * link down) and the accept loop (a new connection), so under this object's lock; a link's own
 * listener ids are touched on its loop only. A bind waits for its result on the link's loop: it
 * runs on the accept loop and is over in microseconds; a pool's members must not race to bind one
 * address twice, which the lock held across it prevents.
 */
final class ReverseListeners {
  /** PROTOCOL.md §10.1: a link holds at most this many listeners (LISTEN_REFUSED 10 past it). */
  static final int MAX_PER_LINK = 64;

  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Map<InetSocketAddress, Shared> byAddress = new HashMap<>();

  /** Each live link's listeners (the map is the link's own, touched on its loop): for reloads. */
  private final Map<Server.LiveLink, Map<Integer, Shared>> links =
      new java.util.concurrent.ConcurrentHashMap<>();

  ReverseListeners(Server server, EventLoopGroup boss, EventLoopGroup workers) {
    this.server = server;
    this.boss = boss;
    this.workers = workers;
  }

  /** One client's link serving one listening address under its listener id. */
  private record Member(
      Server.LiveLink link, LinkExit exit, int listener, String rule, ProxyFront proxy) {}

  /** One bound address and the links that serve it. */
  private static final class Shared {
    final InetSocketAddress address;
    final String pool; // null: one client only
    final boolean proxy; // a -R [BIND:]PORT: a SOCKS/HTTP proxy whose streams exit at the clients
    final List<Member> members = new ArrayList<>();
    Channel channel;
    int next;

    Shared(InetSocketAddress address, String pool, boolean proxy) {
      this.address = address;
      this.pool = pool;
      this.proxy = proxy;
    }
  }

  /** The handler of one link's listener frames (the mux calls it on the link's loop). */
  Consumer<Frame> forLink(Server.LiveLink link, LinkExit exit) {
    Map<Integer, Shared> held = new HashMap<>();
    links.put(link, held);
    link.onDown(
        () -> {
          links.remove(link);
          leaveAll(link, held, link.revoked ? "key revoked" : "link closed");
        });
    return f -> {
      switch (f) {
        case Frame.Listen l -> onListen(link, exit, held, l);
        case Frame.Unlisten u -> {
          Shared s = held.remove(u.listener());
          if (s != null) {
            leave(link, s, u.listener(), "unlisten");
          }
        }
        default -> throw new IllegalStateException("not a listener frame for the server: " + f);
      }
    };
  }

  private void onListen(
      Server.LiveLink link, LinkExit exit, Map<Integer, Shared> held, Frame.Listen l) {
    InetAddress address = l.bind().address();
    int port = l.bind().port();
    String asked = ListenRule.format(address) + ":" + port;
    Optional<AuthorizedClient> current = server.currentClient(link.key);
    if (current.isEmpty() || link.revoked) {
      refuse(link, l, asked, RefuseCode.POLICY, "key revoked", null);
      return;
    }
    if (held.size() >= MAX_PER_LINK) {
      refuse(
          link,
          l,
          asked,
          RefuseCode.TOO_MANY_STREAMS,
          "this link holds " + held.size() + " listeners (at most " + MAX_PER_LINK + ")",
          null);
      return;
    }
    ListenPolicy.Verdict v = current.get().listen().check(link.name, address, port);
    if (!v.allowed()) {
      refuse(link, l, asked, RefuseCode.POLICY, v.reason(), null);
      return;
    }
    String pool = v.pool().orElse(null);
    Shared joined;
    String problem = null;
    synchronized (this) {
      joined = port == 0 ? null : byAddress.get(new InetSocketAddress(address, port));
      if (joined != null) {
        if (joined.proxy != l.proxy() && pool != null && pool.equals(joined.pool)) {
          problem =
              asked
                  + " is served by pool "
                  + pool
                  + " as a "
                  + (joined.proxy ? "proxy" : "forward")
                  + " listener; this one asks for a "
                  + (l.proxy() ? "proxy" : "forward")
                  + " listener";
        } else if (pool == null || !pool.equals(joined.pool)) {
          problem =
              asked
                  + " is held by client "
                  + (joined.members.isEmpty() ? "?" : joined.members.get(0).link().name)
                  + (joined.pool == null ? "" : " (pool " + joined.pool + ")");
        }
      } else {
        ListenRule rule = v.rule().orElseThrow();
        PortRange range = rule.choosable();
        Channel bound = null;
        Throwable failure = null;
        List<Integer> tries =
            port != 0
                ? List.of(port)
                : rule.ports().equals(PortRange.ALL) ? List.of(0) : portsOf(range);
        for (int p : tries) {
          InetSocketAddress a = new InetSocketAddress(address, p);
          if (byAddress.containsKey(a)) {
            continue;
          }
          ChannelFuture f = bind(a).awaitUninterruptibly();
          if (f.isSuccess()) {
            bound = f.channel();
            break;
          }
          failure = f.cause();
        }
        if (bound == null) {
          problem =
              "cannot listen on "
                  + asked
                  + (failure == null ? "" : ": " + Server.describe(failure));
        } else {
          InetSocketAddress actual = (InetSocketAddress) bound.localAddress();
          joined = new Shared(new InetSocketAddress(address, actual.getPort()), pool, l.proxy());
          joined.channel = bound;
          bound.attr(SHARED).set(joined);
          byAddress.put(joined.address, joined);
        }
      }
      if (problem == null) {
        joined.members.add(
            new Member(
                link,
                exit,
                l.listener(),
                v.reason(),
                l.proxy()
                    ? ReverseProxies.front(link, exit, l.listener(), v.reason(), asked)
                    : null));
      }
    }
    if (problem != null) {
      refuse(link, l, asked, RefuseCode.ADDRESS_IN_USE, problem, v.reason());
      return;
    }
    held.put(l.listener(), joined);
    String where = ListenRule.format(address) + ":" + joined.address.getPort();
    Log.info(
        "listening on "
            + where
            + " for "
            + link.name
            + (pool == null ? "" : " (pool " + pool + ")")
            + (l.proxy() ? " (a SOCKS/HTTP proxy exiting at the client)" : "")
            + ": "
            + v.reason());
    server
        .audit()
        .record(
            new AuditEvent.ListenOpened(
                server.clock().instant(), link.id, link.name, where, v.reason(), pool));
    link.mux.sendLinkFrame(
        new Frame.Listening(l.listener(), Destination.of(address, joined.address.getPort())));
  }

  private static List<Integer> portsOf(PortRange r) {
    List<Integer> ports = new ArrayList<>();
    for (int p = r.low(); p <= r.high(); p++) {
      ports.add(p);
    }
    return ports;
  }

  private void refuse(
      Server.LiveLink link,
      Frame.Listen l,
      String asked,
      RefuseCode code,
      String why,
      String rule) {
    Log.info("refused to listen on " + asked + " for " + link.name + ": " + why);
    server
        .audit()
        .record(
            new AuditEvent.ListenClosed(
                server.clock().instant(), link.id, link.name, asked, rule, "refused: " + why));
    link.mux.sendLinkFrame(new Frame.ListenRefused(l.listener(), code, why));
  }

  private static final io.netty.util.AttributeKey<Shared> SHARED =
      io.netty.util.AttributeKey.valueOf("ett.reverse.shared");

  private ChannelFuture bind(InetSocketAddress a) {
    return new ServerBootstrap()
        .group(boss, workers)
        .channelFactory(Transports.serverChannel(a))
        .option(ChannelOption.SO_BACKLOG, 1024)
        .handler(new Acceptor())
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.close(); // never reached: the Acceptor takes every child before Netty's
              }
            })
        .bind(a);
  }

  /**
   * Takes each accepted connection before ServerBootstrap's own acceptor would register it on any
   * worker: it must be registered on the event loop of the link it goes to (a stream's socket and
   * its link share a loop, Mux's threading rule), which is chosen here, per connection, for pools.
   */
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      Shared s = ctx.channel().attr(SHARED).get();
      Member m = s == null ? null : pick(s);
      if (m == null) {
        Log.info(
            "closed a connection to "
                + (s == null ? "?" : text(s.address))
                + ": no client serves it now");
        child.unsafe().closeForcibly(); // not registered: nobody serves the address now
        return;
      }
      child.config().setOption(ChannelOption.AUTO_READ, false);
      child.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      child.config().setOption(ChannelOption.TCP_NODELAY, true);
      // Before registering, not in register's listener: from this (accept) thread the listener
      // runs as a later task on the link's loop, and the loop may read the socket first (the
      // transport drains a peer's data and FIN after EPOLLRDHUP even with AUTO_READ off). Those
      // bytes and the FIN went to the pipeline's tail and were dropped, and the stream's first
      // read after OPENED failed (epoll_ctl ENOENT): it ended at once with no bytes, the "empty
      // reverse stream" bug of issue 13 (ReverseEndToEndTest
      // manyShortConnectionsInARowEachGetTheirWholeAnswer failed on about 1 connection in 10).
      StreamSocketHandler.install(child);
      m.link()
          .channel
          .eventLoop()
          .register(child)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  child.unsafe().closeForcibly();
                  return;
                }
                open(s, m, child); // on the link's loop: register's listener runs there
              });
    }
  }

  /**
   * The next member whose link takes new streams, round-robin; null if none. A link that is up but
   * draining after a GOAWAY is passed over: open() would only close the connection.
   */
  private synchronized Member pick(Shared s) {
    for (int i = 0; i < s.members.size(); i++) {
      Member m = s.members.get(Math.floorMod(s.next++, s.members.size()));
      if (m.link().channel.isActive() && !m.link().revoked && m.link().mux.isUsable()) {
        return m;
      }
    }
    return null;
  }

  private void open(Shared s, Member m, Channel child) {
    if (m.proxy() != null) {
      m.proxy().serve(child); // its request names the destination; then ReverseProxies opens
      return;
    }
    StreamSocketHandler.install(child);
    String remote = Transports.text((InetSocketAddress) child.remoteAddress());
    String where = text(s.address);
    if (!m.link().mux.isUsable()) {
      Log.info(
          "closed a connection from "
              + remote
              + " to "
              + where
              + ": the link of "
              + m.link().name
              + " is closing");
      child.close();
      return;
    }
    int id = m.link().mux.peekNextStreamId();
    String refusal = m.exit().admitReverse(id, where, remote, m.rule());
    if (refusal != null) {
      Log.info(
          "closed a connection from "
              + remote
              + " to "
              + where
              + " for "
              + m.link().name
              + ": "
              + refusal);
      child.close();
      return;
    }
    int opened =
        m.link()
            .mux
            .openReverse(
                m.listener(),
                Optional.empty(),
                child,
                new StreamListener() {
                  @Override
                  public void onOpened(Destination bound) {
                    m.exit().reverseOpened(id, bound);
                  }

                  @Override
                  public void onRefused(RefuseCode code, String reason) {
                    Log.info(
                        "the client "
                            + m.link().name
                            + " refused a connection from "
                            + remote
                            + " to "
                            + where
                            + ": "
                            + code.text
                            + (reason.isEmpty() ? "" : ": " + reason));
                    m.exit().reverseRefused(id, code, reason);
                    child.close();
                  }
                });
    if (opened == 0) {
      m.exit().forgetReverse(id); // refused at once: its limits slot goes back
    }
  }

  private static String text(InetSocketAddress a) {
    return ListenRule.format(a.getAddress()) + ":" + a.getPort();
  }

  /**
   * After a reload: on each live link's loop, closes the listeners its client's rules no longer
   * allow (PROTOCOL.md §10.1 item 4: UNLISTEN to the client, {@code listen_closed} with reason
   * "reload: no rule allows it"). Streams already open through them go on. A listener still allowed
   * stays, even if its deciding rule now names another pool.
   */
  void recheck() {
    for (Server.LiveLink link : links.keySet()) {
      link.channel.eventLoop().execute(() -> recheck(link));
    }
  }

  private void recheck(Server.LiveLink link) {
    Map<Integer, Shared> held = links.get(link);
    Optional<AuthorizedClient> current = server.currentClient(link.key);
    if (held == null || current.isEmpty() || link.revoked) {
      return; // gone, or revoked: the link's end closes them all
    }
    for (var it = held.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Shared s = e.getValue();
      ListenPolicy.Verdict v =
          current.get().listen().check(link.name, s.address.getAddress(), s.address.getPort());
      if (!v.allowed()) {
        it.remove();
        leave(link, s, e.getKey(), RELOAD_NARROWED);
        link.mux.sendLinkFrame(new Frame.Unlisten(e.getKey()));
      }
    }
  }

  /** The audit reason of a listener a reload no longer allows. */
  static final String RELOAD_NARROWED = "reload: no rule allows it";

  private void leaveAll(Server.LiveLink link, Map<Integer, Shared> held, String why) {
    for (var e : held.entrySet()) {
      leave(link, e.getValue(), e.getKey(), why);
    }
    held.clear();
  }

  private void leave(Server.LiveLink link, Shared s, int listener, String why) {
    boolean last;
    synchronized (this) {
      s.members.removeIf(m -> m.link() == link && m.listener() == listener);
      last = s.members.isEmpty();
      if (last) {
        byAddress.remove(s.address);
      }
    }
    if (last) {
      s.channel.close();
    }
    String where = text(s.address);
    Log.info("stopped listening on " + where + " for " + link.name + ": " + why);
    server
        .audit()
        .record(
            new AuditEvent.ListenClosed(
                server.clock().instant(), link.id, link.name, where, null, why));
  }
}
