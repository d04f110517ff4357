package dev.ett.cli;

import java.time.Duration;
import java.util.Locale;

/** Parses the durations ("500ms", "15s", "2m", "1h") and sizes ("256k", "1m", "1g") of options. */
final class Units {
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
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("duration: " + s + " (expected e.g. 500ms, 15s, 2m, 1h)");
    }
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
}
