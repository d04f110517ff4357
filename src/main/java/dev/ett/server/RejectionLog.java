package dev.ett.server;

import dev.ett.link.HandshakeRejection;
import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * Counts the connections the server closed before their link came up, for a log line at most once a
 * minute: each cause's count and the address of the last one (PROTOCOL.md §4: "failures are logged
 * with the remote address"). A scanner or a flood shows without writing a line per connection. The
 * first rejection after a quiet minute is logged at once; the ones that follow are counted, and
 * {@link #flush} (called on a timer) writes them once the minute is over. Time is passed in
 * (System.nanoTime()), so a test drives it. Thread-safe.
 */
final class RejectionLog {
  static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** A line to log; {@code capReached}: a cap closed connections (a warning, not news). */
  record Line(String text, boolean capReached) {}

  private final Map<HandshakeRejection, Long> counts = new EnumMap<>(HandshakeRejection.class);
  private String lastRemote;
  private boolean logged;
  private long loggedAt;

  /** Counts one; returns the line to log now, or null. */
  synchronized Line record(HandshakeRejection why, String remote, long nowNanos) {
    counts.merge(why, 1L, Long::sum);
    lastRemote = remote;
    return due(nowNanos) ? line(nowNanos) : null;
  }

  /** The line for what was counted since the last one, once a minute has passed; or null. */
  synchronized Line flush(long nowNanos) {
    return !counts.isEmpty() && due(nowNanos) ? line(nowNanos) : null;
  }

  private boolean due(long now) {
    return !logged || now - loggedAt >= INTERVAL_NANOS;
  }

  private Line line(long now) {
    StringJoiner each = new StringJoiner(", ");
    counts.forEach((why, n) -> each.add(n + " " + why.text));
    String since =
        logged ? " in the last " + TimeUnit.NANOSECONDS.toSeconds(now - loggedAt) + " s" : "";
    boolean cap =
        counts.containsKey(HandshakeRejection.EVICTED)
            || counts.containsKey(HandshakeRejection.SOURCE_SHARE);
    Line l =
        new Line("rejected handshakes" + since + ": " + each + "; last from " + lastRemote, cap);
    counts.clear();
    logged = true;
    loggedAt = now;
    return l;
  }
}
