package dev.ett.client;

import dev.ett.exit.InterfaceAddresses;
import dev.ett.exit.Resolver;
import dev.ett.mux.Exit;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.policy.Decision;
import dev.ett.policy.OwnAddresses;
import dev.ett.policy.Policy;
import dev.ett.policy.Request;
import dev.ett.policy.Rule;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The client as the exit of its {@code -R [BIND:]PORT} proxy listeners (PROTOCOL.md §10.2): the
 * server's proxy names a destination, and this client connects it only if its own rules allow it.
 *
 * <p>The rules are an exit policy in the server's grammar ({@code --reverse-policy},
 * docs/policy.md) with the server's safe default: {@code accept *:*} by default, which opens public
 * addresses only; loopback, private and link-local addresses, and this machine's own addresses, are
 * closed unless a rule names them ({@code accept 127.0.0.1:8080}). A name is resolved here, at the
 * exit, and every address it resolves to is checked; the first allowed one is connected. Rules with
 * a protocol ({@code tls}, {@code http}) would need the stream's first bytes, which this exit does
 * not inspect: such a rule could never match here, so it is refused when the exit is made rather
 * than left to refuse every stream it names in silence.
 */
public final class ReverseProxyExit {
  /** The default rules: public addresses only (the special-address guard of Policy). */
  public static final String DEFAULT_RULES = "accept *:*";

  private final Policy policy;
  private final Resolver resolver;
  private final OwnAddresses own;

  /**
   * @throws IllegalArgumentException for a rule with a protocol, named with its option: {@code
   *     --reverse-policy: rule 2 'accept *:443 tls' names a protocol (tls) ...}
   */
  public ReverseProxyExit(Policy policy) {
    for (Rule r : policy.rules()) {
      if (r.protocol().isPresent()) {
        throw new IllegalArgumentException(
            "--"
                + policy.name()
                + ": "
                + r
                + " names a protocol ("
                + r.protocol().get().word()
                + "), but the client does not inspect a reverse stream's first bytes, so it could"
                + " never match here: name ports only");
      }
    }
    this.policy = policy;
    this.resolver = new Resolver(() -> null, Resolver.Options.defaults());
    OwnAddresses o;
    try {
      o = InterfaceAddresses.read();
    } catch (IOException e) {
      Log.warn("cannot read this machine's addresses (" + e.getMessage() + "); none closed");
      o = OwnAddresses.NONE;
    }
    this.own = o;
  }

  public Policy policy() {
    return policy;
  }

  /** Decides and connects {@code to} for {@code which} ("-R 127.0.0.1:1080 (proxy)"), on loop. */
  void open(String which, Destination to, EventLoop loop, Exit.Callback callback) {
    Request request = Request.of(to.host(), to.port());
    if (!to.isName()) {
      decideAndConnect(which, to, request, List.of(to.address()), loop, callback);
      return;
    }
    resolver
        .lookUp(to.name(), loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                Log.info(which + ": cannot resolve " + to + ": " + f.cause().getMessage());
                callback.refused(
                    f.cause() instanceof Resolver.Unresolved u
                        ? u.code
                        : RefuseCode.HOST_UNREACHABLE,
                    "cannot resolve");
                return;
              }
              @SuppressWarnings("unchecked")
              List<InetAddress> all = (List<InetAddress>) f.getNow();
              decideAndConnect(which, to, request, all, loop, callback);
            });
  }

  private void decideAndConnect(
      String which,
      Destination to,
      Request request,
      List<InetAddress> addresses,
      EventLoop loop,
      Exit.Callback callback) {
    Decision last = null;
    for (InetAddress a : addresses) {
      Decision d = policy.decide(request, a, own);
      if (d.accepted()) {
        connect(which, to, new InetSocketAddress(a, to.port()), loop, callback);
        return;
      }
      last = d;
    }
    String why = last == null ? "no address" : last.reason();
    Log.warn("refused a stream the server opened for " + which + " to " + to + ": " + why);
    callback.refused(RefuseCode.POLICY, "refused by the client's --reverse-policy");
  }

  /**
   * Connects {@code address} (resolved, or left to Netty's resolver when unresolved: a forward
   * listener's own target) for a stream the server opened, with the stream handler in place before
   * the socket can be read; also {@link ReverseForwards}'.
   */
  static void connect(
      String which,
      Destination to,
      InetSocketAddress address,
      EventLoop loop,
      Exit.Callback callback) {
    ChannelFuture f =
        new Bootstrap()
            .group(loop)
            .channel(Transports.socketChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .handler(new Installer())
            .connect(address);
    f.addListener(
        (ChannelFuture cf) -> {
          if (cf.isSuccess()) {
            InetSocketAddress remote = (InetSocketAddress) cf.channel().remoteAddress();
            callback.connected(cf.channel(), Destination.of(remote.getAddress(), remote.getPort()));
          } else {
            Log.info(which + ": cannot connect to " + to + ": " + cf.cause().getMessage());
            callback.refused(
                cf.cause() instanceof java.net.ConnectException
                    ? RefuseCode.CONNECTION_REFUSED
                    : RefuseCode.HOST_UNREACHABLE,
                "cannot connect");
          }
        });
  }

  /** Puts the stream handler on a socket before it can be read. */
  @ChannelHandler.Sharable
  private static final class Installer extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      StreamSocketHandler.install(ctx.channel());
      ctx.pipeline().remove(this);
    }
  }
}
