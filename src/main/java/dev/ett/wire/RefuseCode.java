package dev.ett.wire;

/** Why the server did not open a stream (PROTOCOL.md §5.1), with the SOCKS5 reply it maps to. */
public enum RefuseCode {
  GENERAL(0x01, 0x01, "general failure"),
  POLICY(0x02, 0x02, "not allowed by policy"),
  NETWORK_UNREACHABLE(0x03, 0x03, "network unreachable"),
  HOST_UNREACHABLE(0x04, 0x04, "host unreachable"),
  CONNECTION_REFUSED(0x05, 0x05, "connection refused"),
  TIMED_OUT(0x06, 0x06, "timed out"),
  ADDRESS_TYPE(0x08, 0x08, "address type not supported"),
  TOO_MANY_STREAMS(0x10, 0x01, "too many streams"),
  SHUTTING_DOWN(0x11, 0x01, "server shutting down"),
  ADDRESS_IN_USE(0x12, 0x01, "address in use");

  public final int wire;
  public final int socks5Reply;
  public final String text;

  RefuseCode(int wire, int socks5Reply, String text) {
    this.wire = wire;
    this.socks5Reply = socks5Reply;
    this.text = text;
  }

  /** Unknown codes from a newer peer read as GENERAL: the stream is refused either way. */
  public static RefuseCode fromWire(int code) {
    for (RefuseCode c : values()) {
      if (c.wire == code) {
        return c;
      }
    }
    return GENERAL;
  }
}
