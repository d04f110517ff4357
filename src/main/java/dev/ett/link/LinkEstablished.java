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

  /** Without this side's static key (not needed where there is only one). */
  public LinkEstablished(
      Role role,
      Suite suite,
      String peerName,
      byte[] peerStaticKey,
      int peerInitialWindow,
      int peerMaxStreams,
      int peerMaxPendingOpens,
      int peerFeatures) {
    this(
        role,
        suite,
        peerName,
        peerStaticKey,
        peerInitialWindow,
        peerMaxStreams,
        peerMaxPendingOpens,
        null,
        peerFeatures);
  }

  /** Without a features field (an older server: none). */
  public LinkEstablished(
      Role role,
      Suite suite,
      String peerName,
      byte[] peerStaticKey,
      int peerInitialWindow,
      int peerMaxStreams,
      int peerMaxPendingOpens,
      byte[] localStaticKey) {
    this(
        role,
        suite,
        peerName,
        peerStaticKey,
        peerInitialWindow,
        peerMaxStreams,
        peerMaxPendingOpens,
        localStaticKey,
        0);
  }

  /** Without this side's static key, nor a features field. */
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
        null,
        0);
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
