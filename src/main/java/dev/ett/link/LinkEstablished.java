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
    int peerMaxPendingOpens) {

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
