package dev.ett.link;

/** The Noise protocols a link may use, with their preamble byte (PROTOCOL.md §2). */
public enum Suite {
  AESGCM(0x01, "Noise_IK_25519_AESGCM_SHA256"),
  CHACHAPOLY(0x02, "Noise_IK_25519_ChaChaPoly_SHA256");

  public final int wire;
  public final String noiseName;

  Suite(int wire, String noiseName) {
    this.wire = wire;
    this.noiseName = noiseName;
  }

  public static Suite fromWire(int b) {
    for (Suite s : values()) {
      if (s.wire == b) {
        return s;
      }
    }
    return null;
  }

  /** Accepts "aesgcm", "chachapoly" or the full Noise name, case-insensitively. */
  public static Suite parse(String s) {
    for (Suite v : values()) {
      if (v.name().equalsIgnoreCase(s) || v.noiseName.equalsIgnoreCase(s)) {
        return v;
      }
    }
    throw new IllegalArgumentException("suite: " + s + " (expected: aesgcm or chachapoly)");
  }
}
