package dev.ett.link;

/** The client could not complete a handshake: wrong pinned key, not an ett server, or timeout. */
public final class HandshakeFailedException extends Exception {
  private static final long serialVersionUID = 1L;

  public HandshakeFailedException(String message) {
    super(message, null, false, false);
  }
}
