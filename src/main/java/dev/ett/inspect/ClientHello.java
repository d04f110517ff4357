package dev.ett.inspect;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Recognises a TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) in a client's first bytes, and
 * reads its server_name (RFC 6066 §3) and whether it carries encrypted_client_hello.
 *
 * <pre>
 * record:    type=22 (1) | version 0x0301..0x0304 (2) | length 1..2^14 (2) | fragment
 * handshake: msg_type=1 (1) | length (3) | body           (may span several records)
 * body:      client_version 0x0301..0x0303 (2) | random (32) | session_id &lt;0..32&gt;
 *            | cipher_suites &lt;2..2^16-2&gt; (even) | compression_methods &lt;1..2^8-1&gt;
 *            | [ extensions &lt;0..2^16-1&gt; ]  (ending exactly where the body ends)
 * extension: type (2) | length (2) | data; server_name (0), encrypted_client_hello (0xfe0d) at most once
 * server_name data: server_name_list &lt;1..2^16-1&gt; of name_type (1) | HostName &lt;1..2^16-1&gt;;
 *            one host_name (0) entry at most, an ASCII DNS name
 * </pre>
 *
 * <p>The handshake message is read where it lies, across record headers, by a {@link Reader} over
 * the fragments: nothing is copied but the server name.
 */
final class ClientHello {
  static final int RECORD_HEADER = 5;
  static final int MAX_FRAGMENT = 1 << 14; // RFC 8446 §5.1
  static final int HANDSHAKE = 22;
  static final int CLIENT_HELLO = 1;
  static final int EXT_SERVER_NAME = 0;
  static final int EXT_ECH = 0xfe0d; // draft-ietf-tls-esni, encrypted_client_hello
  static final String MALFORMED = "a malformed TLS ClientHello";

  private ClientHello() {}

  /**
   * Whether a record header starts at {@code i}: a content type 20..24 and version 3.x (x <= 4).
   */
  static boolean isRecordLayerVersion(int major, int minor) {
    return major == 3 && minor >= 1 && minor <= 4;
  }

  /**
   * {@code null} if the bytes do not start like a TLS handshake record at all (the caller says what
   * they look like), else NeedMore, Matched or Mismatched.
   */
  static Inspection parse(ByteBuffer b, int start, int end, int maxBytes) {
    int n = end - start;
    if (n >= 1 && (b.get(start) & 0xff) != HANDSHAKE) {
      return null;
    }
    if (n >= 3 && !isRecordLayerVersion(b.get(start + 1) & 0xff, b.get(start + 2) & 0xff)) {
      return null;
    }
    // The fragments of the handshake message, record by record, until they hold its 4-byte
    // header and then its whole length. At most maxBytes / 6 records (1-byte fragments).
    int[] fragStart = new int[8];
    int[] fragLen = new int[8];
    int frags = 0;
    int lastDeclared = 0; // the length the last record header declared
    long have = 0;
    long need = 4; // the handshake header, then header + body
    boolean headerRead = false;
    int i = start;
    while (have < need) {
      if (end - i < RECORD_HEADER) {
        return partialRecordHeader(b, i, end);
      }
      int type = b.get(i) & 0xff;
      if (type != HANDSHAKE || !isRecordLayerVersion(b.get(i + 1) & 0xff, b.get(i + 2) & 0xff)) {
        return new Inspection.Mismatched(MALFORMED); // another record before the hello is whole
      }
      int len = ((b.get(i + 3) & 0xff) << 8) | (b.get(i + 4) & 0xff);
      if (len == 0 || len > MAX_FRAGMENT) { // RFC 8446 §5.1: no empty handshake fragments
        return new Inspection.Mismatched(MALFORMED);
      }
      lastDeclared = len;
      i += RECORD_HEADER;
      int avail = Math.min(len, end - i);
      if (frags == fragStart.length) {
        fragStart = java.util.Arrays.copyOf(fragStart, frags * 2);
        fragLen = java.util.Arrays.copyOf(fragLen, frags * 2);
      }
      fragStart[frags] = i;
      fragLen[frags] = avail;
      frags++;
      have += avail;
      i += avail;
      if (!headerRead && have >= 4) {
        Reader h = new Reader(b, fragStart, fragLen, frags);
        if (h.u8() != CLIENT_HELLO) {
          return new Inspection.Mismatched("a TLS handshake message other than a ClientHello");
        }
        long bodyLen = h.u24();
        // Even in the fewest records the hello cannot fit the bound: say so at once.
        long minWire =
            RECORD_HEADER * ((4 + bodyLen + MAX_FRAGMENT - 1) / MAX_FRAGMENT) + 4 + bodyLen;
        if (minWire > maxBytes) {
          return new Inspection.Mismatched("a TLS ClientHello longer than " + maxBytes + " bytes");
        }
        need = 4 + bodyLen;
        headerRead = true;
      }
      if (avail < len && have < need) {
        return Inspection.NeedMore.INSTANCE; // the record goes on past the bytes given
      }
    }
    // A client sends nothing after its ClientHello before the server answers, so the record that
    // ends the hello ends with it (a longer record would carry bytes we did not look at).
    if (fragLen[frags - 1] - (have - need) != lastDeclared) {
      return new Inspection.Mismatched(MALFORMED);
    }
    Reader r = new Reader(b, fragStart, fragLen, frags);
    r.skip(4);
    return body(r, (int) (need - 4));
  }

  private static Inspection partialRecordHeader(ByteBuffer b, int i, int end) {
    // Check what of the next record header is there: type, then version.
    if (end - i >= 1 && (b.get(i) & 0xff) != HANDSHAKE) {
      return new Inspection.Mismatched(MALFORMED);
    }
    if (end - i >= 3 && !isRecordLayerVersion(b.get(i + 1) & 0xff, b.get(i + 2) & 0xff)) {
      return new Inspection.Mismatched(MALFORMED);
    }
    return Inspection.NeedMore.INSTANCE;
  }

  /** The ClientHello body, all of it present in {@code r}. */
  private static Inspection body(Reader r, int length) {
    int endPos = r.pos + length;
    if (length < 2 + 32 + 1 + 2 + 2 + 1 + 1) {
      return new Inspection.Mismatched(MALFORMED);
    }
    int major = r.u8();
    int minor = r.u8();
    if (major != 3 || minor < 1 || minor > 3) { // TLS 1.3 sends 0x0303 here (RFC 8446 §4.1.2)
      return new Inspection.Mismatched("a TLS ClientHello of an unsupported version");
    }
    r.skip(32); // random
    int sessionId = r.u8();
    if (sessionId > 32 || r.pos + sessionId > endPos) {
      return new Inspection.Mismatched(MALFORMED);
    }
    r.skip(sessionId);
    if (endPos - r.pos < 2) {
      return new Inspection.Mismatched(MALFORMED);
    }
    int suites = r.u16();
    if (suites < 2 || suites % 2 != 0 || r.pos + suites > endPos) {
      return new Inspection.Mismatched(MALFORMED);
    }
    r.skip(suites);
    if (endPos - r.pos < 1) {
      return new Inspection.Mismatched(MALFORMED);
    }
    int compressions = r.u8();
    if (compressions < 1 || r.pos + compressions > endPos) {
      return new Inspection.Mismatched(MALFORMED);
    }
    r.skip(compressions);
    if (r.pos == endPos) { // a hello without extensions (TLS 1.0 era): no name
      return new Inspection.Matched(Protocol.TLS, Optional.empty(), false);
    }
    if (endPos - r.pos < 2 || r.u16() != endPos - r.pos) {
      return new Inspection.Mismatched(MALFORMED);
    }
    String serverName = null;
    boolean sniSeen = false;
    boolean ech = false;
    while (r.pos < endPos) {
      if (endPos - r.pos < 4) {
        return new Inspection.Mismatched(MALFORMED);
      }
      int type = r.u16();
      int len = r.u16();
      if (len > endPos - r.pos) {
        return new Inspection.Mismatched(MALFORMED);
      }
      int extEnd = r.pos + len;
      if (type == EXT_SERVER_NAME) {
        if (sniSeen) { // RFC 8446 §4.2: no extension type twice
          return new Inspection.Mismatched(MALFORMED);
        }
        sniSeen = true;
        Object sni = serverName(r, len);
        if (sni instanceof Inspection.Mismatched m) {
          return m;
        }
        serverName = (String) sni;
      } else if (!innerLengthFits(r, type, len)) {
        return new Inspection.Mismatched(MALFORMED);
      } else if (type == EXT_ECH) {
        if (ech) {
          return new Inspection.Mismatched(MALFORMED);
        }
        ech = true;
      }
      r.skip(extEnd - r.pos);
    }
    return new Inspection.Matched(Protocol.TLS, Optional.ofNullable(serverName), ech);
  }

  /**
   * Whether a common extension's own vector length (its first field) fills its data exactly, as its
   * RFC defines it: a corrupted outer length then shows even when the extensions that follow happen
   * to line up. Other types are not looked into. Leaves {@code r} where it was.
   */
  private static boolean innerLengthFits(Reader r, int type, int len) {
    int prefix =
        switch (type) {
          case 10, 13, 16, 50, 51 ->
              2; // supported_groups, signature_algorithms, ALPN, signature_algorithms_cert,
          // key_share
          case 11, 43, 45 -> 1; // ec_point_formats, supported_versions, psk_key_exchange_modes
          default -> 0;
        };
    if (prefix == 0) {
      return true;
    }
    if (len < prefix) {
      return false;
    }
    Reader peek = r.copy();
    int inner = prefix == 1 ? peek.u8() : peek.u16();
    return inner == len - prefix;
  }

  /** The host_name of a server_name extension's data: a String, null if none, or a Mismatched. */
  private static Object serverName(Reader r, int len) {
    if (len < 2) {
      return new Inspection.Mismatched(MALFORMED);
    }
    int listLen = r.u16();
    if (listLen != len - 2 || listLen < 3) {
      return new Inspection.Mismatched(MALFORMED);
    }
    int listEnd = r.pos + listLen;
    String host = null;
    while (r.pos < listEnd) {
      if (listEnd - r.pos < 3) {
        return new Inspection.Mismatched(MALFORMED);
      }
      int nameType = r.u8();
      int nameLen = r.u16();
      if (nameLen < 1 || nameLen > listEnd - r.pos) {
        return new Inspection.Mismatched(MALFORMED);
      }
      if (nameType
          != 0) { // unknown name types are skipped (RFC 6066 §3 allows only host_name today)
        r.skip(nameLen);
        continue;
      }
      if (host != null) { // "MUST NOT contain more than one name of the same name_type"
        return new Inspection.Mismatched(MALFORMED);
      }
      if (nameLen > HostNames.MAX_LENGTH + 1) {
        return new Inspection.Mismatched("a TLS ClientHello with an invalid server name");
      }
      char[] chars = new char[nameLen];
      for (int k = 0; k < nameLen; k++) {
        chars[k] = (char) r.u8();
      }
      host = HostNames.dnsName(new String(chars));
      if (host == null) {
        return new Inspection.Mismatched("a TLS ClientHello with an invalid server name");
      }
    }
    return host;
  }

  /**
   * Reads the handshake message sequentially across its fragments (record bodies) without copying
   * them. Callers check lengths against {@code pos} before reading; reading past the fragments is
   * our own bug.
   */
  static final class Reader {
    private final ByteBuffer b;
    private final int[] fragStart;
    private final int[] fragLen;
    private final int frags;
    private int frag;
    private int inFrag;
    int pos;

    Reader(ByteBuffer b, int[] fragStart, int[] fragLen, int frags) {
      this.b = b;
      this.fragStart = fragStart;
      this.fragLen = fragLen;
      this.frags = frags;
    }

    Reader copy() {
      Reader c = new Reader(b, fragStart, fragLen, frags);
      c.frag = frag;
      c.inFrag = inFrag;
      c.pos = pos;
      return c;
    }

    int u8() {
      while (inFrag == fragLen[frag]) {
        frag++;
        inFrag = 0;
        if (frag == frags) {
          throw new IllegalStateException("read past the handshake fragments");
        }
      }
      pos++;
      return b.get(fragStart[frag] + inFrag++) & 0xff;
    }

    int u16() {
      return (u8() << 8) | u8();
    }

    int u24() {
      return (u8() << 16) | (u8() << 8) | u8();
    }

    void skip(int n) {
      int left = n;
      while (left > 0) {
        int here = fragLen[frag] - inFrag;
        if (here == 0) {
          frag++;
          inFrag = 0;
          if (frag == frags) {
            throw new IllegalStateException("skip past the handshake fragments");
          }
          continue;
        }
        int step = Math.min(here, left);
        inFrag += step;
        left -= step;
      }
      pos += n;
    }
  }
}
