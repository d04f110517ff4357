package dev.ett.front;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The log of failed proxy logins, rate-limited: the first failure after a quiet spell is logged at
 * once; later ones are counted by source address and summed up once a minute ("N more failed logins
 * in the last minute, from ..."), for as long as they keep coming. A flood of bad logins used to
 * write one line each (26,045 lines, 2 MB, in 12 s); now a port writes at most one line a minute
 * and one more after a quiet spell.
 *
 * <p>A plain class: the caller logs the lines it returns and calls {@link #endOfWindow} a minute
 * after each line it logged. Not thread-safe: ProxyFront synchronizes on it around every call (a
 * port's connections live on several loops with {@code --links}).
 */
final class FailedLogins {
  static final long WINDOW_SECONDS = 60;

  /** Addresses counted one by one; more are summed as "others", so a summary stays one line. */
  static final int MAX_SOURCES = 256;

  /** Addresses named in a summary, the busiest first. */
  static final int NAMED = 5;

  private final String front;
  private boolean windowOpen;
  private long total, others;
  private final Map<String, Long> bySource = new HashMap<>();

  /** {@code front} begins every line ("-D 127.0.0.1:1080"). */
  FailedLogins(String front) {
    this.front = front;
  }

  /**
   * A failed login from {@code source}: the line to log now if the window is closed (then the
   * caller calls {@link #endOfWindow} in {@value #WINDOW_SECONDS} s), else null (counted).
   */
  String onFailure(String source) {
    if (!windowOpen) {
      windowOpen = true;
      return front
          + ": failed login from "
          + source
          + " (more within a minute are counted, and logged as one line a minute)";
    }
    total++;
    if (bySource.containsKey(source) || bySource.size() < MAX_SOURCES) {
      bySource.merge(source, 1L, Long::sum);
    } else {
      others++;
    }
    return null;
  }

  /**
   * A minute after the last line: the summary of failures counted since (and the window stays open:
   * call again in a minute), or null when there were none (the window closes, and the next failure
   * is logged at once).
   */
  String endOfWindow() {
    if (total == 0) {
      windowOpen = false;
      return null;
    }
    List<Map.Entry<String, Long>> busiest =
        bySource.entrySet().stream()
            .sorted(
                Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                    .thenComparing(Map.Entry.comparingByKey()))
            .toList();
    StringBuilder sb =
        new StringBuilder(front)
            .append(": ")
            .append(total)
            .append(" more failed login")
            .append(total == 1 ? "" : "s")
            .append(" in the last minute, from ");
    long rest = others;
    for (int i = 0; i < busiest.size(); i++) {
      Map.Entry<String, Long> e = busiest.get(i);
      if (i < NAMED) {
        sb.append(i == 0 ? "" : ", ")
            .append(e.getKey())
            .append(" (")
            .append(e.getValue())
            .append(')');
      } else {
        rest += e.getValue();
      }
    }
    if (rest > 0) {
      sb.append(" and other addresses (").append(rest).append(')');
    }
    total = 0;
    others = 0;
    bySource.clear();
    return sb.toString();
  }
}
