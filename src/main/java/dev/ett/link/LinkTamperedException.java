package dev.ett.link;

/** A transport record failed authentication: its bytes were changed on the way. */
public final class LinkTamperedException extends Exception {
  private static final long serialVersionUID = 1L;

  public LinkTamperedException(String message) {
    super(message, null, false, false);
  }
}
