package dev.ett.cli;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses and checks the durations ("500ms", "15s", "2m", "1h"), sizes ("256k", "1m", "1g") and
 * counts of options. Every command checks all of its options this way before it binds or connects
 * anything, so a typo fails at start with one line naming the option, the value and what was
 * expected (Netty's wording: {@code "--threads: -3 (expected: 1~1024)"}), never hours later in a
 * shutdown hook.
 */
final class Units {
  /** A year: a longer duration is a typo, and some (keepalive × 3) are later taken in ms. */
  static final Duration MAX_DURATION = Duration.ofHours(24 * 365);

  private Units() {}

  static Duration duration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> Duration.ofSeconds(Long.parseLong(t));
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException | ArithmeticException e) {
      throw new IllegalArgumentException("duration: " + s + " (expected e.g. 500ms, 15s, 2m, 1h)");
    }
  }

  /**
   * {@code value} of {@code option} as a duration of at least {@code min} (and at most a year).
   *
   * @throws IllegalArgumentException e.g. {@code "--drain-timeout: 10x (expected: a duration such
   *     as 500ms, 15s, 2m, 1h)"}
   */
  static Duration duration(String option, String value, Duration min) {
    Duration d;
    try {
      d = duration(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          option + ": " + value + " (expected: a duration such as 500ms, 15s, 2m, 1h)");
    }
    if (d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(
          option + ": " + value + " (expected: " + text(min) + "~" + text(MAX_DURATION) + ")");
    }
    return d;
  }

  static long size(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith("ib")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("b")) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      if (t.isEmpty()) {
        throw new NumberFormatException();
      }
      char last = t.charAt(t.length() - 1);
      long mul =
          switch (last) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
          };
      String num = mul == 1 ? t : t.substring(0, t.length() - 1);
      return Math.multiplyExact(Long.parseLong(num), mul);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("size: " + s + " (expected e.g. 65536, 256k, 1m, 1g)");
    }
  }

  /**
   * {@code value} of {@code option} as a number of bytes in {@code min..max}.
   *
   * @throws IllegalArgumentException e.g. {@code "--window: 4g (expected: 16384~2147483647 bytes)"}
   */
  static long size(String option, String value, long min, long max) {
    long n;
    try {
      n = size(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          option + ": " + value + " (expected: a size such as 65536, 256k, 1m, 1g)");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(
          option + ": " + value + " (expected: " + range(min, max, Long.MAX_VALUE) + " bytes)");
    }
    return n;
  }

  /** {@code value} of {@code option}, which must be in {@code min..max}. */
  static int count(String option, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option + ": " + value + " (expected: " + range(min, max, Integer.MAX_VALUE) + ")");
    }
    return value;
  }

  private static String range(long min, long max, long unbounded) {
    return max == unbounded ? ">= " + min : min + "~" + max;
  }

  private static String text(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.toMillis() % 3_600_000 == 0) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return d.toMillis() + "ms";
  }
}
