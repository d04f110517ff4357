package dev.ett.inspect;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Recognises an SSH client's identification string (RFC 4253 §4.2):
 *
 * <pre>
 * SSH-protoversion-softwareversion SP comments CR LF      (at most 255 bytes, CR LF included)
 * </pre>
 *
 * <p>protoversion is "2.0", or "1.99" from a client that also speaks SSH 1 (§5.1). softwareversion
 * is printable US-ASCII without whitespace or '-'; comments are printable ASCII. A server may send
 * other lines before its identification; a client may not, and a client sends its identification at
 * once, so the first line must be it.
 */
final class SshIdentification {
  static final int MAX_LENGTH = 255;
  static final String MALFORMED = "a malformed SSH identification string";

  private SshIdentification() {}

  /** {@code null} if the bytes do not start with (a prefix of) "SSH-", else the verdict. */
  static Inspection parse(ByteBuffer b, int start, int end) {
    String magic = "SSH-";
    int n = end - start;
    for (int k = 0; k < Math.min(n, magic.length()); k++) {
      if (b.get(start + k) != magic.charAt(k)) {
        return null;
      }
    }
    if (n <= magic.length()) {
      return Inspection.NeedMore.INSTANCE;
    }
    // protoversion: "2.0-" or "1.99-"
    int i = start + magic.length();
    String v2 = "2.0-";
    String v199 = "1.99-";
    String proto = (b.get(i) == '1') ? v199 : v2;
    for (int k = 0; k < proto.length(); k++) {
      if (i + k >= end) {
        return Inspection.NeedMore.INSTANCE;
      }
      if (b.get(i + k) != proto.charAt(k)) {
        return new Inspection.Mismatched(
            b.get(i) == '1'
                ? "an SSH-1 identification string"
                : "an SSH identification string of an unsupported version");
      }
    }
    i += proto.length();
    int softwareStart = i;
    boolean comments = false;
    for (; i < end; i++) {
      if (i - start >= MAX_LENGTH) {
        return new Inspection.Mismatched(
            "an SSH identification string longer than " + MAX_LENGTH + " bytes");
      }
      int c = b.get(i) & 0xff;
      if (c == '\r') {
        if (i == softwareStart) {
          return new Inspection.Mismatched(MALFORMED);
        }
        if (i + 2 - start > MAX_LENGTH) {
          return new Inspection.Mismatched(
              "an SSH identification string longer than " + MAX_LENGTH + " bytes");
        }
        if (i + 1 >= end) {
          return Inspection.NeedMore.INSTANCE;
        }
        if (b.get(i + 1) != '\n') {
          return new Inspection.Mismatched(MALFORMED);
        }
        return new Inspection.Matched(Protocol.SSH, Optional.empty(), false);
      }
      if (c == ' ' && !comments) {
        if (i == softwareStart) {
          return new Inspection.Mismatched(MALFORMED);
        }
        comments = true;
      } else if (c < 0x20 || c > 0x7e || (!comments && c == '-')) {
        return new Inspection.Mismatched(MALFORMED);
      }
    }
    return Inspection.NeedMore.INSTANCE;
  }
}
