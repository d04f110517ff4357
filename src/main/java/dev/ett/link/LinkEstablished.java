package dev.ett.link;

/**
 * Fired as a user event down the link pipeline when the handshake completed: the link now speaks
 * frames. {@code peerName} is the authorized client's name on the server, "server" on the client.
 * {@code peerMaxPendingOpens} is how many streams the server lets be opening at once (P2's third
 * field; 0 if absent): the client keeps further OPENs back until one of those is answered.
 */
public record LinkEstablished(
    Role role,
    Suite suite,
    String peerName,
    byte[] peerStaticKey,
    int peerInitialWindow,
    int peerMaxStreams,
    int peerMaxPendingOpens,
    int peerFeatures) {

  /** P2 features bit 0: the server takes LISTEN and opens streams with ROPEN (PROTOCOL.md §10). */
  public static final int FEATURE_REVERSE = 1;

  /** The features this version of ett announces in P2. */
  public static final int FEATURES = FEATURE_REVERSE;

  /** Without a features field (an older server: none). */
  public LinkEstablished(
      Role role,
      Suite suite,
      String peerName,
      byte[] peerStaticKey,
      int peerInitialWindow,
      int peerMaxStreams,
      int peerMaxPendingOpens) {
    this(
        role,
        suite,
        peerName,
        peerStaticKey,
        peerInitialWindow,
        peerMaxStreams,
        peerMaxPendingOpens,
        0);
  }

  /** Whether the server announced reverse forwarding (client side). */
  public boolean peerSupportsReverse() {
    return (peerFeatures & FEATURE_REVERSE) != 0;
  }

  /** Without a pending-opens figure (0: the peer did not say; the client then does not pace). */
  public LinkEstablished(
      Role role,
      Suite suite,
      String peerName,
      byte[] peerStaticKey,
      int peerInitialWindow,
      int peerMaxStreams) {
    this(role, suite, peerName, peerStaticKey, peerInitialWindow, peerMaxStreams, 0);
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
