package dev.ett.server;

import dev.ett.audit.AuditEvent;
import dev.ett.config.AuthorizedClient;
import dev.ett.exit.Connector;
import dev.ett.mux.Exit;
import dev.ett.mux.StreamObserver;
import dev.ett.policy.ClientLimits;
import dev.ett.policy.Decision;
import dev.ett.policy.Host;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One link's exit: between the mux and the {@link Connector}. For each OPEN it looks up the
 * client's current entry (a reload may have changed its rules or revoked it), applies its limits,
 * hands the stream to the connector with its policy, and writes the stream's audit events: {@code
 * stream_opened} or {@code stream_refused} when the opening ends, {@code stream_closed} when an
 * opened stream ends (told by the mux as its {@link StreamObserver}). A stream decided on its first
 * bytes (PROTOCOL.md §6.1) is opened toward the client first: its {@code stream_opened} (with what
 * the bytes were) comes once it is accepted and connected, and a refusal then is a RESET, audited
 * as {@code stream_refused} with the RESET's code.
 *
 * <p>Runs on the link's event loop only (the mux calls both interfaces there), so its state is not
 * shared; the {@link ClientLimits} it takes from the server are.
 */
final class LinkExit implements Exit, StreamObserver {
  /** What this link knows of one stream between its OPEN and its end. */
  private static final class Tracked {
    final Destination requested;
    ClientLimits admittedBy; // non-null while the stream holds a slot
    String resolved;
    String rule;
    AuditEvent.Seen seen; // what the first bytes were, if a rule with a protocol accepted them
    boolean waited; // OPENED went out before the decision (PROTOCOL.md §6.1): a refusal is a RESET
    boolean refused; // the refusal was audited; the mux's end report adds nothing
    boolean ended;
    String reverseFrom; // a reverse stream (-R): who connected to the server's port; else null
    String listenAddress; // a reverse stream: the server's listening address, its "requested"

    Tracked(Destination requested) {
      this.requested = requested;
    }
  }

  private final Server server;
  private final Map<Integer, Tracked> streams = new HashMap<>();
  private Server.LiveLink link;

  LinkExit(Server server) {
    this.server = server;
  }

  void onLinkUp(Server.LiveLink l) {
    this.link = l;
  }

  Server.LiveLink link() {
    return link;
  }

  @Override
  public void open(String clientName, Destination destination, EventLoop loop, Callback callback) {
    int id = link.mux.lastPeerStreamId();
    Tracked t = new Tracked(destination);
    streams.put(id, t);
    Optional<AuthorizedClient> current = server.currentClient(link.key);
    if (current.isEmpty() || link.revoked) {
      refuse(id, t, callback, RefuseCode.POLICY, "policy", "key revoked", null, null);
      return;
    }
    AuthorizedClient client = current.get();
    ClientLimits limits = server.limitsFor(client);
    ClientLimits.Admission a = limits.tryOpen();
    if (a != ClientLimits.Admission.ADMITTED) {
      RefuseCode code =
          a == ClientLimits.Admission.TOO_MANY_STREAMS
              ? RefuseCode.TOO_MANY_STREAMS
              : RefuseCode.GENERAL;
      refuse(id, t, callback, code, "limit", limits.describe(a), null, null);
      return;
    }
    t.admittedBy = limits;
    server
        .connector()
        .open(
            client.name(),
            server.policyFor(client),
            destination,
            loop,
            new Connector.Result() {
              @Override
              public void connected(Channel socket, Destination bound, Decision decision) {
                server.countDecision(decision);
                t.resolved = text(bound);
                t.rule = decision.reason();
                t.seen =
                    decision
                        .seen()
                        .map(
                            m ->
                                new AuditEvent.Seen(
                                    m.protocol().word(), m.serverName().orElse(null), m.ech()))
                        .orElse(null);
                if (!t.ended) {
                  server
                      .audit()
                      .record(
                          new AuditEvent.StreamOpened(
                              server.clock().instant(),
                              link.id,
                              link.name,
                              id,
                              text(destination),
                              t.resolved,
                              source(socket),
                              t.rule,
                              t.seen));
                }
                callback.connected(
                    socket, bound); // the mux aborts the socket if the stream ended meanwhile
              }

              @Override
              public void refused(
                  RefuseCode code, String reason, InetAddress checked, Decision decision) {
                if (decision != null) {
                  server.countDecision(decision);
                }
                if (t.waited) {
                  reset(code, reason, checked, decision);
                  return;
                }
                if (t.ended) {
                  callback.refused(code, reason);
                  return;
                }
                String resolved =
                    checked == null ? null : text(Destination.of(checked, destination.port()));
                refuse(
                    id,
                    t,
                    callback,
                    code,
                    endOf(code),
                    reason,
                    resolved,
                    decision == null ? null : decision.reason());
              }

              /**
               * After OPENED: refused on the first bytes (POLICY), or accepted and not connected
               * (any other code, which says why): a RESET, audited as a refusal with its code.
               */
              private void reset(
                  RefuseCode code, String reason, InetAddress checked, Decision decision) {
                ResetCode reset =
                    code == RefuseCode.POLICY ? ResetCode.POLICY : ResetCode.UNREACHABLE;
                if (!t.ended) {
                  String resolved =
                      checked == null ? null : text(Destination.of(checked, destination.port()));
                  auditRefused(
                      id,
                      t,
                      reset.name(),
                      endOf(code),
                      reason,
                      resolved,
                      decision == null ? null : decision.reason());
                }
                callback.reset(reset); // the mux ignores it if the stream ended meanwhile
              }

              @Override
              public Exit.HeldBytes awaitFirstBytes(
                  Destination opened, Decision waiting, int maxBytes, Exit.Judge judge) {
                t.waited = true;
                t.resolved = text(opened);
                t.rule =
                    waiting
                        .reason(); // what stream_closed says if the client ends it while it waits
                return callback.awaitFirstBytes(opened, maxBytes, judge);
              }

              @Override
              public void overLimit(RefuseCode code, String reason) {
                if (t.ended) {
                  callback.refused(code, reason);
                  return;
                }
                refuse(id, t, callback, code, "limit", reason, null, null);
              }
            });
  }

  private void refuse(
      int id,
      Tracked t,
      Callback callback,
      RefuseCode code,
      String end,
      String reason,
      String resolved,
      String rule) {
    auditRefused(id, t, code.name(), end, reason, resolved, rule);
    callback.refused(code, reason); // the mux ends the stream, and onStreamEnd releases its slot
  }

  /**
   * {@code stream_refused}; {@code code} is the REFUSED code's name, or the RESET's after OPENED.
   */
  private void auditRefused(
      int id, Tracked t, String code, String end, String reason, String resolved, String rule) {
    t.refused = true;
    server
        .audit()
        .record(
            new AuditEvent.StreamRefused(
                server.clock().instant(),
                link.id,
                link.name,
                id,
                text(t.requested),
                resolved,
                rule,
                end,
                code,
                reason));
  }

  /**
   * {@code host:port} for the audit trail: a name as the client sent it (bracketed if it holds a
   * colon, so the port stays unambiguous), an address in its RFC 5952 form ({@code [::1]:22}).
   */
  static String text(Destination d) {
    if (d.isName()) {
      String n = d.name();
      return (n.indexOf(':') >= 0 && !n.startsWith("[") ? "[" + n + "]" : n) + ":" + d.port();
    }
    return new Host.Address(d.address()) + ":" + d.port();
  }

  /**
   * This server's end of a destination socket, as the destination sees its peer: what a next hop's
   * {@code link_up} records as {@code remote}, for {@code ett audit trace} to join the two.
   */
  private static String source(Channel socket) {
    return socket.localAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? text(Destination.of(a.getAddress(), a.getPort()))
        : null;
  }

  static String endOf(RefuseCode code) {
    return switch (code) {
      case POLICY -> "policy";
      case TIMED_OUT -> "timeout";
      case HOST_UNREACHABLE, NETWORK_UNREACHABLE, ADDRESS_TYPE -> "unreachable";
      case CONNECTION_REFUSED -> "refused";
      case TOO_MANY_STREAMS -> "limit";
      case GENERAL, SHUTTING_DOWN, ADDRESS_IN_USE -> "error";
    };
  }

  /**
   * A connection accepted on one of this link's listeners (-R) is about to become stream {@code
   * id}: admits it under the client's limits (streams, rate: reverse streams count as any other)
   * and tracks it for the audit trail. Returns the refusal's reason, or null if admitted.
   */
  String admitReverse(int id, String listenAddress, String remote, String rule) {
    Optional<AuthorizedClient> current = server.currentClient(link.key);
    if (current.isEmpty() || link.revoked) {
      return "key revoked";
    }
    ClientLimits limits = server.limitsFor(current.get());
    ClientLimits.Admission a = limits.tryOpen();
    if (a != ClientLimits.Admission.ADMITTED) {
      return limits.describe(a);
    }
    Tracked t = new Tracked(null);
    t.admittedBy = limits;
    t.reverseFrom = remote;
    t.listenAddress = listenAddress;
    t.rule = rule;
    streams.put(id, t);
    return null;
  }

  /** Reverse stream {@code id} was admitted but never opened: its limits slot goes back. */
  void forgetReverse(int id) {
    Tracked t = streams.remove(id);
    if (t != null && t.admittedBy != null) {
      t.admittedBy.release();
    }
  }

  /** The client connected reverse stream {@code id} to {@code bound} (its OPENED). */
  void reverseOpened(int id, Destination bound) {
    Tracked t = streams.get(id);
    if (t == null || t.ended) {
      return;
    }
    t.resolved = text(bound);
    server
        .audit()
        .record(
            new AuditEvent.StreamOpened(
                server.clock().instant(),
                link.id,
                link.name,
                id,
                t.listenAddress,
                t.resolved,
                null, // the client made the connection: the server has no end of it
                t.rule,
                null,
                AuditEvent.REVERSE,
                t.reverseFrom));
  }

  /** The client refused reverse stream {@code id}. */
  void reverseRefused(int id, RefuseCode code, String reason) {
    Tracked t = streams.get(id);
    if (t == null || t.refused) {
      return;
    }
    t.refused = true;
    server
        .audit()
        .record(
            new AuditEvent.StreamRefused(
                server.clock().instant(),
                link.id,
                link.name,
                id,
                t.listenAddress,
                null,
                t.rule,
                endOf(code),
                code.name(),
                "refused by the client: " + reason));
  }

  @Override
  public void onStreamEnd(
      String peer,
      int streamId,
      Destination requested,
      Destination connected,
      long bytesFromClient,
      long bytesToClient,
      long durationNanos,
      String how) {
    Tracked t = streams.remove(streamId);
    if (t == null) {
      return; // refused by the mux before it reached the exit: not a stream of ours
    }
    t.ended = true;
    if (t.admittedBy != null) {
      t.admittedBy.release();
      t.admittedBy = null;
    }
    if (t.refused) {
      return;
    }
    String[] endBy = endAndSide(how, link.revoked);
    server
        .audit()
        .record(
            new AuditEvent.StreamClosed(
                server.clock().instant(),
                link.id,
                link.name,
                streamId,
                t.reverseFrom != null ? t.listenAddress : text(t.requested),
                connected == null ? t.resolved : text(connected),
                t.rule,
                bytesFromClient,
                bytesToClient,
                TimeUnit.NANOSECONDS.toMillis(durationNanos),
                endBy[0],
                endBy[1],
                how,
                t.seen,
                t.reverseFrom != null ? AuditEvent.REVERSE : AuditEvent.FORWARD,
                t.reverseFrom));
  }

  /**
   * Reads the mux's words for a stream's end (see {@link StreamObserver}) on the server side:
   * "reset by peer" is the client's RESET; the server's own resets are for the destination's socket
   * closing or failing ("reset by the far end", "cancelled"), a timeout, or the client's protocol
   * error.
   */
  static String[] endAndSide(String how, boolean revoked) {
    if (how.equals("fin")) {
      return new String[] {"fin", null};
    }
    if (how.startsWith("reset by peer: ")) {
      String code = how.substring("reset by peer: ".length());
      return new String[] {code.equals(ResetCode.TIMED_OUT.text) ? "timeout" : "reset", "client"};
    }
    if (how.startsWith("reset: ")) {
      String code = how.substring("reset: ".length());
      if (code.equals(ResetCode.TIMED_OUT.text)) {
        return new String[] {"timeout", "server"};
      }
      boolean destination =
          code.equals(ResetCode.DESTINATION_RESET.text) || code.equals(ResetCode.CANCEL.text);
      return new String[] {"reset", destination ? "destination" : "server"};
    }
    if (how.equals("link closed")) {
      return revoked ? new String[] {"policy", "server"} : new String[] {"link_closed", null};
    }
    return new String[] {how, null};
  }
}
