package dev.ett.wire;

/**
 * Why a stream was reset (PROTOCOL.md §5.2); a code this version does not know reads as INTERNAL.
 */
public enum ResetCode {
  CANCEL(0x00, "cancelled"),
  DESTINATION_RESET(0x01, "reset by the far end"),
  PROTOCOL_ERROR(0x02, "protocol error"),
  INTERNAL(0x03, "internal error"),
  TIMED_OUT(0x04, "timed out"),
  /**
   * Not allowed by policy: the stream's first bytes did not satisfy a rule with a protocol; sent
   * only after an OPENED that waited for them (PROTOCOL.md §6.1).
   */
  POLICY(0x05, "refused by policy on its first bytes"),
  /** No accepted address could be connected once the first bytes were accepted (§6.1). */
  UNREACHABLE(0x06, "destination unreachable");

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
