package dev.ett.link;

/**
 * Why a server closed a connection before its link came up (PROTOCOL.md §4). The peer is told
 * nothing; the server's log counts each cause ({@code text} is how it reads there), in this order.
 */
public enum HandshakeRejection {
  /**
   * Server step 1: --max-handshakes connections were handshaking and a new one came; this was the
   * oldest (one that had not sent its preamble first), closed to make room.
   */
  EVICTED("evicted at the cap"),
  /**
   * Before step 1, with --proxy-protocol: the connection did not come from a --proxy-from source,
   * so its PROXY header would not be believed.
   */
  PROXY_SOURCE("not from a --proxy-from source"),
  /**
   * Before step 1, with --proxy-protocol: no valid PROXY header (garbage, closed mid-header, or
   * none within the handshake timeout).
   */
  PROXY_HEADER("no valid PROXY header"),
  /** Server step 1: this source (IPv4 address, IPv6 /64) already had its share of the cap. */
  SOURCE_SHARE("over one source's share of --max-handshakes"),
  /** Server step 2: the preamble did not arrive within {@link ServerHandshake#SILENT_TIMEOUT}. */
  SILENT("no preamble within " + ServerHandshake.SILENT_TIMEOUT.toSeconds() + " s"),
  /**
   * Steps 2-3: a bad preamble, an oversized record, or message 1 failed (bad MAC, wrong server
   * key).
   */
  GARBAGE("not a handshake (bad preamble, record or message 1)"),
  /** Step 4. */
  UNKNOWN_KEY("unknown client key"),
  /** Step 5. */
  REPLAY("replayed or old message 1"),
  /** The handshake deadline passed before message 1 was complete. */
  TIMEOUT("handshake not finished in time"),
  /**
   * Step 7: message 2 was sent, but no record that authenticates came back before the deadline or
   * the close: a replayed message 1 (which a restarted server cannot tell), or a client gone.
   */
  UNCONFIRMED("no valid record after message 2"),
  /** The peer closed (or reset) the connection before sending message 1. */
  CLOSED("closed by the peer");

  public final String text;

  HandshakeRejection(String text) {
    this.text = text;
  }
}
