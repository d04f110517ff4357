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

  /** The last timestamp {@link #next()} gave, as nanoseconds since the epoch. */
  private static final java.util.concurrent.atomic.AtomicLong last =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * The current time, strictly later than any earlier result in this process. The server refuses a
   * message 1 whose timestamp is not newer than the last one it accepted from the same key (the
   * replay guard); two links of one client ({@code --links}) that start in the same clock tick
   * would otherwise carry equal timestamps and one be refused. One nanosecond later than the last
   * is still the truth within the clock's resolution.
   */
  public static byte[] next() {
    return encode(nextNanos(last, Instant.now()));
  }

  /**
   * {@code now}, or one nanosecond after {@code last} if that is later; {@code last} is updated.
   * Tests pass a sequence of their own: a time in the future given to the process's sequence would
   * date every later handshake of the process there (the server then refuses other processes of the
   * same key as old).
   */
  static Instant nextNanos(java.util.concurrent.atomic.AtomicLong last, Instant now) {
    long t = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    long n = last.accumulateAndGet(t, (prev, cur) -> Math.max(prev + 1, cur));
    return Instant.ofEpochSecond(
        Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
  }

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
