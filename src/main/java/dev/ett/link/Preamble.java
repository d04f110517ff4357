package dev.ett.link;

import java.nio.charset.StandardCharsets;

/**
 * The 8 bytes a client sends before the handshake, and the prologue they bind into (PROTOCOL.md
 * §2).
 */
public final class Preamble {
  public static final int LENGTH = 8;
  public static final int VERSION = 1;
  private static final byte[] MAGIC = {'E', 'T', 'T', '!'};
  private static final byte[] PROLOGUE_PREFIX = "ett/1".getBytes(StandardCharsets.US_ASCII);

  private Preamble() {}

  public static byte[] encode(Suite suite) {
    return new byte[] {MAGIC[0], MAGIC[1], MAGIC[2], MAGIC[3], VERSION, (byte) suite.wire, 0, 0};
  }

  /**
   * Returns the suite the preamble names, or null if the preamble is not one this version speaks.
   */
  public static Suite decode(byte[] p) {
    if (p.length != LENGTH
        || p[0] != MAGIC[0]
        || p[1] != MAGIC[1]
        || p[2] != MAGIC[2]
        || p[3] != MAGIC[3]
        || p[4] != VERSION
        || p[6] != 0
        || p[7] != 0) {
      return null;
    }
    return Suite.fromWire(p[5] & 0xff);
  }

  public static byte[] prologue(byte[] preamble) {
    byte[] out = new byte[PROLOGUE_PREFIX.length + preamble.length];
    System.arraycopy(PROLOGUE_PREFIX, 0, out, 0, PROLOGUE_PREFIX.length);
    System.arraycopy(preamble, 0, out, PROLOGUE_PREFIX.length, preamble.length);
    return out;
  }
}
