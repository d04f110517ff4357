package dev.ett.audit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Encodes an {@link AuditEvent} as one JSON object on one line (JSON Lines), with Jackson's
 * streaming generator so that field order is the order written here. Every string is escaped per
 * RFC 8259 §7, and beyond what Jackson escapes by default also DEL, the line separators U+2028 and
 * U+2029 and a lone surrogate, so no value can break a line (for any reader) or forge a field.
 */
public final class AuditJson {
  // Lower-case hex, as the audit files have always been written.
  private static final JsonFactory JSON =
      JsonFactory.builder().disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE).build();

  private AuditJson() {}

  /** The event as a JSON object, without the trailing newline. */
  public static String encode(AuditEvent e) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.setCharacterEscapes(Escapes.LINE_SAFE);
      Line l = new Line(g);
      g.writeStartObject();
      l.str("time", e.time().toString()).str("event", e.type());
      switch (e) {
        case AuditEvent.LinkUp u -> {
          l.num("link", u.link())
              .str("client", u.client())
              .str("fingerprint", u.fingerprint())
              .str("remote", u.remote())
              .str("suite", u.suite());
          if (u.serverKey() != null) {
            l.str("server_key", u.serverKey());
          }
        }
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
                .strIfAny("source", o.source())
                .str("rule", o.rule())
                .seen(o.seen())
                .str("direction", o.direction())
                .strIfPresent("remote", o.remote());
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
                .seen(c.seen())
                .str("direction", c.direction())
                .strIfPresent("remote", c.remote());
        case AuditEvent.ListenOpened o ->
            l.num("link", o.link())
                .str("client", o.client())
                .str("address", o.address())
                .str("rule", o.rule())
                .str("pool", o.pool());
        case AuditEvent.ListenClosed c ->
            l.num("link", c.link())
                .str("client", c.client())
                .str("address", c.address())
                .str("rule", c.rule())
                .str("reason", c.reason());
        case AuditEvent.Reloaded r ->
            l.str("source", r.source()).num("clients", r.clients()).list("revoked", r.revoked());
        case AuditEvent.Gap g2 -> l.num("dropped", g2.dropped()).num("failed", g2.failed());
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot happen: a StringWriter does not fail", ex);
    }
    return out.toString();
  }

  /**
   * Jackson's escapes, plus: the control characters it would write as {@code \b} and {@code \f} and
   * DEL as {@code \}{@code u00XX}, U+2028/U+2029 always, and surrogates when {@link #SURROGATES} is
   * in force (a lone surrogate is not valid UTF-8: escaped, it survives as text instead of a '?').
   */
  private static final class Escapes extends CharacterEscapes {
    static final Escapes LINE_SAFE = new Escapes(false);
    static final Escapes SURROGATES = new Escapes(true);

    private final int[] ascii;
    private final boolean surrogates;

    private Escapes(boolean surrogates) {
      this.surrogates = surrogates;
      ascii = standardAsciiEscapesForJSON();
      ascii['\b'] = ESCAPE_STANDARD;
      ascii['\f'] = ESCAPE_STANDARD;
      ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      if (ch == '\u2028' || ch == '\u2029' || surrogates && Character.isSurrogate((char) ch)) {
        return new SerializedString(String.format("\\u%04x", ch));
      }
      return null;
    }
  }

  /** True if {@code s} holds a surrogate that is not half of a pair. */
  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private record Line(JsonGenerator g) {
    /** A field only some events of a type have (a reverse stream's remote): absent, not null. */
    Line strIfPresent(String k, String v) throws IOException {
      return v == null ? this : str(k, v);
    }

    Line str(String k, String v) throws IOException {
      g.writeFieldName(k);
      value(v);
      return this;
    }

    /**
     * A field that older trails lack: written only when known, so their lines stay as they were.
     */
    Line strIfAny(String k, String v) throws IOException {
      return v == null ? this : str(k, v);
    }

    private void value(String v) throws IOException {
      if (v == null) {
        g.writeNull();
      } else if (hasLoneSurrogate(v)) {
        // Then every surrogate of this string is escaped, pairs too: still the same text when read.
        g.setCharacterEscapes(Escapes.SURROGATES);
        g.writeString(v);
        g.setCharacterEscapes(Escapes.LINE_SAFE);
      } else {
        g.writeString(v);
      }
    }

    /** The first-bytes fields, only for a stream that has them: see {@link AuditEvent.Seen}. */
    Line seen(AuditEvent.Seen seen) throws IOException {
      if (seen == null) {
        return this;
      }
      str("protocol", seen.protocol());
      if (seen.serverName() != null) {
        str("server_name", seen.serverName());
      }
      if (seen.protocol().equals("tls")) {
        g.writeBooleanField("ech", seen.ech());
      }
      return this;
    }

    Line num(String k, long v) throws IOException {
      g.writeNumberField(k, v);
      return this;
    }

    Line list(String k, List<String> v) throws IOException {
      g.writeArrayFieldStart(k);
      for (String s : v) {
        value(s);
      }
      g.writeEndArray();
      return this;
    }
  }
}
