package dev.ett.audit.trail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads an audit trail (docs/audit.md) back into {@link Trail}: links, and streams tied to their
 * link. A trail may be in several files (logrotate's {@code audit.jsonl.2.gz}, {@code
 * audit.jsonl.1}, {@code audit.jsonl}), gzip'd or not, given in any order: they are read oldest
 * first (by the time of their first line), as one sequence, so a stream in one file finds its link
 * in an earlier one.
 *
 * <p>Link numbers start again at 1 when the server restarts, so a stream's link is the latest
 * {@code link_up} with its number <em>before</em> it in the trail, not any with that number.
 *
 * <p>The trail comes from another operator's machine and may be damaged: a line that is not JSON (a
 * last line cut short by a crash), of an event this version does not know, or without the fields
 * its event needs is counted in {@link Trail.Skipped} and skipped, never fatal.
 */
public final class TrailReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Map<Long, LinkState> current = new HashMap<>();
  private final List<LinkState> links = new ArrayList<>();
  private final Map<Key, StreamState> open = new HashMap<>();
  private final List<StreamState> streams = new ArrayList<>();
  private final List<RefusalState> refusals = new ArrayList<>();
  private long notJson, unknownEvent, badFields;
  private String firstNotJson, firstUnknownEvent, firstBadFields;

  private TrailReader(String name) {
    this.name = name;
  }

  /** Reads one server's trail from its files (see the class comment for their order). */
  public static Trail read(String name, List<Path> files) throws IOException {
    List<Path> ordered = new ArrayList<>(files);
    Map<Path, Instant> first = new HashMap<>();
    for (Path f : files) {
      first.put(f, firstTime(f));
    }
    ordered.sort(Comparator.comparing(first::get));
    TrailReader r = new TrailReader(name);
    for (Path f : ordered) {
      try (BufferedReader in = open(f)) {
        String line;
        for (int n = 1; (line = in.readLine()) != null; n++) {
          r.line(f + ":" + n, line);
        }
      }
    }
    return r.finish();
  }

  /** Reads a trail from lines in memory (tests); each line's place is {@code name:n}. */
  public static Trail parse(String name, List<String> lines) {
    TrailReader r = new TrailReader(name);
    for (int i = 0; i < lines.size(); i++) {
      r.line(name + ":" + (i + 1), lines.get(i));
    }
    return r.finish();
  }

  /** Reads gzip'd files (by their magic number, not their name) as what they hold. */
  private static BufferedReader open(Path f) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(f));
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    if (b1 == 0x1f && b2 == 0x8b) {
      in = new GZIPInputStream(in);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
  }

  /** The time of the file's first readable line; an empty or unreadable file sorts last. */
  private static Instant firstTime(Path f) throws IOException {
    try (BufferedReader in = open(f)) {
      String line;
      for (int n = 0; n < 100 && (line = in.readLine()) != null; n++) {
        try {
          return Instant.parse(JSON.readTree(line).path("time").asText());
        } catch (JsonProcessingException | DateTimeParseException e) {
          // not a line to sort by: try the next
        }
      }
    }
    return Instant.MAX;
  }

  private void line(String where, String text) {
    if (text.isBlank()) {
      return;
    }
    JsonNode o;
    try {
      o = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      o = null;
    }
    if (o == null || !o.isObject()) {
      if (notJson++ == 0) {
        firstNotJson = where;
      }
      return;
    }
    try {
      event(o);
    } catch (BadFieldException e) {
      if (badFields++ == 0) {
        firstBadFields = where + ": " + e.getMessage();
      }
    } catch (UnknownEventException e) {
      if (unknownEvent++ == 0) {
        firstUnknownEvent = where + ": " + e.getMessage();
      }
    }
  }

  private void event(JsonNode o) throws BadFieldException, UnknownEventException {
    String event = text(o, "event");
    if (event == null) {
      throw new BadFieldException("event: null");
    }
    Instant time = time(o);
    switch (event) {
      case "link_up" -> {
        LinkState l = new LinkState(num(o, "link"), time, text(o, "client"));
        l.fingerprint = text(o, "fingerprint");
        l.remote = text(o, "remote");
        current.put(l.id, l);
        links.add(l);
      }
      case "link_down" -> link(o).down = time;
      case "stream_opened" -> {
        StreamState s = new StreamState(link(o), (int) num(o, "stream"), time);
        s.requested = text(o, "requested");
        s.resolved = text(o, "resolved");
        s.source = optionalText(o, "source");
        s.rule = text(o, "rule");
        open.put(new Key(s.link, s.id), s);
        streams.add(s);
      }
      case "stream_closed" -> {
        LinkState l = link(o);
        int id = (int) num(o, "stream");
        StreamState s = open.remove(new Key(l, id));
        if (s == null) { // opened in a file not given
          s = new StreamState(l, id, time.minusMillis(num(o, "duration_ms")));
          s.requested = text(o, "requested");
          s.resolved = text(o, "resolved");
          s.rule = text(o, "rule");
          streams.add(s);
        }
        s.closed = time;
        s.bytesFromClient = num(o, "bytes_from_client");
        s.bytesToClient = num(o, "bytes_to_client");
        s.end = text(o, "end");
      }
      case "stream_refused" ->
          refusals.add(
              new RefusalState(
                  link(o),
                  time,
                  text(o, "requested"),
                  text(o, "end"),
                  text(o, "code"),
                  text(o, "reason")));
      case "reload", "audit_gap" -> {
        // nothing to trace or count
      }
      default -> throw new UnknownEventException(event);
    }
  }

  /** The latest link with the event's number, or a new one if its link_up is not in the trail. */
  private LinkState link(JsonNode o) throws BadFieldException {
    long id = num(o, "link");
    LinkState l = current.get(id);
    if (l == null) {
      l = new LinkState(id, null, text(o, "client"));
      current.put(id, l);
      links.add(l);
    }
    return l;
  }

  /** A stream of one link (LinkState's equality is identity: a restart's link 1 is another). */
  private record Key(LinkState link, int stream) {}

  private Trail finish() {
    Map<LinkState, Trail.Link> done = new HashMap<>(); // LinkState: equal only to itself
    List<Trail.Link> ls = new ArrayList<>();
    for (LinkState l : links) {
      Trail.Link t = new Trail.Link(name, l.id, l.up, l.down, l.client, l.fingerprint, l.remote);
      done.put(l, t);
      ls.add(t);
    }
    List<Trail.Stream> ss = new ArrayList<>();
    for (StreamState s : streams) {
      ss.add(
          new Trail.Stream(
              done.get(s.link),
              s.id,
              s.opened,
              s.closed,
              s.requested,
              s.resolved,
              s.source,
              s.rule,
              s.bytesFromClient,
              s.bytesToClient,
              s.end));
    }
    List<Trail.Refusal> rs = new ArrayList<>();
    for (RefusalState r : refusals) {
      rs.add(new Trail.Refusal(done.get(r.link), r.time, r.requested, r.end, r.code, r.reason));
    }
    return new Trail(
        name,
        ls,
        ss,
        rs,
        new Trail.Skipped(
            notJson, firstNotJson, unknownEvent, firstUnknownEvent, badFields, firstBadFields));
  }

  private static Instant time(JsonNode o) throws BadFieldException {
    String t = text(o, "time");
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException e) {
      throw new BadFieldException("time: " + t + " (expected: e.g. 2025-06-01T12:00:00.123Z)");
    }
  }

  /** A string field that the event must have (null allowed where the trail writes null). */
  private static String text(JsonNode o, String field) throws BadFieldException {
    JsonNode v = o.get(field);
    if (v == null || !(v.isTextual() || v.isNull())) {
      throw new BadFieldException(field + ": " + (v == null ? "missing" : v + " (not a string)"));
    }
    return v.isNull() ? null : v.asText();
  }

  private static String optionalText(JsonNode o, String field) throws BadFieldException {
    return o.has(field) ? text(o, field) : null;
  }

  private static long num(JsonNode o, String field) throws BadFieldException {
    JsonNode v = o.get(field);
    if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new BadFieldException(field + ": " + (v == null ? "missing" : v + " (not an integer)"));
    }
    return v.asLong();
  }

  private static final class LinkState {
    final long id;
    final Instant up;
    final String client;
    String fingerprint, remote;
    Instant down;

    LinkState(long id, Instant up, String client) {
      this.id = id;
      this.up = up;
      this.client = client;
    }
  }

  private static final class StreamState {
    final LinkState link;
    final int id;
    final Instant opened;
    Instant closed;
    String requested, resolved, source, rule, end;
    long bytesFromClient, bytesToClient;

    StreamState(LinkState link, int id, Instant opened) {
      this.link = link;
      this.id = id;
      this.opened = opened;
    }
  }

  private record RefusalState(
      LinkState link, Instant time, String requested, String end, String code, String reason) {}

  /** A line of a known event without a field it needs, or with one of the wrong type. */
  private static final class BadFieldException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFieldException(String message) {
      super(message);
    }
  }

  /** A line whose event this version does not know (a newer server's). */
  private static final class UnknownEventException extends Exception {
    private static final long serialVersionUID = 1L;

    UnknownEventException(String event) {
      super("event " + event);
    }
  }
}
