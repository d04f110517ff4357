package dev.ett.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Goal of this test: a stream's first client bytes are recognised as the protocol a rule expects —
 * real ClientHellos from openssl s_client, curl and Java's TLS, an OpenSSH client's identification,
 * requests as curl sends them — every start of them asks for more, every corruption of a length is
 * a mismatch (never an exception), and a mismatch says what the bytes look like instead.
 */
class FirstBytesTest {
  static byte[] golden(String name) {
    try (InputStream in = FirstBytesTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    } catch (Exception e) {
      throw new AssertionError(name, e);
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Inspects {@code bytes} placed mid-buffer (position and limit not at the ends) and checks the
   * buffer is untouched.
   */
  static Inspection inspect(Protocol p, byte[] bytes, boolean atLimit) {
    byte[] backing = new byte[bytes.length + 6];
    Arrays.fill(backing, (byte) 0x16);
    System.arraycopy(bytes, 0, backing, 3, bytes.length);
    byte[] before = backing.clone();
    ByteBuffer b = ByteBuffer.wrap(backing, 3, bytes.length).asReadOnlyBuffer();
    Inspection r = FirstBytes.inspect(p, b, atLimit);
    assertThat(b.position()).isEqualTo(3);
    assertThat(b.limit()).isEqualTo(3 + bytes.length);
    assertThat(backing).isEqualTo(before);
    if (atLimit) {
      assertThat(r).isNotInstanceOf(Inspection.NeedMore.class);
    }
    return r;
  }

  static Inspection inspect(Protocol p, byte[] bytes) {
    return inspect(p, bytes, false);
  }

  static String seen(Protocol p, byte[] bytes) {
    Inspection r = inspect(p, bytes);
    assertThat(r).isInstanceOf(Inspection.Mismatched.class);
    return ((Inspection.Mismatched) r).seen();
  }

  /**
   * Every proper start of {@code bytes} asks for more; all of it matches; any start at the limit is
   * a mismatch.
   */
  static void everyPrefixNeedsMore(Protocol p, byte[] bytes, Inspection whole) {
    for (int n = 0; n < bytes.length; n++) {
      byte[] prefix = Arrays.copyOf(bytes, n);
      assertThat(inspect(p, prefix))
          .as("prefix of %d bytes", n)
          .isEqualTo(new Inspection.NeedMore());
      assertThat(inspect(p, prefix, true))
          .as("prefix of %d bytes at the limit", n)
          .isInstanceOf(Inspection.Mismatched.class);
    }
    assertThat(inspect(p, bytes)).isEqualTo(whole);
    assertThat(inspect(p, bytes, true)).isEqualTo(whole);
  }

  static Inspection.Matched tls(String name, boolean ech) {
    return new Inspection.Matched(Protocol.TLS, Optional.ofNullable(name), ech);
  }

  // ---- TLS -------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"openssl-clienthello", "curl-clienthello", "java-clienthello"})
  void realClientHellosMatchWithTheirServerName(String capture) {
    byte[] hello = golden(capture);
    everyPrefixNeedsMore(Protocol.TLS, hello, tls("www.example.com", false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl-clienthello", "curl-clienthello", "java-clienthello"})
  void aClientHelloCutIntoManyRecordsStillMatches(String capture) {
    byte[] hello = golden(capture);
    for (int size : new int[] {1, 3, 100}) {
      byte[] split = reframe(hello, size);
      assertThat(inspect(Protocol.TLS, split))
          .as("%d-byte records", size)
          .isEqualTo(tls("www.example.com", false));
      for (int n = 0; n < split.length; n += 7) {
        assertThat(inspect(Protocol.TLS, Arrays.copyOf(split, n)))
            .isEqualTo(new Inspection.NeedMore());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl-clienthello", "curl-clienthello", "java-clienthello"})
  void everyCorruptedLengthIsAMismatchNeverAnException(String capture) {
    byte[] hello = golden(capture);
    for (int at : lengthOffsets(hello)) {
      for (int delta : new int[] {-1, 1, 0x80, -0x80}) {
        byte[] bad = hello.clone();
        bad[at] = (byte) (bad[at] + delta);
        Inspection r = inspect(Protocol.TLS, bad, true);
        assertThat(r).as("byte %d %+d: %s", at, delta, r).isInstanceOf(Inspection.Mismatched.class);
      }
    }
    for (int n = 0; n < hello.length; n++) {
      assertThat(inspect(Protocol.TLS, Arrays.copyOf(hello, n), true))
          .isInstanceOf(Inspection.Mismatched.class);
    }
  }

  /** Offsets of every length byte in a one-record ClientHello (the low byte of each length). */
  static List<Integer> lengthOffsets(byte[] h) {
    List<Integer> at = new java.util.ArrayList<>(List.of(4, 3, 8, 7, 6));
    int i = 5 + 4 + 2 + 32;
    at.add(i);
    i += 1 + (h[i] & 0xff);
    at.add(i + 1);
    at.add(i);
    i += 2 + u16(h, i);
    at.add(i);
    i += 1 + (h[i] & 0xff);
    at.add(i + 1);
    at.add(i);
    i += 2;
    while (i < h.length) {
      int type = u16(h, i);
      int len = u16(h, i + 2);
      at.add(i + 3);
      at.add(i + 2);
      if (type == 0) {
        at.add(i + 5); // server_name_list
        at.add(i + 8); // host_name length (low byte)
        at.add(i + 7);
      }
      i += 4 + len;
    }
    return at;
  }

  static int u16(byte[] b, int i) {
    return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
  }

  /**
   * The handshake message of a one-record hello, re-cut into records of at most {@code size} bytes.
   */
  static byte[] reframe(byte[] oneRecord, int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 5; i < oneRecord.length; i += size) {
      int n = Math.min(size, oneRecord.length - i);
      out.write(22);
      out.write(3);
      out.write(1);
      out.write(n >> 8);
      out.write(n);
      out.write(oneRecord, i, n);
    }
    return out.toByteArray();
  }

  /**
   * A ClientHello built by hand: TLS 1.2 body, one suite, null compression, the extensions given.
   */
  static byte[] hello(byte[]... extensions) {
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    for (byte[] e : extensions) {
      ext.writeBytes(e);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {3, 3});
    body.writeBytes(new byte[32]);
    body.writeBytes(new byte[] {0, 0, 2, 0x13, 0x01, 1, 0});
    if (extensions.length > 0) {
      body.writeBytes(new byte[] {(byte) (ext.size() >> 8), (byte) ext.size()});
      body.writeBytes(ext.toByteArray());
    }
    int n = body.size();
    ByteArrayOutputStream rec = new ByteArrayOutputStream();
    rec.writeBytes(
        new byte[] {
          22, 3, 1, (byte) ((n + 4) >> 8), (byte) (n + 4), 1, 0, (byte) (n >> 8), (byte) n
        });
    rec.writeBytes(body.toByteArray());
    return rec.toByteArray();
  }

  static byte[] ext(int type, byte[] data) {
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    e.writeBytes(
        new byte[] {
          (byte) (type >> 8), (byte) type, (byte) (data.length >> 8), (byte) data.length
        });
    e.writeBytes(data);
    return e.toByteArray();
  }

  static byte[] sni(String... names) {
    ByteArrayOutputStream list = new ByteArrayOutputStream();
    for (String name : names) {
      byte[] b = ascii(name);
      list.writeBytes(new byte[] {0, (byte) (b.length >> 8), (byte) b.length});
      list.writeBytes(b);
    }
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    d.writeBytes(new byte[] {(byte) (list.size() >> 8), (byte) list.size()});
    d.writeBytes(list.toByteArray());
    return ext(0, d.toByteArray());
  }

  @Test
  void theRecordThatEndsTheHelloEndsWithIt() {
    byte[] hello = hello(sni("a.example"));
    byte[] longer = Arrays.copyOf(hello, hello.length + 1);
    longer[4]++; // one byte more in the record than the hello holds: bytes nobody looked at
    assertThat(seen(Protocol.TLS, longer)).isEqualTo("a malformed TLS ClientHello");
    byte[] next = Arrays.copyOf(hello, hello.length + 5);
    next[hello.length] = 23; // what follows in another record is not the hello's business
    assertThat(inspect(Protocol.TLS, next)).isEqualTo(tls("a.example", false));
  }

  @Test
  void serverNameIsLowerCasedWithoutTrailingDot() {
    assertThat(inspect(Protocol.TLS, hello(sni("WWW.Example.COM."))))
        .isEqualTo(tls("www.example.com", false));
  }

  @Test
  void helloWithoutExtensionsOrWithoutSniMatchesWithNoName() {
    assertThat(inspect(Protocol.TLS, hello())).isEqualTo(tls(null, false));
    assertThat(inspect(Protocol.TLS, hello(ext(23, new byte[0])))).isEqualTo(tls(null, false));
  }

  @Test
  void encryptedClientHelloIsNotedAndTheOuterNameIsThePublicName() {
    assertThat(
            inspect(
                Protocol.TLS, hello(sni("public.example.net"), ext(0xfe0d, new byte[] {0, 1, 2}))))
        .isEqualTo(tls("public.example.net", true));
  }

  @Test
  void malformedServerNamesAreMismatches() {
    assertThat(seen(Protocol.TLS, hello(sni("a.example", "b.example"))))
        .isEqualTo("a malformed TLS ClientHello");
    assertThat(seen(Protocol.TLS, hello(sni("a.example"), sni("b.example"))))
        .isEqualTo("a malformed TLS ClientHello");
    assertThat(seen(Protocol.TLS, hello(sni("bad name.example"))))
        .isEqualTo("a TLS ClientHello with an invalid server name");
    assertThat(seen(Protocol.TLS, hello(sni("evil\n.example"))))
        .isEqualTo("a TLS ClientHello with an invalid server name");
    assertThat(seen(Protocol.TLS, hello(sni("a..example"))))
        .isEqualTo("a TLS ClientHello with an invalid server name");
    assertThat(seen(Protocol.TLS, hello(ext(0, new byte[] {0, 1, 0}))))
        .isEqualTo("a malformed TLS ClientHello");
    assertThat(seen(Protocol.TLS, hello(ext(0, new byte[] {0, 4, 0, 0, 2, 'a'}))))
        .isEqualTo("a malformed TLS ClientHello");
    assertThat(seen(Protocol.TLS, hello(ext(0xfe0d, new byte[0]), ext(0xfe0d, new byte[0]))))
        .isEqualTo("a malformed TLS ClientHello");
  }

  @Test
  void otherRecordsAndHandshakesAreNamed() {
    assertThat(seen(Protocol.TLS, new byte[] {21, 3, 3, 0, 2, 2, 40}))
        .isEqualTo("a TLS alert record");
    assertThat(seen(Protocol.TLS, new byte[] {23, 3, 3, 0, 2, 2, 40}))
        .isEqualTo("a TLS application_data record");
    assertThat(seen(Protocol.TLS, new byte[] {22, 3, 3, 0, 4, 2, 0, 0, 0}))
        .isEqualTo("a TLS handshake message other than a ClientHello");
    byte[] ssl2 = {(byte) 0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10};
    assertThat(seen(Protocol.TLS, ssl2)).isEqualTo("an SSLv2-compatible ClientHello");
    assertThat(seen(Protocol.TLS, new byte[] {22, 3, 0, 0, 4}))
        .isEqualTo("5 bytes of unknown data");
  }

  @Test
  void aHelloThatCannotFitTheBoundIsRefusedAtOnce() {
    byte[] start = {22, 3, 1, 0x40, 0, 1, 0, 0x50, 0};
    assertThat(seen(Protocol.TLS, start)).isEqualTo("a TLS ClientHello longer than 16384 bytes");
  }

  @Test
  void moreThanTheBoundIsLookedAtOnlyUpToIt() {
    byte[] big = new byte[FirstBytes.MAX_BYTES + 10];
    assertThat(FirstBytes.inspect(Protocol.TLS, ByteBuffer.wrap(big)))
        .isEqualTo(new Inspection.Mismatched("16384 bytes of unknown data"));
    byte[] get = ascii("GET / HTTP/1.1\r\nX: " + "y".repeat(FirstBytes.MAX_BYTES) + "\r\n\r\n");
    assertThat(FirstBytes.inspect(Protocol.HTTP, ByteBuffer.wrap(get)))
        .isEqualTo(new Inspection.Mismatched("HTTP request headers longer than 16384 bytes"));
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  static Inspection.Matched http(String name) {
    return new Inspection.Matched(Protocol.HTTP, Optional.ofNullable(name), false);
  }

  @Test
  void curlRequestsMatchWithTheHostWithoutPort() {
    everyPrefixNeedsMore(Protocol.HTTP, golden("curl-http-get"), http("www.example.com"));
    // A POST: the body after the headers is not looked at.
    assertThat(inspect(Protocol.HTTP, golden("curl-http-post"))).isEqualTo(http("www.example.com"));
  }

  @Test
  void targetFormsFitTheirMethodsAndAnAuthorityWinsOverHost() {
    assertThat(
            inspect(
                Protocol.HTTP,
                ascii("GET http://Real.Example:8080/x?y HTTP/1.1\r\nHost: other.example\r\n\r\n")))
        .isEqualTo(http("real.example"));
    assertThat(
            inspect(
                Protocol.HTTP,
                ascii("CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n")))
        .isEqualTo(http("www.example.com"));
    assertThat(
            inspect(Protocol.HTTP, ascii("OPTIONS * HTTP/1.1\r\nHost: [2001:DB8::1]:80\r\n\r\n")))
        .isEqualTo(http("2001:db8::1"));
    assertThat(inspect(Protocol.HTTP, ascii("GET / HTTP/1.0\r\n\r\n"))).isEqualTo(http(null));
    assertThat(inspect(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost:\r\n\r\n")))
        .isEqualTo(http(null));
    assertThat(seen(Protocol.HTTP, ascii("GET * HTTP/1.1\r\nHost: a\r\n\r\n")))
        .isEqualTo("a malformed HTTP request");
    assertThat(seen(Protocol.HTTP, ascii("CONNECT www.example.com HTTP/1.1\r\nHost: a\r\n\r\n")))
        .isEqualTo("an HTTP CONNECT request with an invalid authority");
    assertThat(
            seen(
                Protocol.HTTP,
                ascii("GET http://u:p@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n")))
        .isEqualTo("an HTTP request with an invalid authority");
  }

  @Test
  void hostRulesOfRfc9112AreEnforced() {
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")))
        .isEqualTo("an HTTP/1.1 request without Host");
    assertThat(
            seen(
                Protocol.HTTP,
                ascii("GET / HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\n\r\n")))
        .isEqualTo("an HTTP request with more than one Host");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: user@a.example\r\n\r\n")))
        .isEqualTo("an HTTP request with an invalid Host");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: a.example:8x\r\n\r\n")))
        .isEqualTo("an HTTP request with an invalid Host");
  }

  @Test
  void malformedHeaderSectionsAreMismatches() {
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")))
        .isEqualTo("an HTTP request with an obsolete line folding");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\nHost: a\r\n\r\n")))
        .isEqualTo("a malformed HTTP request");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n")))
        .isEqualTo("a malformed HTTP request");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n")))
        .isEqualTo("a malformed HTTP request");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost : a\r\n\r\n")))
        .isEqualTo("an HTTP request with an invalid header field name");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nX(y): a\r\nHost: a\r\n\r\n")))
        .isEqualTo("an HTTP request with an invalid header field name");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n")))
        .isEqualTo("a malformed HTTP request");
    assertThat(seen(Protocol.HTTP, ascii("GET / HTTP/2.0\r\nHost: a\r\n\r\n")))
        .isEqualTo("an HTTP request of an unsupported version");
    assertThat(seen(Protocol.HTTP, ascii("GET  / HTTP/1.1\r\n")))
        .isEqualTo("a malformed HTTP request");
  }

  @Test
  void headersPastTheBoundAreRefusedNamingTheBound() {
    byte[] start = ascii("GET / HTTP/1.1\r\nHost: a\r\nCookie: " + "x".repeat(100));
    assertThat(inspect(Protocol.HTTP, start)).isEqualTo(new Inspection.NeedMore());
    assertThat(inspect(Protocol.HTTP, start, true))
        .isEqualTo(
            new Inspection.Mismatched(
                "HTTP request headers longer than " + start.length + " bytes"));
  }

  @Test
  void noBytesAtAllAreNoDataForEveryProtocol() {
    // A client that half-closes (or is timed out) before sending anything: nothing was seen,
    // not "a TLS ClientHello longer than 0 bytes".
    for (Protocol p : Protocol.values()) {
      assertThat(inspect(p, new byte[0], true))
          .as(p.word())
          .isEqualTo(new Inspection.Mismatched("no data"));
    }
  }

  @Test
  void http2PrefaceMatchesOnlyWhenExpected() {
    byte[] curl = golden("curl-http2-prior");
    everyPrefixNeedsMore(
        Protocol.HTTP2,
        Arrays.copyOf(curl, 24),
        new Inspection.Matched(Protocol.HTTP2, Optional.empty(), false));
    assertThat(inspect(Protocol.HTTP2, curl))
        .isEqualTo(new Inspection.Matched(Protocol.HTTP2, Optional.empty(), false));
    assertThat(seen(Protocol.HTTP, curl)).isEqualTo("an HTTP/2 preface");
    assertThat(seen(Protocol.HTTP2, golden("curl-http-get"))).isEqualTo("an HTTP GET request");
  }

  // ---- SSH -------------------------------------------------------------------------------------

  @Test
  void openSshClientIdentificationMatches() {
    everyPrefixNeedsMore(
        Protocol.SSH,
        golden("ssh-ident"),
        new Inspection.Matched(Protocol.SSH, Optional.empty(), false));
    assertThat(inspect(Protocol.SSH, ascii("SSH-1.99-PuTTY_Release_0.80\r\n")))
        .isInstanceOf(Inspection.Matched.class);
  }

  @Test
  void identificationRulesOfRfc4253AreEnforced() {
    assertThat(seen(Protocol.SSH, ascii("SSH-1.5-old\r\n")))
        .isEqualTo("an SSH-1 identification string");
    assertThat(seen(Protocol.SSH, ascii("SSH-2.0-\r\n")))
        .isEqualTo("a malformed SSH identification string");
    assertThat(seen(Protocol.SSH, ascii("SSH-2.0-a-b\r\n")))
        .isEqualTo("a malformed SSH identification string");
    assertThat(seen(Protocol.SSH, ascii("SSH-2.0-a\n")))
        .isEqualTo("a malformed SSH identification string");
    assertThat(seen(Protocol.SSH, ascii("hello\r\nSSH-2.0-a\r\n")))
        .isEqualTo(
            "12 bytes of unknown data"
                .replace("12", String.valueOf(ascii("hello\r\nSSH-2.0-a\r\n").length)));
    String longest = "SSH-2.0-" + "x".repeat(255 - 10) + "\r\n";
    assertThat(inspect(Protocol.SSH, ascii(longest))).isInstanceOf(Inspection.Matched.class);
    String tooLong = "SSH-2.0-" + "x".repeat(255 - 9) + "\r\n";
    assertThat(seen(Protocol.SSH, ascii(tooLong)))
        .isEqualTo("an SSH identification string longer than 255 bytes");
  }

  // ---- what else the bytes are ------------------------------------------------------------------

  @Test
  void mismatchesSayWhatTheBytesLookLike() {
    assertThat(
            ((Inspection.Mismatched) inspect(Protocol.TLS, golden("ssh-ident")))
                .reason(Protocol.TLS))
        .isEqualTo("expected a TLS ClientHello, saw an SSH banner");
    assertThat(seen(Protocol.SSH, golden("curl-clienthello"))).isEqualTo("a TLS ClientHello");
    assertThat(seen(Protocol.HTTP, Arrays.copyOf(golden("curl-clienthello"), 100)))
        .isEqualTo("the start of a TLS ClientHello");
    assertThat(seen(Protocol.TLS, golden("curl-http-get"))).isEqualTo("an HTTP GET request");
    assertThat(seen(Protocol.TLS, new byte[] {5, 1, 0})).isEqualTo("a SOCKS5 greeting");
    assertThat(seen(Protocol.TLS, new byte[] {4, 1, 0, 80, 93, (byte) 184, (byte) 216, 34, 0}))
        .isEqualTo("a SOCKS4 request");
    assertThat(seen(Protocol.SSH, ascii("EHLO x\r\n"))).isEqualTo("8 bytes of unknown data");
    assertThat(seen(Protocol.SSH, ascii("POST /x"))).isEqualTo("an HTTP POST request");
    assertThat(seen(Protocol.SSH, new byte[] {1})).isEqualTo("1 byte of unknown data");
    assertThat(seen(Protocol.TLS, ascii("\u0000\u0001garbage\r\n")))
        .isEqualTo("11 bytes of unknown data");
  }

  @Test
  void protocolWordsParseAndErrorsNameTheValidOnes() {
    assertThat(Protocol.parse("TLS")).isEqualTo(Protocol.TLS);
    assertThat(Protocol.parse("http2")).isEqualTo(Protocol.HTTP2);
    assertThatThrownBy(() -> Protocol.parse("tsl\n"))
        .hasMessage("unknown protocol \"tsl\\x0a\" (expected: tls, http, http2, ssh)");
  }

  @Test
  void matchedServerNamesArePrintableAscii() {
    assertThatThrownBy(() -> new Inspection.Matched(Protocol.HTTP, Optional.of("a b"), false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Inspection.Matched(Protocol.SSH, Optional.empty(), true))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
