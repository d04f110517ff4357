package dev.ett.inspect;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Decides whether a stream's first client bytes are the start of an expected {@link Protocol}, and
 * if not, what they look like instead. Pure and stateless: call it again with more bytes (all of
 * them from the stream's start) after a {@link Inspection.NeedMore}.
 *
 * <p>The buffer is read between its position and limit with absolute gets: its position, limit,
 * mark and content are left as they were, and nothing of it is copied but the names reported (so
 * the caller can send the held bytes on as they are). At most {@link #MAX_BYTES} are looked at.
 */
public final class FirstBytes {
  /** The most bytes looked at; the bound on what the exit holds. */
  public static final int MAX_BYTES = 16 * 1024;

  private static final java.util.Set<String> COMMON_METHODS =
      java.util.Set.of(
          "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private FirstBytes() {}

  /** {@link #inspect(Protocol, ByteBuffer, boolean)} with more bytes still to come. */
  public static Inspection inspect(Protocol expected, ByteBuffer firstBytes) {
    return inspect(expected, firstBytes, false);
  }

  /**
   * What {@code firstBytes} (a stream's bytes from its first on) are, given that the client should
   * speak {@code expected}.
   *
   * @param atLimit no more bytes will be given (the caller's byte bound is reached, or more than
   *     {@link #MAX_BYTES} are given): the answer is then never {@link Inspection.NeedMore}
   */
  public static Inspection inspect(Protocol expected, ByteBuffer firstBytes, boolean atLimit) {
    Objects.requireNonNull(expected, "expected");
    int start = firstBytes.position();
    int end = firstBytes.limit();
    if (end - start >= MAX_BYTES) {
      end = start + MAX_BYTES;
      atLimit = true;
    }
    Inspection r =
        switch (expected) {
          case TLS -> ClientHello.parse(firstBytes, start, end, MAX_BYTES);
          case HTTP -> HttpRequest.parse(firstBytes, start, end, atLimit);
          case HTTP2 -> HttpRequest.preface(firstBytes, start, end);
          case SSH -> SshIdentification.parse(firstBytes, start, end);
        };
    if (r == null) {
      return new Inspection.Mismatched(describe(firstBytes, start, end));
    }
    if (atLimit && r instanceof Inspection.NeedMore) {
      if (end == start) {
        return new Inspection.Mismatched("no data"); // a FIN or the time bound before any byte
      }
      return new Inspection.Mismatched(
          switch (expected) {
            case TLS -> "a TLS ClientHello longer than " + (end - start) + " bytes";
            case HTTP -> "HTTP request headers longer than " + (end - start) + " bytes";
            case HTTP2, SSH ->
                "only the first " + (end - start) + " bytes of " + expected.description();
          });
    }
    return r;
  }

  /**
   * What bytes that are not the start of the expected protocol look like, for an operator: "an SSH
   * banner", "a TLS ClientHello", "a SOCKS5 greeting", else "N bytes of unknown data". Names
   * nothing taken from the bytes but an HTTP method (a token: printable, no spaces).
   */
  static String describe(ByteBuffer b, int start, int end) {
    int n = end - start;
    if (n == 0) {
      return "no data";
    }
    int b0 = b.get(start) & 0xff;
    if (n >= 3
        && b0 >= 20
        && b0 <= 24
        && ClientHello.isRecordLayerVersion(b.get(start + 1) & 0xff, b.get(start + 2) & 0xff)) {
      if (b0 == ClientHello.HANDSHAKE) {
        Inspection tls = ClientHello.parse(b, start, end, MAX_BYTES);
        return switch (tls) {
          case Inspection.Mismatched m -> m.seen();
          case Inspection.NeedMore x -> "the start of a TLS ClientHello";
          case Inspection.Matched x -> "a TLS ClientHello";
        };
      }
      return switch (b0) {
        case 20 -> "a TLS change_cipher_spec record";
        case 21 -> "a TLS alert record";
        case 23 -> "a TLS application_data record";
        default -> "a TLS heartbeat record";
      };
    }
    // SSL 2.0-compatible ClientHello (RFC 5246 Appendix E.2): 2-byte length with the top bit set,
    // msg_type 1, version 0x0002 or 0x03xx.
    if (n >= 5
        && (b0 & 0x80) != 0
        && b.get(start + 2) == 1
        && ((b.get(start + 3) == 3) || (b.get(start + 3) == 0 && b.get(start + 4) == 2))) {
      return "an SSLv2-compatible ClientHello";
    }
    if (n >= 4 && HttpRequest.preface(b, start, end) != null) {
      return Protocol.HTTP2.description();
    }
    if (n >= 4 && SshIdentification.parse(b, start, end) != null) {
      return "an SSH banner";
    }
    // SOCKS5: VER=5 NMETHODS METHODS... (RFC 1928 §3); SOCKS4: VN=4 CD=1|2 DSTPORT DSTIP USERID 0.
    if (n >= 3 && b0 == 5 && b.get(start + 1) != 0) {
      return "a SOCKS5 greeting";
    }
    if (n >= 8 && b0 == 4 && (b.get(start + 1) == 1 || b.get(start + 1) == 2)) {
      return "a SOCKS4 request";
    }
    // HTTP/1.x: only if the first line names an HTTP version, or is still short of its end and
    // starts with a common method (SMTP's "EHLO x" also starts with a token and a space).
    Inspection http = HttpRequest.parse(b, start, end, false);
    if (http != null) {
      int sp = start;
      while (b.get(sp) != ' ') {
        sp++; // parse() returned non-null: a token then a space, or a short token at the end
        if (sp == end) {
          return n + (n == 1 ? " byte" : " bytes") + " of unknown data";
        }
      }
      String method = HttpRequest.ascii(b, start, sp);
      int eol = sp;
      while (eol < end && b.get(eol) != '\r' && b.get(eol) != '\n') {
        eol++;
      }
      boolean namesVersion = HttpRequest.ascii(b, sp, eol).contains(" HTTP/");
      if (namesVersion && http instanceof Inspection.Mismatched m) {
        return m.seen();
      }
      if (namesVersion || (eol == end && COMMON_METHODS.contains(method))) {
        return "an HTTP " + Ascii.escape(method, 20) + " request";
      }
    }
    return n + (n == 1 ? " byte" : " bytes") + " of unknown data";
  }
}
