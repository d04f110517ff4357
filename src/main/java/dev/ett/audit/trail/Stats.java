package dev.ett.audit.trail;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Totals over audit trails in a time range: streams and bytes by client and by destination (as
 * requested), refusals by their {@code end} and code. A stream counts if it was opened in the range
 * (its bytes are those of its {@code stream_closed}, 0 while the trail does not show it ending); a
 * refusal if it happened in the range. Several trails (the hops of a chain, or servers behind one
 * balancer) add up: a stream through a chain counts once per hop.
 */
public final class Stats {
  private Stats() {}

  /**
   * One row.
   *
   * @param key a client name, a destination, or {@code end code} for refusals
   * @param streams streams (or refusals) counted
   * @param bytes bytes both ways (0 for refusals)
   */
  public record Row(String key, long streams, long bytes) {}

  /**
   * The result: each list sorted by bytes then count, biggest first, at most {@code top} rows.
   *
   * @param links links that came up in the range
   */
  public record Report(
      long links,
      long streams,
      long bytes,
      List<Row> clients,
      List<Row> destinations,
      List<Row> refusals) {
    public Report {
      clients = List.copyOf(clients);
      destinations = List.copyOf(destinations);
      refusals = List.copyOf(refusals);
    }
  }

  /** {@code since} and {@code until} may be null (no bound); {@code until} is exclusive. */
  public static Report of(List<Trail> trails, Instant since, Instant until, int top) {
    if (top < 1) {
      throw new IllegalArgumentException("top: " + top + " (expected: 1 or more)");
    }
    Map<String, long[]> clients = new HashMap<>();
    Map<String, long[]> destinations = new HashMap<>();
    Map<String, long[]> refusals = new HashMap<>();
    long links = 0;
    long streams = 0;
    long bytes = 0;
    for (Trail t : trails) {
      for (Trail.Link l : t.links()) {
        if (l.up() != null && in(l.up(), since, until)) {
          links++;
        }
      }
      for (Trail.Stream s : t.streams()) {
        if (!in(s.opened(), since, until)) {
          continue;
        }
        long b = s.bytesFromClient() + s.bytesToClient();
        streams++;
        bytes += b;
        add(clients, String.valueOf(s.link().client()), b);
        add(destinations, String.valueOf(s.requested()), b);
      }
      for (Trail.Refusal r : t.refusals()) {
        if (in(r.time(), since, until)) {
          add(refusals, r.end() + " " + r.code(), 0);
        }
      }
    }
    return new Report(
        links, streams, bytes, rows(clients, top), rows(destinations, top), rows(refusals, top));
  }

  private static boolean in(Instant t, Instant since, Instant until) {
    return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
  }

  private static void add(Map<String, long[]> m, String key, long bytes) {
    long[] c = m.computeIfAbsent(key, k -> new long[2]);
    c[0]++;
    c[1] += bytes;
  }

  private static List<Row> rows(Map<String, long[]> m, int top) {
    List<Row> rows = new ArrayList<>();
    m.forEach((k, c) -> rows.add(new Row(k, c[0], c[1])));
    rows.sort(
        Comparator.comparingLong(Row::bytes)
            .thenComparingLong(Row::streams)
            .reversed()
            .thenComparing(Row::key));
    return rows.size() > top ? rows.subList(0, top) : rows;
  }
}
