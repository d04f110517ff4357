package dev.ett.audit.trail;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * "Which client reached DEST around TIME", followed back across the hops of a chain.
 *
 * <p>At the exit, a stream to the destination rides a link whose {@code link_up} says where it came
 * from ({@code remote}). When that link came from another ett server (a relay), the relay's trail
 * has a {@code stream_opened} whose {@code source} (its own end of the connection) is that {@code
 * remote}, at about the time the link came up: that stream is the previous hop, and its own link
 * says where <em>it</em> came from. Repeat until the remote is no stream's source in any trail
 * given: that is the client itself, or a hop whose trail is missing — the trace says which address
 * it stopped at, and the operator knows whether it is theirs.
 *
 * <p>Each hop's trail holds only what that hop already knew (its neighbours' addresses, its own
 * source ports); only the operator who holds all of them can join them.
 *
 * <p>Times come from different machines: a join accepts a stream opened up to {@code window} before
 * or after the link came up, and picks the nearest in time (a source port is reused only after the
 * connection closed, so an overlap in time is rare).
 */
public final class Trace {
  private Trace() {}

  /**
   * A time as RFC 3339 writes it ({@code 2025-06-01T14:00:00+02:00}, {@code 2025-06-01 12:00:00Z},
   * fractions of a second optional), which includes the audit trail's own {@code time} ({@code
   * 2025-06-01T12:00:00.123Z}). The offset is required: the trails are in UTC, the operator's clock
   * may not be, and a guess would move the window.
   */
  public static Instant time(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    if (t.length() > 10 && t.charAt(10) == ' ') {
      t = t.substring(0, 10) + "T" + t.substring(11);
    }
    try {
      return OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "time: "
              + s
              + " (expected: RFC 3339 with an offset, e.g. 2025-06-01T12:00:00Z or"
              + " 2025-06-01T14:00:00+02:00)");
    }
  }

  /** {@code DEST[:PORT]}: a name or address as the trail writes it; port 0 matches any. */
  public record Target(String host, int port) {
    public Target {
      if (host == null || host.isEmpty()) {
        throw new IllegalArgumentException("destination: empty (expected: HOST[:PORT])");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0~65535)");
      }
      host = unbracket(host).toLowerCase(Locale.ROOT);
    }

    /** {@code db.internal:5432}, {@code 10.1.2.3}, {@code [2001:db8::1]:443}, {@code ::1}. */
    public static Target parse(String s) {
      int colon = s.lastIndexOf(':');
      boolean hasPort =
          colon > 0 && (s.startsWith("[") ? s.charAt(colon - 1) == ']' : s.indexOf(':') == colon);
      if (!hasPort) {
        return new Target(s, 0);
      }
      try {
        return new Target(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "destination: " + s + " (expected: HOST[:PORT], e.g. db.internal:5432)");
      }
    }

    /** Whether {@code hostPort} (the trail's {@code requested} or {@code resolved}) is this. */
    boolean matches(String hostPort) {
      if (hostPort == null) {
        return false;
      }
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0) {
        return false;
      }
      String h = unbracket(hostPort.substring(0, colon)).toLowerCase(Locale.ROOT);
      return h.equals(host) && (port == 0 || hostPort.substring(colon + 1).equals("" + port));
    }

    private static String unbracket(String h) {
      return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    @Override
    public String toString() {
      String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
      return port == 0 ? h : h + ":" + port;
    }
  }

  /**
   * One stream to the destination and the way back to its client.
   *
   * @param hops {@code hops.get(0)} reached the destination; {@code hops.get(i + 1)} is the stream,
   *     at the hop before, that carried {@code hops.get(i)}'s link
   * @param end where the trail stops
   */
  public record Path(List<Trail.Stream> hops, End end) {
    public Path {
      hops = List.copyOf(hops);
    }

    /** The first hop's stream: the one whose link is the client's own. */
    public Trail.Stream first() {
      return hops.get(hops.size() - 1);
    }
  }

  /**
   * Where a path stops. {@code remote} is the first hop's link's remote address (null when its
   * {@code link_up} is not in the trail); {@code why} says it in words.
   */
  public record End(String remote, String why) {}

  /**
   * Every stream in {@code trails} to {@code dest} open at some time within {@code window} of
   * {@code at}, earliest first, each followed back as far as the trails go.
   */
  public static List<Path> trace(List<Trail> trails, Target dest, Instant at, Duration window) {
    Instant from = at.minus(window);
    Instant to = at.plus(window);
    List<Trail.Stream> matches = new ArrayList<>();
    for (Trail t : trails) {
      for (Trail.Stream s : t.streams()) {
        if ((dest.matches(s.requested()) || dest.matches(s.resolved())) && s.overlaps(from, to)) {
          matches.add(s);
        }
      }
    }
    matches.sort(Comparator.comparing(Trail.Stream::opened));
    List<Path> paths = new ArrayList<>();
    for (Trail.Stream s : matches) {
      paths.add(back(trails, s, window));
    }
    return paths;
  }

  private static Path back(List<Trail> trails, Trail.Stream exit, Duration window) {
    List<Trail.Stream> hops = new ArrayList<>(List.of(exit));
    while (true) {
      Trail.Link link = hops.get(hops.size() - 1).link();
      if (link.remote() == null) {
        return new Path(
            hops,
            new End(
                null,
                "link "
                    + link.id()
                    + "'s link_up is not in "
                    + link.trail()
                    + " (in an older file of that trail?)"));
      }
      Trail.Stream carrier = carrier(trails, link, window);
      if (carrier == null) {
        return new Path(
            hops,
            new End(
                link.remote(),
                "the link came from "
                    + link.remote()
                    + ", which no given audit file shows opening: the client itself, or a hop"
                    + " whose audit is missing"));
      }
      if (hops.contains(carrier)) {
        return new Path(
            hops,
            new End(
                link.remote(), "the link came from " + link.remote() + ", already on the path"));
      }
      hops.add(carrier);
    }
  }

  /**
   * The stream whose {@code source} is {@code link}'s {@code remote}, opened nearest the link's
   * {@code link_up} within {@code window}; null if none.
   */
  static Trail.Stream carrier(List<Trail> trails, Trail.Link link, Duration window) {
    Trail.Stream best = null;
    Duration bestGap = null;
    for (Trail t : trails) {
      for (Trail.Stream s : t.streams()) {
        if (!link.remote().equals(s.source())) {
          continue;
        }
        Duration gap = Duration.between(s.opened(), link.up()).abs();
        if (gap.compareTo(window) <= 0 && (bestGap == null || gap.compareTo(bestGap) < 0)) {
          best = s;
          bestGap = gap;
        }
      }
    }
    return best;
  }
}
