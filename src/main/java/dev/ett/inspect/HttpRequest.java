package dev.ett.inspect;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Recognises an HTTP/1.0 or HTTP/1.1 request line and header section (RFC 9112 §3, §5) in a
 * client's first bytes and reads the server name it asks for; and the HTTP/2 prior-knowledge
 * preface (RFC 9113 §3.4).
 *
 * <pre>
 * request-line = method SP request-target SP ( "HTTP/1.0" / "HTTP/1.1" ) CRLF
 * field-line   = field-name ":" OWS field-value OWS CRLF      (until an empty line: CRLF CRLF)
 * </pre>
 *
 * <p>Stricter than a server need be, since the answer decides whether a stream may pass: no
 * obs-fold, no bare CR or LF, no whitespace before the colon, no control characters in values, one
 * Host at most, no userinfo (RFC 9112 §3.2, RFC 9110 §4.2.4). The request-target's form must fit
 * the method: asterisk-form only for OPTIONS, authority-form only (and always) for CONNECT. The
 * server name is the target's authority (absolute-form, authority-form), else the Host header's
 * host (RFC 9112 §3.2.2: with an absolute target a server ignores Host).
 */
final class HttpRequest {
  static final String PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  static final String MALFORMED = "a malformed HTTP request";

  private HttpRequest() {}

  /** Whether the bytes given are all of, or a start of, the HTTP/2 preface. */
  static Inspection preface(ByteBuffer b, int start, int end) {
    int n = Math.min(end - start, PREFACE.length());
    for (int k = 0; k < n; k++) {
      if ((b.get(start + k) & 0xff) != PREFACE.charAt(k)) {
        return null;
      }
    }
    return n == PREFACE.length()
        ? new Inspection.Matched(Protocol.HTTP2, Optional.empty(), false)
        : Inspection.NeedMore.INSTANCE;
  }

  /**
   * {@code null} if the bytes do not start with a method and a space (so not HTTP/1.x at all), else
   * NeedMore, Matched or Mismatched. {@code atLimit}: no more bytes will come.
   */
  static Inspection parse(ByteBuffer b, int start, int end, boolean atLimit) {
    if (end - start >= 4 && preface(b, start, end) != null) {
      return null; // "PRI" is reserved for the HTTP/2 preface (RFC 9113 §3.4): not an HTTP/1.x
      // request
    }
    int i = start;
    while (i < end && Ascii.isTchar(b.get(i) & 0xff)) {
      i++;
    }
    if (i == end) {
      return i - start <= 20 ? Inspection.NeedMore.INSTANCE : null; // a method is short
    }
    if (i == start || b.get(i) != ' ') {
      return null;
    }
    String method = ascii(b, start, i);
    int targetStart = ++i;
    while (i < end && (b.get(i) & 0xff) > 0x20 && (b.get(i) & 0xff) < 0x7f) {
      i++;
    }
    if (i == end) {
      return needMore(end - start, atLimit);
    }
    if (i == targetStart || b.get(i) != ' ') {
      return new Inspection.Mismatched(MALFORMED);
    }
    String target = ascii(b, targetStart, i);
    i++;
    String version = "HTTP/1.1\r\n";
    int k = 0;
    boolean http10 = false;
    for (; k < version.length() && i + k < end; k++) {
      int c = b.get(i + k) & 0xff;
      if (k == 7 && c == '0') {
        http10 = true;
      } else if (c != version.charAt(k)) {
        return new Inspection.Mismatched(
            k >= 5 && k <= 7 ? "an HTTP request of an unsupported version" : MALFORMED);
      }
    }
    if (k < version.length()) {
      return needMore(end - start, atLimit);
    }
    i += k;
    // request-target forms (RFC 9112 §3.2)
    String authority = null; // from the target, if it has one
    boolean connect = method.equals("CONNECT");
    if (connect) {
      authority = HostNames.authority(target, true, false);
      if (authority == null) {
        return new Inspection.Mismatched("an HTTP CONNECT request with an invalid authority");
      }
    } else if (target.equals("*")) {
      if (!method.equals("OPTIONS")) {
        return new Inspection.Mismatched(MALFORMED);
      }
    } else if (!target.startsWith("/")) {
      int colon = target.indexOf("://");
      if (colon <= 0 || !isScheme(target.substring(0, colon))) {
        return new Inspection.Mismatched(MALFORMED);
      }
      int aStart = colon + 3;
      int aEnd = aStart;
      while (aEnd < target.length() && "/?#".indexOf(target.charAt(aEnd)) < 0) {
        aEnd++;
      }
      authority = HostNames.authority(target.substring(aStart, aEnd), false, false);
      if (authority == null) {
        return new Inspection.Mismatched("an HTTP request with an invalid authority");
      }
    }
    // header fields
    String host = null;
    while (true) {
      if (i >= end) {
        return needMore(end - start, atLimit);
      }
      int c = b.get(i) & 0xff;
      if (c == '\r') {
        if (i + 1 >= end) {
          return needMore(end - start, atLimit);
        }
        if (b.get(i + 1) != '\n') {
          return new Inspection.Mismatched(MALFORMED);
        }
        break; // end of the header section
      }
      if (c == ' ' || c == '\t') {
        return new Inspection.Mismatched("an HTTP request with an obsolete line folding");
      }
      int nameStart = i;
      while (i < end && Ascii.isTchar(b.get(i) & 0xff)) {
        i++;
      }
      if (i == end) {
        return needMore(end - start, atLimit);
      }
      if (i == nameStart || b.get(i) != ':') {
        return new Inspection.Mismatched("an HTTP request with an invalid header field name");
      }
      boolean isHost = i - nameStart == 4 && ascii(b, nameStart, i).equalsIgnoreCase("host");
      int valueStart = ++i;
      while (i < end) {
        int v = b.get(i) & 0xff;
        if (v == '\r' || v == '\n' || (v < 0x20 && v != '\t') || v == 0x7f) {
          break;
        }
        i++;
      }
      if (i + 1 >= end) {
        return needMore(end - start, atLimit);
      }
      if (b.get(i) != '\r' || b.get(i + 1) != '\n') {
        return new Inspection.Mismatched(MALFORMED);
      }
      if (isHost) {
        if (host != null) {
          return new Inspection.Mismatched("an HTTP request with more than one Host");
        }
        String value = ascii(b, valueStart, i).strip();
        host = HostNames.authority(value, false, true);
        if (host == null) {
          return new Inspection.Mismatched("an HTTP request with an invalid Host");
        }
      }
      i += 2;
    }
    if (host == null
        && !http10) { // RFC 9112 §3.2: "A client MUST send a Host header field in all HTTP/1.1
      // request messages"
      return new Inspection.Mismatched("an HTTP/1.1 request without Host");
    }
    String name = authority != null ? authority : host;
    return new Inspection.Matched(
        Protocol.HTTP,
        name == null || name.isEmpty() ? Optional.empty() : Optional.of(name),
        false);
  }

  private static Inspection needMore(int given, boolean atLimit) {
    return atLimit
        ? new Inspection.Mismatched("HTTP request headers longer than " + given + " bytes")
        : Inspection.NeedMore.INSTANCE;
  }

  /** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1). */
  private static boolean isScheme(String s) {
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      boolean alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!alpha && (k == 0 || !(Ascii.isDigit(c) || c == '+' || c == '-' || c == '.'))) {
        return false;
      }
    }
    return !s.isEmpty();
  }

  /** The bytes [from, to) as ISO-8859-1 characters (callers checked they are printable). */
  static String ascii(ByteBuffer b, int from, int to) {
    char[] c = new char[to - from];
    for (int k = 0; k < c.length; k++) {
      c[k] = (char) (b.get(from + k) & 0xff);
    }
    return new String(c);
  }
}
