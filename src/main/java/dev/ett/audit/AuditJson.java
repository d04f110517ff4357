package dev.ett.audit;

import java.util.List;

/**
 * Encodes an {@link AuditEvent} as one JSON object on one line (JSON Lines). Hand-written because
 * the shape is flat and fixed: strings, integers, a boolean, null and one list of strings. Every string is
 * escaped per RFC 8259 §7, including every control character and the line separators U+2028 and
 * U+2029, so no value can break a line or forge a field.
 */
public final class AuditJson {
  private AuditJson() {}

  /** The event as a JSON object, without the trailing newline. */
  public static String encode(AuditEvent e) {
    Line l = new Line().str("time", e.time().toString()).str("event", e.type());
    switch (e) {
      case AuditEvent.LinkUp u ->
          l.num("link", u.link())
              .str("client", u.client())
              .str("fingerprint", u.fingerprint())
              .str("remote", u.remote())
              .str("suite", u.suite());
      case AuditEvent.LinkDown d ->
          l.num("link", d.link())
              .str("client", d.client())
              .str("fingerprint", d.fingerprint())
              .str("remote", d.remote())
              .str("reason", d.reason())
              .num("duration_ms", d.durationMillis());
      case AuditEvent.StreamOpened o ->
          l.num("link", o.link())
              .str("client", o.client())
              .num("stream", Integer.toUnsignedLong(o.stream()))
              .str("requested", o.requested())
              .str("resolved", o.resolved())
              .str("rule", o.rule())
              .seen(o.seen());
      case AuditEvent.StreamRefused r ->
          l.num("link", r.link())
              .str("client", r.client())
              .num("stream", Integer.toUnsignedLong(r.stream()))
              .str("requested", r.requested())
              .str("resolved", r.resolved())
              .str("rule", r.rule())
              .str("end", r.end())
              .str("code", r.code())
              .str("reason", r.reason());
      case AuditEvent.StreamClosed c ->
          l.num("link", c.link())
              .str("client", c.client())
              .num("stream", Integer.toUnsignedLong(c.stream()))
              .str("requested", c.requested())
              .str("resolved", c.resolved())
              .str("rule", c.rule())
              .num("bytes_from_client", c.bytesFromClient())
              .num("bytes_to_client", c.bytesToClient())
              .num("duration_ms", c.durationMillis())
              .str("end", c.end())
              .str("by", c.by())
              .str("detail", c.detail())
              .seen(c.seen());
      case AuditEvent.Reloaded r ->
          l.str("source", r.source()).num("clients", r.clients()).list("revoked", r.revoked());
      case AuditEvent.Gap g -> l.num("dropped", g.dropped()).num("failed", g.failed());
    }
    return l.end();
  }

  /** Appends {@code s} as a JSON string literal, quotes included. */
  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c) && !validSurrogate(s, i)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** A lone surrogate is not valid UTF-8; escaped, it survives as text instead of a '?'. */
  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private static final class Line {
    private final StringBuilder sb = new StringBuilder(256).append('{');

    private Line key(String k) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(k).append("\":");
      return this;
    }

    Line str(String k, String v) {
      key(k);
      if (v == null) {
        sb.append("null");
      } else {
        quote(sb, v);
      }
      return this;
    }

    /** The first-bytes fields, only for a stream that has them: see {@link AuditEvent.Seen}. */
    Line seen(AuditEvent.Seen seen) {
      if (seen == null) {
        return this;
      }
      str("protocol", seen.protocol());
      if (seen.serverName() != null) {
        str("server_name", seen.serverName());
      }
      if (seen.protocol().equals("tls")) {
        key("ech").sb.append(seen.ech());
      }
      return this;
    }

    Line num(String k, long v) {
      key(k).sb.append(v);
      return this;
    }

    Line list(String k, List<String> v) {
      key(k).sb.append('[');
      for (int i = 0; i < v.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        quote(sb, v.get(i));
      }
      sb.append(']');
      return this;
    }

    String end() {
      return sb.append('}').toString();
    }
  }
}
