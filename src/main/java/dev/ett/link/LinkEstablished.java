package dev.ett.link;

/**
 * Fired as a user event down the link pipeline when the handshake completed: the link now speaks
 * frames. {@code peerName} is the authorized client's name on the server, "server" on the client.
 */
public record LinkEstablished(
    Role role, Suite suite, String peerName, byte[] peerStaticKey, int peerInitialWindow, int peerMaxStreams) {

  public enum Role {
    CLIENT,
    SERVER
  }

  @Override
  public String toString() {
    return "LinkEstablished[" + role + ", " + suite + ", peer=" + peerName + "]";
  }
}
