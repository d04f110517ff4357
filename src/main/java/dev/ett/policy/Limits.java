package dev.ett.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Per-client admission limits, counted across all of that client's links.
 *
 * <p>Each field is {@link #INHERIT} (take the server's default), {@code 0} (no limit) or a positive
 * limit. The text form is the one the authorized file and the command line use: {@code streams=N}
 * (concurrent streams), {@code rate=N} (new streams per second, bursts of up to {@code burst=N},
 * default {@code max(1, rate)}), {@code bandwidth=SIZE} (bytes per second in both directions
 * together, e.g. {@code 10m}; enforced by holding back reads and window credit, so it slows the
 * client's streams down and never drops a byte).
 *
 * @param maxStreams concurrent streams
 * @param opensPerSecond new streams per second (token bucket refill rate)
 * @param burst token bucket size: how many streams may open at once after a quiet spell
 * @param bytesPerSecond bandwidth cap, both directions together
 */
public record Limits(int maxStreams, int opensPerSecond, int burst, long bytesPerSecond) {
  public static final int INHERIT = -1;

  /** No limit at all: what a server without limit options applies. */
  public static final Limits UNLIMITED = new Limits(0, 0, 0, 0);

  /** Every field inherited: what a client line without limit options says. */
  public static final Limits INHERIT_ALL = new Limits(INHERIT, INHERIT, INHERIT, INHERIT);

  public Limits {
    check("maxStreams", maxStreams);
    check("opensPerSecond", opensPerSecond);
    check("burst", burst);
    if (bytesPerSecond < INHERIT) {
      throw new IllegalArgumentException(
          "bytesPerSecond: " + bytesPerSecond + " (expected: -1 (inherit), 0 (none) or > 0)");
    }
  }

  /** Stream limits without a bandwidth cap. */
  public Limits(int maxStreams, int opensPerSecond, int burst) {
    this(maxStreams, opensPerSecond, burst, 0);
  }

  private static void check(String what, int v) {
    if (v < INHERIT) {
      throw new IllegalArgumentException(
          what + ": " + v + " (expected: -1 (inherit), 0 (none) or > 0)");
    }
  }

  /** True if {@code word} has the {@code key=value} shape of a limit option (not a rule). */
  public static boolean isOption(String word) {
    int eq = word.indexOf('=');
    return eq > 0 && word.substring(0, eq).chars().allMatch(c -> c >= 'a' && c <= 'z' || c == '-');
  }

  /**
   * Parses {@code streams=N}, {@code rate=N} and {@code burst=N} words; fields not named are {@link
   * #INHERIT}.
   *
   * @throws IllegalArgumentException naming the word and what was expected
   */
  public static Limits parse(List<String> words) {
    int streams = INHERIT, rate = INHERIT, burst = INHERIT;
    long bandwidth = INHERIT;
    for (String w : words) {
      int eq = w.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "limit '" + w + "' (expected: streams=N, rate=N or burst=N)");
      }
      String key = w.substring(0, eq).toLowerCase(Locale.ROOT);
      if (key.equals("bandwidth")) {
        bandwidth = parseBandwidth(w, w.substring(eq + 1));
        continue;
      }
      int value = parseCount(w, w.substring(eq + 1));
      switch (key) {
        case "streams" -> streams = value;
        case "rate" -> rate = value;
        case "burst" -> burst = value;
        default ->
            throw new IllegalArgumentException(
                "limit '"
                    + w
                    + "': unknown name '"
                    + key
                    + "' (expected: streams, rate, burst or bandwidth)");
      }
    }
    return new Limits(streams, rate, burst, bandwidth);
  }

  /** Bytes per second: N, Nk, Nm or Ng (powers of 1024); 0 means no cap. */
  public static long parseBandwidth(String word, String v) {
    String t = v.toLowerCase(Locale.ROOT);
    long mul = 1;
    if (!t.isEmpty() && "kmg".indexOf(t.charAt(t.length() - 1)) >= 0) {
      mul = 1L << (10 * ("kmg".indexOf(t.charAt(t.length() - 1)) + 1));
      t = t.substring(0, t.length() - 1);
    }
    if (t.isEmpty() || t.length() > 9 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "limit '"
              + word
              + "': bandwidth '"
              + v
              + "' (expected: bytes per second, e.g. 0 (no cap), 500k, 10m)");
    }
    return Long.parseLong(t) * mul;
  }

  private static int parseCount(String word, String v) {
    if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "limit '" + word + "': value '" + v + "' (expected: 0 (no limit) ~ 999999999)");
    }
    return Integer.parseInt(v);
  }

  /** These limits with every inherited field taken from {@code defaults}. */
  public Limits over(Limits defaults) {
    return new Limits(
        maxStreams == INHERIT ? defaults.maxStreams : maxStreams,
        opensPerSecond == INHERIT ? defaults.opensPerSecond : opensPerSecond,
        burst == INHERIT ? defaults.burst : burst,
        bytesPerSecond == INHERIT ? defaults.bytesPerSecond : bytesPerSecond);
  }

  /** The bucket size actually used: {@code burst} if set, else {@code max(1, rate)}. */
  public int effectiveBurst() {
    return burst > 0 ? burst : Math.max(1, opensPerSecond);
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (maxStreams != INHERIT) {
      parts.add("streams=" + maxStreams);
    }
    if (opensPerSecond != INHERIT) {
      parts.add("rate=" + opensPerSecond);
    }
    if (burst != INHERIT) {
      parts.add("burst=" + burst);
    }
    if (bytesPerSecond != INHERIT) {
      parts.add("bandwidth=" + bytesPerSecond);
    }
    return String.join(" ", parts);
  }
}
