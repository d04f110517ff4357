package dev.ett.util;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ett's log calls: one line per event, never given keys or payload. A thin facade over SLF4J
 * (Logback behind it, configured by {@link LogSetup}), kept so that call sites stay one short
 * static call. Each event is logged under the calling class's name ({@code dev.ett.mux.Mux}), so
 * {@code --log-level dev.ett.mux=debug} selects one package.
 *
 * <p>Cost. A call below every configured level returns after one volatile read and a comparison
 * ({@link LogSetup#floor()}): the default configuration makes every {@link #debug} nearly free, as
 * before. Only a call that may be logged finds its caller, with {@link
 * StackWalker#getCallerClass()} (about a microsecond, less than writing the line) and the logger's
 * own level check.
 *
 * <p>Text from outside (a destination name, a reason the peer sent) is escaped by the encoder
 * ({@link LogEncoder}), the one place every event goes through, whichever logger wrote it: no
 * caller can forget it, and Netty's messages are escaped too.
 *
 * <p>The integer levels of {@link #level()} and {@link #setLevel} are the old API, kept for tests
 * and {@code -Dett.log=N}: -1 silent, 0 errors and warnings, 1 info (default), 2 ett's debug.
 */
public final class Log {
  private Log() {}

  public static final int SILENT = -1;

  private static final StackWalker WALKER =
      StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  /** One SLF4J logger per calling class, found once. */
  private static final ClassValue<Logger> LOGGERS =
      new ClassValue<>() {
        @Override
        protected Logger computeValue(Class<?> type) {
          return LoggerFactory.getLogger(type);
        }
      };

  static {
    LogSetup.ensureConfigured();
  }

  /**
   * Puts the log at integer level {@code l} (see the class comment; 2 is ett's debug lines, Netty's
   * stay at info), dropping other per-package levels and keeping the format.
   */
  public static void setLevel(int l) {
    LogSetup.setLevel(l);
  }

  /**
   * The most verbose level anything logs at, as an integer (2 when some package logs debug); tests
   * that run a command in-process put it back afterwards with {@link #setLevel}.
   */
  public static int level() {
    return LogSetup.intLevelOf(LogSetup.floor());
  }

  /** Whether the caller's debug lines are logged: for a message that costs something to build. */
  public static boolean debugEnabled() {
    if (LogSetup.DEBUG > LogSetup.floor()) {
      return false;
    }
    return LOGGERS.get(WALKER.getCallerClass()).isDebugEnabled();
  }

  public static void error(String msg) {
    if (LogSetup.ERROR >= LogSetup.floor()) {
      LOGGERS.get(WALKER.getCallerClass()).error(msg);
    }
  }

  public static void warn(String msg) {
    if (LogSetup.WARN >= LogSetup.floor()) {
      LOGGERS.get(WALKER.getCallerClass()).warn(msg);
    }
  }

  public static void info(String msg) {
    if (LogSetup.INFO >= LogSetup.floor()) {
      LOGGERS.get(WALKER.getCallerClass()).info(msg);
    }
  }

  public static void debug(String msg) {
    if (LogSetup.DEBUG >= LogSetup.floor()) {
      LOGGERS.get(WALKER.getCallerClass()).debug(msg);
    }
  }

  /**
   * {@code s} with every character that could end, start or hide a log line escaped: C0 controls
   * ({@code \n}, {@code \r}, {@code \t} by name, others as {@code \xNN}), DEL and the C1 controls
   * ({@code \xNN}), the Unicode line and paragraph separators ({@code \u2028}, {@code \u2029}), and
   * the backslash itself (doubled, so an escape cannot be faked either). Log messages carry text
   * from outside — a destination name a local application chose, a reason the peer sent — and one
   * event must stay one line. Returns {@code s} itself when nothing needs escaping.
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
}
