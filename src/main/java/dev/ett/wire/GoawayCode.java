package dev.ett.wire;

/** Why a link is going away (PROTOCOL.md §5.3). */
public enum GoawayCode {
  NORMAL(0x00, "shutting down"),
  PROTOCOL_ERROR(0x01, "protocol error"),
  KEY_REVOKED(0x02, "key revoked"),
  INTERNAL(0x03, "internal error"),
  TIMEOUT(0x04, "keepalive timeout");

  public final int wire;
  public final String text;

  GoawayCode(int wire, String text) {
    this.wire = wire;
    this.text = text;
  }

  public static GoawayCode fromWire(int code) {
    for (GoawayCode c : values()) {
      if (c.wire == code) {
        return c;
      }
    }
    return INTERNAL;
  }
}
