package dev.ett.link;

/**
 * Fired as a user event down the link pipeline when the handshake completed: the link now speaks
 * frames. {@code peerName} is the authorized client's name on the server, "server" on the client.
 * {@code peerMaxPendingOpens} is how many streams the server lets be opening at once (P2's third
 * field; 0 if absent): the client keeps further OPENs back until one of those is answered. {@code
 * localStaticKey} is the public key of this side's static key pair that the handshake used: on a
 * server holding several keys (rotation), the one this client pinned; null where not known. {@code
 * peerFeatures} is P2's fourth field as the client read it (0 if absent, and on the server).
 */
public record LinkEstablished(
    Role role,
    Suite suite,
    String peerName,
    byte[] peerStaticKey,
    int peerInitialWindow,
    int peerMaxStreams,
    int peerMaxPendingOpens,
    byte[] localStaticKey,
    int peerFeatures) {

  /** P2 features bit 0: the server takes LISTEN and opens streams with ROPEN (PROTOCOL.md §10). */
  public static final int FEATURE_REVERSE = 1;

  /** The features this version of ett announces in P2. */
  public static final int FEATURES = FEATURE_REVERSE;

  /**
   * What a client's handshake learnt: the server's key and its P2 figures, features included (this
   * side's static key is not needed: a client has one).
   */
  public static LinkEstablished client(
      Suite suite,
      byte[] serverKey,
      int peerInitialWindow,
      int peerMaxStreams,
      int peerMaxPendingOpens,
      int peerFeatures) {
    return new LinkEstablished(
        Role.CLIENT,
        suite,
        "server",
        serverKey,
        peerInitialWindow,
        peerMaxStreams,
        peerMaxPendingOpens,
        null,
        peerFeatures);
  }

  /**
   * What a server's handshake learnt: the authorized client's name and key, and which of the
   * server's keys it pinned (rotation). A client sends no pending-opens figure nor features.
   */
  public static LinkEstablished server(
      Suite suite,
      String clientName,
      byte[] clientKey,
      int peerInitialWindow,
      int peerMaxStreams,
      byte[] localStaticKey) {
    return new LinkEstablished(
        Role.SERVER,
        suite,
        clientName,
        clientKey,
        peerInitialWindow,
        peerMaxStreams,
        0,
        localStaticKey,
        0);
  }

  /** For tests: no pending-opens figure, no static key of this side, no features. */
  public LinkEstablished(
      Role role,
      Suite suite,
      String peerName,
      byte[] peerStaticKey,
      int peerInitialWindow,
      int peerMaxStreams) {
    this(role, suite, peerName, peerStaticKey, peerInitialWindow, peerMaxStreams, 0, null, 0);
  }

  /** Whether the server announced reverse forwarding (client side). */
  public boolean peerSupportsReverse() {
    return (peerFeatures & FEATURE_REVERSE) != 0;
  }

  public enum Role {
    CLIENT,
    SERVER
  }

  @Override
  public String toString() {
    return "LinkEstablished[" + role + ", " + suite + ", peer=" + peerName + "]";
  }
}
