package dev.ett.server;

import dev.ett.front.ProxyFront;
import dev.ett.mux.StreamListener;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The server's side of a {@code -R [BIND:]PORT} proxy listener (PROTOCOL.md §10.2): the SOCKS4/4a/5
 * and HTTP proxy of {@code -D}, served on the server's port, whose every request becomes a ROPEN
 * carrying the destination it named. The client alone decides whether to connect it (its own {@code
 * --reverse-policy}); a refusal comes back as REFUSED and the proxy session answers its application
 * with the usual SOCKS or HTTP failure.
 *
 * <p>One {@link ProxyFront} per link and listener: a front's bookkeeping is confined to one event
 * loop, and the accepted sockets of a link's listener are registered on that link's loop.
 */
final class ReverseProxies {
  private ReverseProxies() {}

  /**
   * The proxy for listener {@code listener} of {@code link}; call on the link's loop.
   *
   * @param where the listening address as asked, for logs
   */
  static ProxyFront front(
      Server.LiveLink link, LinkExit exit, int listener, String rule, String where) {
    return ProxyFront.forReverse(
        "-R " + where + " of " + link.name,
        (destination, socket, session, zeroRtt) -> {
          // zeroRtt (a plain HTTP request sent with OPEN) is not used: a reverse stream's socket
          // is read after OPENED; the request already read waits in the stream handler until then.
          String remote = Transports.text((InetSocketAddress) socket.remoteAddress());
          int id = link.mux.peekNextStreamId();
          // Audit: "requested" is the destination the application named, as for -D streams.
          String refusal = exit.admitReverse(id, destination.toString(), remote, rule);
          if (refusal != null) {
            Log.info(
                "refused a proxy request from "
                    + remote
                    + " on "
                    + where
                    + " to "
                    + destination
                    + " for "
                    + link.name
                    + ": "
                    + refusal);
            session.onRefused(RefuseCode.POLICY, refusal);
            return;
          }
          int opened =
              link.mux.openReverse(
                  listener,
                  Optional.of(destination),
                  socket,
                  new StreamListener() {
                    @Override
                    public void onOpened(Destination bound) {
                      exit.reverseOpened(id, bound);
                      session.onOpened(bound);
                    }

                    @Override
                    public void onRefused(RefuseCode code, String reason) {
                      // The proxy session logs the refusal (the front's one line); the audit
                      // trail gets it here.
                      exit.reverseRefused(id, code, reason);
                      session.onRefused(code, reason);
                    }
                  });
          if (opened == 0) {
            exit.forgetReverse(id); // refused at once: its limits slot goes back
          }
        },
        ProxyFront.Limits.defaults());
  }
}
