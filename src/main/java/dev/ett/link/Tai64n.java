package dev.ett.link;

import java.time.Instant;

/**
 * TAI64N timestamps (12 bytes: u64 2^62 + seconds, u32 nanoseconds), as WireGuard puts in its first
 * handshake message so that a replayed one can be refused. Big-endian, so byte order equals time
 * order.
 */
public final class Tai64n {
  public static final int LENGTH = 12;
  private static final long BASE = 1L << 62;

  private Tai64n() {}

  public static byte[] encode(Instant t) {
    byte[] b = new byte[LENGTH];
    long s = BASE + t.getEpochSecond();
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (s >>> (56 - 8 * i));
    }
    int n = t.getNano();
    for (int i = 0; i < 4; i++) {
      b[8 + i] = (byte) (n >>> (24 - 8 * i));
    }
    return b;
  }

  /** Unsigned lexicographic comparison, which is time order for TAI64N. */
  public static int compare(byte[] a, byte[] b) {
    return java.util.Arrays.compareUnsigned(a, b);
  }
}
