package dev.ett.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Per-client admission limits, counted across all of that client's links.
 *
 * <p>Each field is {@link #INHERIT} (take the server's default), {@code 0} (no limit) or a
 * positive limit. The text form is the one the authorized file and the command line use: {@code
 * streams=N} (concurrent streams), {@code rate=N} (new streams per second, bursts of up to
 * {@code burst=N}, default {@code max(1, rate)}).
 *
 * @param maxStreams concurrent streams
 * @param opensPerSecond new streams per second (token bucket refill rate)
 * @param burst token bucket size: how many streams may open at once after a quiet spell
 */
public record Limits(int maxStreams, int opensPerSecond, int burst) {
  public static final int INHERIT = -1;

  /** No limit at all: what a server without limit options applies. */
  public static final Limits UNLIMITED = new Limits(0, 0, 0);

  /** Every field inherited: what a client line without limit options says. */
  public static final Limits INHERIT_ALL = new Limits(INHERIT, INHERIT, INHERIT);

  public Limits {
    check("maxStreams", maxStreams);
    check("opensPerSecond", opensPerSecond);
    check("burst", burst);
  }

  private static void check(String what, int v) {
    if (v < INHERIT) {
      throw new IllegalArgumentException(what + ": " + v + " (expected: -1 (inherit), 0 (none) or > 0)");
    }
  }

  /** True if {@code word} has the {@code key=value} shape of a limit option (not a rule). */
  public static boolean isOption(String word) {
    int eq = word.indexOf('=');
    return eq > 0 && word.substring(0, eq).chars().allMatch(c -> c >= 'a' && c <= 'z' || c == '-');
  }

  /**
   * Parses {@code streams=N}, {@code rate=N} and {@code burst=N} words; fields not named are
   * {@link #INHERIT}.
   *
   * @throws IllegalArgumentException naming the word and what was expected
   */
  public static Limits parse(List<String> words) {
    int streams = INHERIT, rate = INHERIT, burst = INHERIT;
    for (String w : words) {
      int eq = w.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("limit '" + w + "' (expected: streams=N, rate=N or burst=N)");
      }
      String key = w.substring(0, eq).toLowerCase(Locale.ROOT);
      int value = parseCount(w, w.substring(eq + 1));
      switch (key) {
        case "streams" -> streams = value;
        case "rate" -> rate = value;
        case "burst" -> burst = value;
        default ->
            throw new IllegalArgumentException(
                "limit '" + w + "': unknown name '" + key + "' (expected: streams, rate or burst)");
      }
    }
    return new Limits(streams, rate, burst);
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
        burst == INHERIT ? defaults.burst : burst);
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
    return String.join(" ", parts);
  }
}
