package dev.ett.audit;

import java.time.Instant;
import java.util.List;

/**
 * One line of the audit trail. Each event answers "which key connected where, when, and which rule
 * let it". Events never hold keys (only fingerprints) and never payload (only byte counts).
 *
 * <p>Field meanings shared by several events: {@code link} is a number the server gives each link
 * (unique for the life of the process); {@code stream} is the wire stream id on that link; {@code
 * requested} is {@code host:port} as the client asked; {@code resolved} is the {@code address:port}
 * the server connected to (or checked, for a refusal); {@code rule} is the policy decision in
 * words, naming the rule(s) that decided.
 */
public sealed interface AuditEvent {
  Instant time();

  /** The {@code "event"} field. */
  String type();

  /** {@code direction} of a stream the client opened (-L, -D, connect). */
  String FORWARD = "forward";

  /**
   * {@code direction} of a stream the server opened for a connection to a client's listener (-R);
   * its {@code remote} is the address of whoever connected to the server's port.
   */
  String REVERSE = "reverse";

  /**
   * The server listens for a client (-R). {@code address} is what it bound ({@code address:port});
   * {@code rule} the listen rule that allowed it; {@code pool} the pool it serves in, or null.
   */
  record ListenOpened(
      Instant time, long link, String client, String address, String rule, String pool)
      implements AuditEvent {
    @Override
    public String type() {
      return "listen_opened";
    }
  }

  /**
   * A listener of a client is closed, or was refused ({@code reason}: "refused: ...", "link
   * closed", "unlisten", "key revoked"); {@code address} is what was asked for when refused.
   */
  record ListenClosed(
      Instant time, long link, String client, String address, String rule, String reason)
      implements AuditEvent {
    @Override
    public String type() {
      return "listen_closed";
    }
  }

  /**
   * A client completed its handshake. {@code suite} is the Noise protocol name. {@code serverKey}
   * is the fingerprint of the server key the client pinned (a server holds several while keys
   * rotate); null where unknown.
   */
  record LinkUp(
      Instant time,
      long link,
      String client,
      String fingerprint,
      String remote,
      String suite,
      String serverKey)
      implements AuditEvent {
    /** Without the server key. */
    public LinkUp(
        Instant time, long link, String client, String fingerprint, String remote, String suite) {
      this(time, link, client, fingerprint, remote, suite, null);
    }

    @Override
    public String type() {
      return "link_up";
    }
  }

  /** A link closed; {@code reason} is "closed" or "key revoked". */
  record LinkDown(
      Instant time,
      long link,
      String client,
      String fingerprint,
      String remote,
      String reason,
      long durationMillis)
      implements AuditEvent {
    @Override
    public String type() {
      return "link_down";
    }
  }

  /**
   * What the first bytes of a stream accepted by a rule with a protocol ({@code accept *:443 tls})
   * were: the fields {@code protocol} ({@code tls}, {@code http}, {@code http2}, {@code ssh}),
   * {@code server_name} (the TLS SNI or the HTTP Host, when one was sent) and {@code ech} (TLS
   * only: true when the ClientHello carried encrypted_client_hello, and {@code server_name} is then
   * only the public name). Never payload beyond these.
   */
  record Seen(String protocol, String serverName, boolean ech) {
    public Seen {
      if (protocol == null) {
        throw new IllegalArgumentException("protocol: null (expected: tls, http, http2 or ssh)");
      }
    }
  }

  /**
   * The server connected a stream's destination. {@code source} is the server's own end of that
   * connection ({@code address:port}, null when unknown): what the destination sees as its peer, so
   * that when the destination is the next hop of a chain, its {@code link_up}'s {@code remote}
   * names this stream ({@code ett audit trace} joins the two). It tells this hop nothing new: its
   * own address. {@code seen} is null unless a rule with a protocol accepted the stream on its
   * first bytes.
   */
  record StreamOpened(
      Instant time,
      long link,
      String client,
      int stream,
      String requested,
      String resolved,
      String source,
      String rule,
      Seen seen,
      String direction,
      String remote)
      implements AuditEvent {
    /** A forward stream (the client opened it). */
    public StreamOpened(
        Instant time,
        long link,
        String client,
        int stream,
        String requested,
        String resolved,
        String source,
        String rule,
        Seen seen) {
      this(time, link, client, stream, requested, resolved, source, rule, seen, FORWARD, null);
    }

    /** A forward stream whose source is not known. */
    public StreamOpened(
        Instant time,
        long link,
        String client,
        int stream,
        String requested,
        String resolved,
        String rule,
        Seen seen) {
      this(time, link, client, stream, requested, resolved, null, rule, seen);
    }

    public StreamOpened(
        Instant time,
        long link,
        String client,
        int stream,
        String requested,
        String resolved,
        String rule) {
      this(time, link, client, stream, requested, resolved, null, rule, null);
    }

    @Override
    public String type() {
      return "stream_opened";
    }
  }

  /**
   * The server refused a stream. {@code end} is {@code policy}, {@code limit}, {@code timeout}
   * (connecting timed out), {@code unreachable}, {@code refused} (by the destination) or {@code
   * error}; {@code code} is the REFUSED code's name (PROTOCOL.md §5.1). {@code resolved} and {@code
   * rule} are null when no address was checked (limits, names that do not resolve).
   *
   * <p>A stream the policy decided on its first bytes (PROTOCOL.md §6.1) had its OPENED and is
   * refused with a RESET: {@code code} is then the RESET code's name, {@code POLICY} (refused on
   * its first bytes: {@code end} is {@code policy}, {@code reason} says what was expected and seen)
   * or {@code UNREACHABLE} (accepted, but no address connected: {@code end} says why, as above).
   */
  record StreamRefused(
      Instant time,
      long link,
      String client,
      int stream,
      String requested,
      String resolved,
      String rule,
      String end,
      String code,
      String reason)
      implements AuditEvent {
    @Override
    public String type() {
      return "stream_refused";
    }
  }

  /**
   * An opened stream ended. {@code end}: {@code fin} (both directions closed cleanly), {@code
   * reset} (see {@code by}: {@code client}, {@code destination} or {@code server}), {@code
   * timeout}, {@code link_closed} (the link went down under it) or {@code policy} (its client's key
   * was revoked). {@code detail} is the mux's own words. {@code seen} as in {@link StreamOpened}.
   */
  record StreamClosed(
      Instant time,
      long link,
      String client,
      int stream,
      String requested,
      String resolved,
      String rule,
      long bytesFromClient,
      long bytesToClient,
      long durationMillis,
      String end,
      String by,
      String detail,
      Seen seen,
      String direction,
      String remote)
      implements AuditEvent {
    /** A forward stream (the client opened it). */
    public StreamClosed(
        Instant time,
        long link,
        String client,
        int stream,
        String requested,
        String resolved,
        String rule,
        long bytesFromClient,
        long bytesToClient,
        long durationMillis,
        String end,
        String by,
        String detail,
        Seen seen) {
      this(
          time,
          link,
          client,
          stream,
          requested,
          resolved,
          rule,
          bytesFromClient,
          bytesToClient,
          durationMillis,
          end,
          by,
          detail,
          seen,
          FORWARD,
          null);
    }

    public StreamClosed(
        Instant time,
        long link,
        String client,
        int stream,
        String requested,
        String resolved,
        String rule,
        long bytesFromClient,
        long bytesToClient,
        long durationMillis,
        String end,
        String by,
        String detail) {
      this(
          time,
          link,
          client,
          stream,
          requested,
          resolved,
          rule,
          bytesFromClient,
          bytesToClient,
          durationMillis,
          end,
          by,
          detail,
          null);
    }

    @Override
    public String type() {
      return "stream_closed";
    }
  }

  /** The authorized clients and rules were reloaded; {@code revoked} names clients cut off. */
  record Reloaded(Instant time, String source, int clients, List<String> revoked)
      implements AuditEvent {
    public Reloaded {
      revoked = List.copyOf(revoked);
    }

    @Override
    public String type() {
      return "reload";
    }
  }

  /**
   * Written first after the sink recovers from a failure or an overflow: how many events were lost
   * since the previous gap record, so the trail says where it has holes.
   */
  record Gap(Instant time, long dropped, long failed) implements AuditEvent {
    @Override
    public String type() {
      return "audit_gap";
    }
  }
}
