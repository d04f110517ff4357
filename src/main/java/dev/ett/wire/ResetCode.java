package dev.ett.wire;

/** Why a stream was reset (PROTOCOL.md §5.2). */
public enum ResetCode {
  CANCEL(0x00, "cancelled"),
  DESTINATION_RESET(0x01, "reset by the far end"),
  PROTOCOL_ERROR(0x02, "protocol error"),
  INTERNAL(0x03, "internal error"),
  TIMED_OUT(0x04, "timed out");

  public final int wire;
  public final String text;

  ResetCode(int wire, String text) {
    this.wire = wire;
    this.text = text;
  }

  public static ResetCode fromWire(int code) {
    for (ResetCode c : values()) {
      if (c.wire == code) {
        return c;
      }
    }
    return INTERNAL;
  }
}
