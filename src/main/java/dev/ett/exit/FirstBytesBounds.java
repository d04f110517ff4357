package dev.ett.exit;

import dev.ett.inspect.FirstBytes;
import java.time.Duration;

/**
 * How much of a stream's first bytes, and for how long, the exit holds while a rule with a protocol
 * waits for them (PROTOCOL.md §6.1; {@code ett server --first-bytes-max}, {@code
 * --first-bytes-timeout}). Either bound reached, the decision is final: what was seen by then is
 * all there is.
 *
 * @param maxBytes the byte bound: 1..16 KiB (what {@link FirstBytes} looks at); the server also
 *     keeps it within its initial window, or the client could never send that many
 * @param timeout the time bound, counted from the OPEN
 */
public record FirstBytesBounds(int maxBytes, Duration timeout) {
  /** The largest byte bound: 16 KiB, all that {@link FirstBytes#inspect} looks at. */
  public static final int MAX_BYTES = FirstBytes.MAX_BYTES;

  public FirstBytesBounds {
    if (maxBytes < 1 || maxBytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "maxBytes: " + maxBytes + " (expected: 1~" + MAX_BYTES + ")");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
  }

  /** 16 KiB and 10 s. */
  public static FirstBytesBounds defaults() {
    return new FirstBytesBounds(MAX_BYTES, Duration.ofSeconds(10));
  }
}
