package dev.ett.route;

import dev.ett.client.Client;
import dev.ett.front.Listeners;
import dev.ett.mux.Mux;
import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The joint between two layers of a route: an in-process {@code -L 127.0.0.1:0:NEXTHOP} on layer
 * k's client, whose one customer is layer k+1's client. Layer k+1 connects its link's TCP socket
 * here; the connection becomes a stream, through layer k's link, to hop k+1, and layer k+1 runs its
 * own Noise handshake, end to end with hop k+1, inside that stream.
 *
 * <p><b>Who may connect.</b> The listener is bound to 127.0.0.1 on an ephemeral port, and a
 * connection is kept only if its peer address is the local address of the inner client's link
 * socket (asked on the inner client's event loop, after its connect was issued); any other is
 * closed at once. Even without this check another local process could only get a stream to hop k+1,
 * which hop k's policy allows anyway, and could read nothing of ours: the inner link's keys never
 * leave the inner client.
 *
 * <p><b>Why a stream did not open.</b> A refusal is kept ({@link #takeRefusal}) so the inner layer
 * can say which hop failed instead of "the server closed the connection".
 */
final class HopForward implements AutoCloseable {
  private final Client outer;
  private final Destination next;
  private final String outerName;
  private final String nextName;
  private final AtomicReference<String> refusal = new AtomicReference<>();
  private volatile Client inner;
  private Channel listener;

  /**
   * @param outer layer k's client, which carries the streams
   * @param next hop k+1, as a destination for hop k
   * @param outerName and {@code nextName}: how messages name hop k and hop k+1
   */
  HopForward(Client outer, Destination next, String outerName, String nextName) {
    this.outer = outer;
    this.next = next;
    this.outerName = outerName;
    this.nextName = nextName;
  }

  /** Binds 127.0.0.1:0 on the outer client's loop; returns the address for the inner client. */
  InetSocketAddress start() throws InterruptedException {
    listener =
        Listeners.bind(
            outer, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new Acceptor(), 16);
    return (InetSocketAddress) listener.localAddress();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** The only client whose link socket is let in. */
  void acceptOnlyFrom(Client innerClient) {
    this.inner = innerClient;
  }

  /** Why the last stream to the next hop was refused (and forgets it), or null. */
  String takeRefusal() {
    return refusal.getAndSet(null);
  }

  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.pipeline().remove(this);
      Channel socket = ctx.channel();
      StreamSocketHandler.install(socket); // holds early bytes until the stream exists
      InetSocketAddress peer = (InetSocketAddress) socket.remoteAddress();
      Client in = inner;
      if (in == null) {
        socket.close();
        return;
      }
      // The inner client learns its socket's local address when it issues the connect, on its own
      // loop; a task queued there now runs after that.
      in.eventLoop()
          .execute(
              () -> {
                boolean ours = peer.equals(in.linkLocalAddress());
                socket.eventLoop().execute(() -> admit(socket, ours, peer));
              });
    }
  }

  private void admit(Channel socket, boolean ours, InetSocketAddress peer) {
    if (!ours) {
      Log.warn(
          "route: a local connection from "
              + peer
              + " to the joint for "
              + nextName
              + " is not the route's own; closed");
      socket.close();
      return;
    }
    if (!socket.isActive()) {
      return;
    }
    outer.open(
        next,
        socket,
        new StreamListener() {
          @Override
          public void onRefused(RefuseCode code, String reason) {
            refusal.set(explain(code, reason));
            Mux.abort(socket);
          }
        },
        true);
  }

  /**
   * The message for a refused stream to the next hop. A refusal by the outer client itself (its
   * link is down) already names the hop that failed, so it is passed on as it is.
   */
  private String explain(RefuseCode code, String reason) {
    String ownPrefix = "no link to the server: ";
    if (reason.startsWith(ownPrefix)) {
      return reason.substring(ownPrefix.length());
    }
    boolean saysMore = !reason.isEmpty() && !reason.equals(code.text);
    return outerName
        + " refused the route to "
        + nextName
        + ": "
        + code.text
        + (saysMore ? " (" + reason + ")" : "");
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }
}
