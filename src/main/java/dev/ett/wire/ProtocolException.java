package dev.ett.wire;

/** An authenticated peer broke the protocol; the link answers with GOAWAY PROTOCOL_ERROR. */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message, null, false, false);
  }
}
