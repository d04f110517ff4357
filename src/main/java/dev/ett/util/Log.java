package dev.ett.util;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * A tiny logger: one line per event on standard error. Never given keys or payload. Levels: -1
 * silent (ett connect, which says what failed in its own one line), 0 errors and warnings, 1 info
 * (default), 2 debug.
 */
public final class Log {
  private static volatile int level = Integer.getInteger("ett.log", 1);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private Log() {}

  public static final int SILENT = -1;

  public static void setLevel(int l) {
    level = l;
  }

  /** The level now; tests that run a command in-process put it back afterwards. */
  public static int level() {
    return level;
  }

  public static boolean debugEnabled() {
    return level >= 2;
  }

  public static void error(String msg) {
    print("ERROR", msg);
  }

  public static void warn(String msg) {
    print("WARN", msg);
  }

  public static void info(String msg) {
    if (level >= 1) {
      print("INFO", msg);
    }
  }

  public static void debug(String msg) {
    if (level >= 2) {
      print("DEBUG", msg);
    }
  }

  /**
   * {@code s} with every character that could end, start or hide a log line escaped: C0 controls
   * ({@code \n}, {@code \r}, {@code \t} by name, others as {@code \xNN}), DEL and the C1 controls
   * ({@code \xNN}), the Unicode line and paragraph separators ({@code \u2028}, {@code \u2029}),
   * and the backslash itself (doubled, so an escape cannot be faked either). Log messages carry
   * text from outside — a destination name a local application chose, a reason the peer sent — and
   * one event must stay one line. Returns {@code s} itself when nothing needs escaping.
   */
  public static String escape(String s) {
    int i = 0;
    while (i < s.length() && !needsEscape(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!needsEscape(c)) {
        sb.append(c);
        continue;
      }
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\u2028', '\u2029' -> sb.append(String.format("\\u%04x", (int) c));
        default -> sb.append(String.format("\\x%02x", (int) c));
      }
    }
    return sb.toString();
  }

  private static boolean needsEscape(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\' || c == '\u2028' || c == '\u2029';
  }

  private static void print(String lvl, String msg) {
    if (level < 0) {
      return;
    }
    // The one place every line goes through: escaped here, no caller can forget it.
    System.err.println(LocalTime.now().format(TIME) + " " + lvl + " " + escape(msg));
  }
}
