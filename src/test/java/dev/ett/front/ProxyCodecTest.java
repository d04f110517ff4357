package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.front.FrontFuzzing.Open;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Goal of this test: a proxy port's protocol detection and SOCKS4/4a/5 and HTTP request handling,
 * on an EmbeddedChannel with a recording opener instead of a client: what each request opens, which
 * bytes answer it, and that malformed input gets its failure reply or a close, never a hang.
 */
class ProxyCodecTest {
  private final List<Open> opens = new ArrayList<>();
  private final List<EmbeddedChannel> channels = new ArrayList<>();

  private EmbeddedChannel connection(Authenticator auth) {
    EmbeddedChannel ch = FrontFuzzing.connection(opens, auth);
    channels.add(ch);
    return ch;
  }

  private EmbeddedChannel connection() {
    return connection(null);
  }

  private static Authenticator alice() {
    return new Authenticator(
        Users.parse("test", Users.line("alice", "s3cret", 1000)), Runnable::run);
  }

  @AfterEach
  void releaseEverything() {
    for (EmbeddedChannel ch : channels) {
      ch.finishAndReleaseAll();
    }
  }

  private static ByteBuf hex(String h) {
    return Unpooled.buffer().writeBytes(HexFormat.of().parseHex(h.replace(" ", "")));
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /** Everything written to the application so far, as hex. */
  private static String written(EmbeddedChannel ch) {
    ch.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      sb.append(ByteBufUtil.hexDump(b));
      b.release();
    }
    return sb.toString();
  }

  private static String writtenText(EmbeddedChannel ch) {
    return new String(HexFormat.of().parseHex(written(ch)), StandardCharsets.ISO_8859_1);
  }

  // ---- SOCKS5 ----------------------------------------------------------------------------------

  @Test
  void socks5ConnectToANameKeepsItAName() throws Exception {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex("05 01 00"));
    assertThat(written(ch)).isEqualTo("0500");
    ch.writeInbound(
        hex("05 01 00 03 0b")
            .writeBytes("example.com".getBytes(StandardCharsets.US_ASCII))
            .writeShort(443));
    assertThat(opens)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.destination()).isEqualTo(Destination.ofName("example.com", 443));
              assertThat(o.zeroRtt()).isFalse();
            });
    assertThat(written(ch)).as("no reply before the server answers").isEmpty();
    opens.get(0).listener().onOpened(Destination.of(InetAddress.getByName("93.184.216.34"), 443));
    assertThat(written(ch)).isEqualTo("05000001000000000000");
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void socks5ConnectToIpv4AndIpv6Literals() throws Exception {
    EmbeddedChannel v4 = connection();
    v4.writeInbound(hex("05 01 00  05 01 00 01 0a000001 0050")); // greeting and request in one read
    EmbeddedChannel v6 = connection();
    v6.writeInbound(hex("05 02 00 02  05 01 00 04 00000000000000000000000000000001 1f90"));
    assertThat(opens)
        .extracting(Open::destination)
        .containsExactly(
            Destination.of(InetAddress.getByName("10.0.0.1"), 80),
            Destination.of(InetAddress.getByName("::1"), 8080));
  }

  @ParameterizedTest(name = "{0} -> REP {1}")
  @CsvSource({
    "POLICY, 02",
    "NETWORK_UNREACHABLE, 03",
    "HOST_UNREACHABLE, 04",
    "CONNECTION_REFUSED, 05",
    "TIMED_OUT, 06",
    "ADDRESS_TYPE, 08",
    "GENERAL, 01",
    "TOO_MANY_STREAMS, 01"
  })
  void socks5RefusalsTellTheTruth(RefuseCode code, String rep) {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex("05 01 00  05 01 00 01 0a000001 0050"));
    assertThat(written(ch)).isEqualTo("0500");
    opens.get(0).listener().onRefused(code, "because");
    assertThat(written(ch)).isEqualTo("05" + rep + "0001000000000000");
    assertThat(ch.isOpen()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "BIND is not supported, 05 01 00  05 02 00 01 0a000001 0050, 0500 05070001000000000000",
    "UDP ASSOCIATE is not supported, 05 01 00  05 03 00 01 0a000001 0050, 0500 05070001000000000000",
    "an unknown address type, 05 01 00  05 01 00 07 0a000001 0050, 0500 05080001000000000000",
    "a bad version in the request, 05 01 00  04 01 00 01 0a000001 0050, 0500 05010001000000000000",
    "no acceptable method, 05 01 02, 05ff",
    "a greeting with zero methods then junk, 05 00 ff, ''",
  })
  void socks5FailuresGetTheirReplyAndAClose(String what, String in, String out) {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex(in));
    assertThat(written(ch)).as(what).isEqualTo(out.replace(" ", ""));
    assertThat(opens).isEmpty();
    if (!out.isEmpty()) {
      assertThat(ch.isOpen()).as(what + ": closed").isFalse();
    }
  }

  @ParameterizedTest(name = "SOCKS5 and SOCKS4a to a name holding {0}")
  @CsvSource({"20", "09", "0a", "0d", "01", "7f", "85", "c3a9"})
  void aNameTheWireDoesNotCarryIsRefusedHereAndNeverOpened(String bad) {
    // Destination#nameProblem: printable ASCII without space only. SOCKS5 gets REP 04 host
    // unreachable (what the server answers a name it cannot use), SOCKS4a its one failure, 91.
    byte[] name = HexFormat.of().parseHex("61" + bad + "622e74657374"); // "a?b.test"
    EmbeddedChannel v5 = connection();
    v5.writeInbound(
        hex("05 01 00  05 01 00 03").writeByte(name.length).writeBytes(name).writeShort(80));
    assertThat(written(v5)).isEqualTo("0500" + "05040001000000000000");
    assertThat(v5.isOpen()).isFalse();
    EmbeddedChannel v4a = connection();
    v4a.writeInbound(hex("04 01 0050 00000001 00").writeBytes(name).writeByte(0));
    assertThat(written(v4a)).isEqualTo("005b000000000000");
    assertThat(v4a.isOpen()).isFalse();
    assertThat(opens).isEmpty();
  }

  @Test
  void socks5ConnectToAnEmptyNameIsHostUnreachable() {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex("05 01 00  05 01 00 03 00 0050"));
    assertThat(written(ch)).isEqualTo("0500" + "05040001000000000000");
    assertThat(opens).isEmpty();
  }

  @Test
  void socks5PasswordIsCheckedBeforeTheRequest() {
    EmbeddedChannel ch = connection(alice());
    ch.writeInbound(hex("05 02 00 02"));
    assertThat(written(ch)).as("the password method is chosen").isEqualTo("0502");
    ch.writeInbound(
        hex("01 05").writeBytes("alice".getBytes()).writeByte(6).writeBytes("s3cret".getBytes()));
    assertThat(written(ch)).isEqualTo("0100");
    ch.writeInbound(hex("05 01 00 01 7f000001 0016"));
    assertThat(opens).hasSize(1);
  }

  @Test
  void socks5PasswordAndRequestSentTogetherStillWork() {
    EmbeddedChannel ch = connection(alice());
    ByteBuf all =
        hex("05 01 02  01 05")
            .writeBytes("alice".getBytes())
            .writeByte(6)
            .writeBytes("s3cret".getBytes());
    all.writeBytes(HexFormat.of().parseHex("050100017f0000010016"));
    ch.writeInbound(all);
    assertThat(written(ch)).isEqualTo("0502" + "0100");
    assertThat(opens).extracting(o -> o.destination().port()).containsExactly(22);
  }

  @Test
  void socks5WrongPasswordIsRefusedAndClosed() {
    EmbeddedChannel ch = connection(alice());
    ch.writeInbound(
        hex("05 01 02  01 05")
            .writeBytes("alice".getBytes())
            .writeByte(5)
            .writeBytes("wrong".getBytes()));
    // RFC 1929 §2: any STATUS but X'00' is a failure; Netty's encoder sends X'FF'.
    assertThat(written(ch)).isEqualTo("0502" + "01ff");
    assertThat(ch.isOpen()).isFalse();
    assertThat(opens).isEmpty();
  }

  @Test
  void socks5WithoutPasswordIsUnacceptableWhenUsersAreRequired() {
    EmbeddedChannel ch = connection(alice());
    ch.writeInbound(hex("05 01 00"));
    assertThat(written(ch)).isEqualTo("05ff");
    assertThat(ch.isOpen()).isFalse();
  }

  // ---- SOCKS4 / 4a -----------------------------------------------------------------------------

  @Test
  void socks4ConnectsToAnAddressAndSocks4aToAName() throws Exception {
    EmbeddedChannel v4 = connection();
    v4.writeInbound(hex("04 01 0050 0a000001 00"));
    EmbeddedChannel v4a = connection();
    // SOCKS4a: DSTIP 0.0.0.x (x != 0), then USERID NUL, then the name NUL.
    v4a.writeInbound(
        hex("04 01 0050 00000001 75736572 00").writeBytes("intranet.test".getBytes()).writeByte(0));
    assertThat(opens)
        .extracting(Open::destination)
        .containsExactly(
            Destination.of(InetAddress.getByName("10.0.0.1"), 80),
            Destination.ofName("intranet.test", 80));
    opens.get(0).listener().onOpened(Destination.of(InetAddress.getByName("10.0.0.1"), 80));
    assertThat(written(v4)).isEqualTo("005a000000000000");
    opens.get(1).listener().onRefused(RefuseCode.HOST_UNREACHABLE, "");
    assertThat(written(v4a)).isEqualTo("005b000000000000");
    assertThat(v4a.isOpen()).isFalse();
  }

  @Test
  void socks4aRequestInPiecesIsReadWholeBeforeItsNameIsJudged() throws Exception {
    // The front waits for the whole request so that it can check the name's raw bytes.
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex("04 01"));
    ch.writeInbound(hex("0050 00000001 7573"));
    ch.writeInbound(hex("6572 00 696e747261"));
    assertThat(opens).isEmpty();
    ch.writeInbound(hex("6e65742e74657374 00"));
    assertThat(opens)
        .extracting(Open::destination)
        .containsExactly(Destination.ofName("intranet.test", 80));
    EmbeddedChannel longUser = connection();
    longUser.writeInbound(
        hex("04 01 0050 00000001")
            .writeBytes("u".repeat(300).getBytes(StandardCharsets.US_ASCII))
            .writeByte(0));
    assertThat(written(longUser))
        .as("a user id past Netty's limit still gets its failure")
        .isEqualTo("005b000000000000");
  }

  @Test
  void socks4BindAndSocks4WithUsersRequiredAreRejected() {
    EmbeddedChannel bind = connection();
    bind.writeInbound(hex("04 02 0050 0a000001 00"));
    EmbeddedChannel noPassword = connection(alice());
    noPassword.writeInbound(hex("04 01 0050 0a000001 00"));
    assertThat(written(bind)).isEqualTo("005b000000000000");
    assertThat(written(noPassword)).isEqualTo("005b000000000000");
    assertThat(opens).isEmpty();
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  @Test
  void httpConnectAnswers200OnlyWhenTheStreamIsOpen() throws Exception {
    EmbeddedChannel ch = connection();
    ch.writeInbound(
        ascii(
            "CONNECT intranet.test:443 HTTP/1.1\r\nHost: intranet.test:443\r\n\r\n\u0016\u0003\u0001"));
    assertThat(opens)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.destination()).isEqualTo(Destination.ofName("intranet.test", 443));
              assertThat(o.zeroRtt()).isFalse();
            });
    assertThat(ch.pipeline().get(ProtocolDetector.DECODER)).as("the HTTP codec left").isNull();
    assertThat(written(ch)).isEmpty();
    opens.get(0).listener().onOpened(Destination.of(InetAddress.getByName("10.1.1.1"), 443));
    assertThat(writtenText(ch)).isEqualTo("HTTP/1.1 200 Connection established\r\n\r\n");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "POLICY, 403",
    "TIMED_OUT, 504",
    "CONNECTION_REFUSED, 502",
    "HOST_UNREACHABLE, 502",
    "GENERAL, 502"
  })
  void httpRefusalsAreStatusCodes(RefuseCode code, int status) {
    EmbeddedChannel ch = connection();
    ch.writeInbound(ascii("CONNECT [::1]:22 HTTP/1.1\r\n\r\n"));
    opens.get(0).listener().onRefused(code, "");
    assertThat(writtenText(ch))
        .startsWith("HTTP/1.1 " + status + " ")
        .contains("Connection: close\r\n");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void absoluteFormRequestOpensA0RttStreamToItsHost() {
    EmbeddedChannel ch = connection();
    ch.writeInbound(
        ascii("GET http://Intranet.Test:8080/a?b HTTP/1.1\r\nHost: intranet.test:8080\r\n\r\n"));
    assertThat(opens)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.destination()).isEqualTo(Destination.ofName("intranet.test", 8080));
              assertThat(o.zeroRtt()).isTrue();
            });
    assertThat(ch.pipeline().get(HttpForwarder.class)).isNotNull();
    opens.get(0).listener().onRefused(RefuseCode.POLICY, "no");
    assertThat(writtenText(ch)).startsWith("HTTP/1.1 403 Forbidden\r\n");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "origin-form, not a proxy request | GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | 400",
        "https:// without CONNECT | GET https://x/ HTTP/1.1\\r\\n\\r\\n | 400",
        "CONNECT without a port | CONNECT example.com HTTP/1.1\\r\\n\\r\\n | 400",
        "garbage request line | GET\\r\\n\\r\\n | 400",
        "bad header | GET http://x/ HTTP/1.1\\r\\nBad Header\\r\\n\\r\\n | 400",
        "a bracketed name with a control byte (CONNECT) | CONNECT [a\u0001b:]:443 HTTP/1.1\\r\\n\\r\\n | 400",
        "a bracketed name with a control byte (absolute) | GET http://[a\u0001b:]/ HTTP/1.1\\r\\n\\r\\n | 400",
        "a bracketed name with DEL | CONNECT [a\u007fb:]:443 HTTP/1.1\\r\\n\\r\\n | 400",
        "a non-ASCII name | CONNECT caf\u00e9.test:443 HTTP/1.1\\r\\n\\r\\n | 400",
      })
  void malformedHttpGetsA4xx(String what, String request, int status) {
    EmbeddedChannel ch = connection();
    ch.writeInbound(ascii(request.replace("\\r\\n", "\r\n")));
    assertThat(writtenText(ch)).as(what).startsWith("HTTP/1.1 " + status + " ");
    assertThat(ch.isOpen()).isFalse();
    assertThat(opens).isEmpty();
  }

  @Test
  void overlongRequestLineGets414() {
    EmbeddedChannel ch = connection();
    ch.writeInbound(
        ascii(
            "GET http://x/" + "a".repeat(ProtocolDetector.MAX_REQUEST_LINE) + " HTTP/1.1\r\n\r\n"));
    assertThat(writtenText(ch)).startsWith("HTTP/1.1 414 ");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void httpProxyAuthorization() {
    EmbeddedChannel none = connection(alice());
    none.writeInbound(ascii("CONNECT x:1 HTTP/1.1\r\n\r\n"));
    assertThat(writtenText(none)).startsWith("HTTP/1.1 407 ").contains("Proxy-Authenticate: Basic");
    EmbeddedChannel wrong = connection(alice());
    wrong.writeInbound(
        ascii("CONNECT x:1 HTTP/1.1\r\nProxy-Authorization: Basic YWxpY2U6d3Jvbmc=\r\n\r\n"));
    assertThat(writtenText(wrong)).startsWith("HTTP/1.1 407 ");
    EmbeddedChannel right = connection(alice());
    right.writeInbound(
        ascii("CONNECT x:1 HTTP/1.1\r\nProxy-Authorization: basic YWxpY2U6czNjcmV0\r\n\r\n"));
    assertThat(opens).hasSize(1);
    assertThat(none.isOpen()).isFalse();
    assertThat(wrong.isOpen()).isFalse();
  }

  // ---- detection and deadlines -----------------------------------------------------------------

  @ParameterizedTest(name = "first byte {0}")
  @CsvSource({"00", "16", "ff", "61"})
  void unknownProtocolsAreClosedWithoutAReply(String first) {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex(first + "0102030405"));
    assertThat(written(ch)).isEmpty();
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aRequestThatNeverCompletesIsClosedAtTheDeadline() {
    EmbeddedChannel ch = connection();
    ch.writeInbound(ascii("GET http://x/ HTTP/1.1\r\nHost: x\r\n")); // no blank line, ever
    ch.advanceTimeBy(9, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(2, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isFalse();
    assertThat(opens).isEmpty();
  }

  @Test
  void theDeadlineStopsAtTheHandOff() {
    EmbeddedChannel ch = connection();
    ch.writeInbound(hex("05 01 00  05 01 00 01 0a000001 0050"));
    ch.advanceTimeBy(60, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
  }
}
