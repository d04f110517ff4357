package dev.ett.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: every frame of PROTOCOL.md §5 has the bytes the spec draws, in both
 * directions, and every malformed frame the spec names is a {@link ProtocolException}.
 *
 * <p>The golden bytes are written by hand from the table in §5 ({@code type u8 | stream u32 |
 * length u16 | body}), spaced as header | body fields.
 */
class FrameCodecTest {
  private final List<ByteBuf> toRelease = new ArrayList<>();

  @AfterEach
  void releaseBuffers() {
    for (ByteBuf b : toRelease) {
      if (b.refCnt() > 0) {
        b.release(b.refCnt());
      }
    }
  }

  // ---- golden bytes, both directions ------------------------------------------------------------

  @Test
  void openIpv4() throws Exception {
    assertGolden(
        new Frame.Open(1, Destination.of(ip("192.0.2.1"), 443)),
        "01 00000001 0007 | 01 c0000201 01bb");
  }

  @Test
  void openIpv6() throws Exception {
    assertGolden(
        new Frame.Open(3, Destination.of(ip("2001:db8::1"), 80)),
        "01 00000003 0013 | 04 20010db8000000000000000000000001 0050");
  }

  @Test
  void openName() throws Exception {
    assertGolden(
        new Frame.Open(5, Destination.ofName("example.com", 443)),
        "01 00000005 000f | 03 0b 6578616d706c652e636f6d 01bb");
  }

  @Test
  void openNameOf255Bytes() throws Exception {
    String name = "a".repeat(255);
    assertGolden(
        new Frame.Open(7, Destination.ofName(name, 1)),
        "01 00000007 0103 | 03 ff " + "61".repeat(255) + " 0001");
  }

  @Test
  void openHighStreamIdIsUnsigned() throws Exception {
    assertGolden(
        new Frame.Open(0xFFFFFFFF, Destination.of(ip("10.0.0.1"), 65535)),
        "01 ffffffff 0007 | 01 0a000001 ffff");
  }

  @Test
  void opened() throws Exception {
    assertGolden(
        new Frame.Opened(1, Destination.of(ip("93.184.216.34"), 443)),
        "02 00000001 0007 | 01 5db8d822 01bb");
  }

  @Test
  void refusedWithReason() throws Exception {
    assertGolden(new Frame.Refused(7, RefuseCode.POLICY, "no"), "03 00000007 0003 | 02 6e6f");
  }

  @Test
  void refusedWithoutReason() throws Exception {
    assertGolden(new Frame.Refused(7, RefuseCode.TOO_MANY_STREAMS, ""), "03 00000007 0001 | 10");
  }

  @Test
  void refusedReasonIsUtf8() throws Exception {
    assertGolden(new Frame.Refused(1, RefuseCode.SHUTTING_DOWN, "é"), "03 00000001 0003 | 11 c3a9");
  }

  @Test
  void data() throws Exception {
    ByteBuf encoded =
        encode(new Frame.Data(1, Unpooled.copiedBuffer("hi", StandardCharsets.US_ASCII)));
    assertThat(hex(encoded)).isEqualTo(clean("04 00000001 0002 | 6869"));

    List<Frame> frames = decode("04 00000001 0002 | 6869");
    assertThat(frames).hasSize(1);
    Frame.Data d = (Frame.Data) frames.get(0);
    assertThat(d.stream()).isEqualTo(1);
    assertThat(d.payload().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
    d.release();
  }

  @Test
  void window() throws Exception {
    assertGolden(new Frame.Window(1, 32768), "05 00000001 0004 | 00008000");
  }

  @Test
  void windowOfTheLargestIncrement() throws Exception {
    assertGolden(new Frame.Window(1, Integer.MAX_VALUE), "05 00000001 0004 | 7fffffff");
  }

  @Test
  void fin() throws Exception {
    assertGolden(new Frame.Fin(9), "06 00000009 0000");
  }

  @Test
  void reset() throws Exception {
    assertGolden(new Frame.Reset(1, ResetCode.PROTOCOL_ERROR), "07 00000001 0001 | 02");
  }

  @Test
  void ping() throws Exception {
    assertGolden(new Frame.Ping(0x0102030405060708L), "08 00000000 0008 | 0102030405060708");
  }

  @Test
  void pong() throws Exception {
    assertGolden(new Frame.Pong(0xF1F2F3F4F5F6F7F8L), "09 00000000 0008 | f1f2f3f4f5f6f7f8");
  }

  @Test
  void goAway() throws Exception {
    assertGolden(new Frame.GoAway(GoawayCode.NORMAL, "bye"), "0a 00000000 0004 | 00 627965");
  }

  @Test
  void goAwayProtocolErrorWithoutReason() throws Exception {
    assertGolden(new Frame.GoAway(GoawayCode.PROTOCOL_ERROR, ""), "0a 00000000 0001 | 01");
  }

  @Test
  void rekey() throws Exception {
    assertGolden(new Frame.Rekey(), "0b 00000000 0000");
  }

  @Test
  void keyExchange() throws Exception {
    byte[] key = new byte[32];
    for (int i = 0; i < 32; i++) {
      key[i] = (byte) i;
    }
    String golden =
        "0c 00000000 0020 | 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    assertThat(hex(encode(new Frame.KeyExchange(key)))).isEqualTo(clean(golden));
    // byte[] has no value equality: compare the key itself
    List<Frame> frames = decode(golden);
    assertThat(frames).singleElement().isInstanceOf(Frame.KeyExchange.class);
    assertThat(((Frame.KeyExchange) frames.get(0)).publicKey()).isEqualTo(key);
  }

  @Test
  void keyExchangeDone() throws Exception {
    assertGolden(new Frame.KeyExchangeDone(), "0d 00000000 0000");
  }

  @Test
  void severalFramesInOneRecordAreDeliveredInOrder() throws Exception {
    List<Frame> frames =
        decode("06 00000001 0000 | 07 00000003 0001 01 | 08 00000000 0008 0000000000000001");
    assertThat(frames)
        .containsExactly(
            new Frame.Fin(1), new Frame.Reset(3, ResetCode.DESTINATION_RESET), new Frame.Ping(1));
  }

  @Test
  void resetCodesForStreamsDecidedOnTheirFirstBytes() throws Exception {
    assertGolden(new Frame.Reset(1, ResetCode.POLICY), "07 00000001 0001 | 05");
    assertGolden(new Frame.Reset(1, ResetCode.UNREACHABLE), "07 00000001 0001 | 06");
    assertThat(decode("07 00000001 0001 | 07"))
        .containsExactly(new Frame.Reset(1, ResetCode.INTERNAL));
  }

  @Test
  void unknownCodesFromANewerPeerReadAsGeneric() throws Exception {
    assertThat(decode("03 00000001 0001 | 7f"))
        .containsExactly(new Frame.Refused(1, RefuseCode.GENERAL, ""));
    assertThat(decode("07 00000001 0001 | 7f"))
        .containsExactly(new Frame.Reset(1, ResetCode.INTERNAL));
    assertThat(decode("0a 00000000 0001 | 7f"))
        .containsExactly(new Frame.GoAway(GoawayCode.INTERNAL, ""));
  }

  @Test
  void reasonLongerThan200BytesIsCutWhenEncoded() {
    ByteBuf b = encode(new Frame.GoAway(GoawayCode.NORMAL, "x".repeat(300)));
    assertThat(b.readableBytes()).isEqualTo(Frame.HEADER_LENGTH + 1 + Frame.MAX_REASON_BYTES);
    assertThat(b.getUnsignedShort(5)).isEqualTo(1 + Frame.MAX_REASON_BYTES);
  }

  @Test
  void reasonIsNotCutInsideAUtf8Character() {
    // 199 ASCII bytes then a 2-byte character: 201 bytes, so the character must go entirely.
    ByteBuf b = encode(new Frame.Refused(1, RefuseCode.GENERAL, "x".repeat(199) + "é"));
    assertThat(b.getUnsignedShort(5)).isEqualTo(1 + 199);
  }

  @Test
  void encodedLengthMatchesTheBytesWritten() {
    Frame f = new Frame.Open(5, Destination.ofName("example.com", 443));
    assertThat(FrameCodec.encodedLength(f)).isEqualTo(encode(f).readableBytes());
  }

  // ---- malformed input --------------------------------------------------------------------------

  @Test
  void truncatedHeaderIsAProtocolError() {
    assertMalformed("04 00000001 00", "truncated frame header");
  }

  @Test
  void bodyLongerThanTheRecordIsAProtocolError() {
    assertMalformed("04 00000001 0005 | 6869", "frame body: 5 bytes");
  }

  @Test
  void unknownTypeIsAProtocolError() {
    assertMalformed("13 00000000 0000", "unknown frame type 19");
    assertMalformed("ff 00000000 0000", "unknown frame type 255");
  }

  @Test
  void reverseForwardingFramesHaveTheirGoldenBytes() throws Exception {
    Destination lo =
        Destination.of(java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 8080);
    assertGolden(new Frame.Listen(1, false, lo), "0f 00000000 000c | 00000001 00 01 7f000001 1f90");
    assertGolden(new Frame.Listening(1, lo), "10 00000000 000b | 00000001 01 7f000001 1f90");
    assertGolden(
        new Frame.ListenRefused(2, RefuseCode.POLICY, "no"), "11 00000000 0007 | 00000002 02 6e6f");
    assertGolden(new Frame.Unlisten(3), "12 00000000 0004 | 00000003");
    assertGolden(
        new Frame.ReverseOpen(2, 1, java.util.Optional.empty()), "0e 00000002 0004 | 00000001");
    assertGolden(
        new Frame.ReverseOpen(4, 1, java.util.Optional.of(Destination.ofName("a.b", 80))),
        "0e 00000004 000b | 00000001 03 03 612e62 0050");
  }

  @Test
  void aReverseOpenOnTheLinkOrAListenOnAStreamIsAProtocolError() {
    assertMalformed("0e 00000000 0004 | 00000001", "frame type 14 on stream 0");
    assertMalformed("12 00000002 0004 | 00000001", "frame type 18 on stream 2");
  }

  @Test
  void typeZeroIsAProtocolError() {
    assertMalformed("00 00000001 0000", "unknown frame type 0");
  }

  @Test
  void windowOfThreeBytesIsAProtocolError() {
    assertMalformed("05 00000001 0003 | 000080", "bad body length 3");
  }

  @Test
  void pingOfSevenBytesIsAProtocolError() {
    assertMalformed("08 00000000 0007 | 01020304050607", "bad body length 7");
  }

  @Test
  void pongOfNineBytesIsAProtocolError() {
    assertMalformed("09 00000000 0009 | 010203040506070809", "bad body length 9");
  }

  @Test
  void resetWithoutCodeIsAProtocolError() {
    assertMalformed("07 00000001 0000", "bad body length 0");
  }

  @Test
  void finWithABodyIsAProtocolError() {
    assertMalformed("06 00000001 0001 | 00", "bad body length 1");
  }

  @Test
  void emptyDataIsAProtocolError() {
    assertMalformed("04 00000001 0000", "bad body length 0");
  }

  @Test
  void refusedWithoutCodeIsAProtocolError() {
    assertMalformed("03 00000001 0000", "bad body length 0");
  }

  @Test
  void goAwayReasonOver200BytesIsAProtocolError() {
    assertMalformed("0a 00000000 00ca | 00 " + "78".repeat(201), "bad body length 202");
  }

  @Test
  void keyExchangeOf31BytesIsAProtocolError() {
    assertMalformed("0c 00000000 001f | " + "01".repeat(31), "bad body length 31");
  }

  @Test
  void rekeyWithABodyIsAProtocolError() {
    assertMalformed("0b 00000000 0001 | 00", "bad body length 1");
  }

  @Test
  void linkFrameOnAStreamIsAProtocolError() {
    assertMalformed("08 00000001 0008 | 0102030405060708", "frame type 8 on stream 1");
    assertMalformed("0a 00000003 0001 | 00", "frame type 10 on stream 3");
    assertMalformed("0b 00000001 0000", "frame type 11 on stream 1");
  }

  @Test
  void streamFrameOnStreamZeroIsAProtocolError() {
    assertMalformed("04 00000000 0002 | 6869", "frame type 4 on stream 0");
    assertMalformed("01 00000000 0007 | 01 c0000201 01bb", "frame type 1 on stream 0");
    assertMalformed("05 00000000 0004 | 00008000", "frame type 5 on stream 0");
  }

  @Test
  void zeroWindowIncrementIsAProtocolError() {
    assertMalformed("05 00000001 0004 | 00000000", "window increment 0");
  }

  @Test
  void windowIncrementAbove2pow31Minus1IsAProtocolError() {
    assertMalformed("05 00000001 0004 | 80000000", "window increment 2147483648");
  }

  @Test
  void openWithANameOfBadBytesDecodesForARefusalOfThatStreamNotAProtocolError() throws Exception {
    // PROTOCOL.md §5: the name's content is the stream's business; only its framing is the link's.
    for (String bad : new String[] {"0a", "20", "09", "0d", "00", "7f", "c3", "80"}) {
      byte[] name = HexFormat.of().parseHex("61" + bad + "62");
      assertGolden(
          new Frame.OpenBadName(1, name, 443), "01 00000001 0007 | 03 03 61" + bad + "62 01bb");
    }
  }

  @Test
  void everyPrintableAsciiByteButSpaceIsANameByte() throws Exception {
    // Every byte 0x21~0x7e is a name byte; the frame a good name decodes to is a plain Open.
    StringBuilder all = new StringBuilder();
    for (char c = 0x21; c <= 0x7e; c++) {
      all.append(c);
    }
    String hexName = HexFormat.of().formatHex(all.toString().getBytes(StandardCharsets.US_ASCII));
    assertGolden(
        new Frame.Open(9, Destination.ofName(all.toString(), 80)),
        "01 00000009 0062 | 03 5e " + hexName + " 0050");
  }

  @Test
  void openedWithANameOfBadBytesIsStillAProtocolError() {
    // A server never names what it connected to with a name, let alone a bad one.
    assertMalformed(
        "02 00000001 0007 | 03 03 610a62 01bb", "destination: name: character 0x0a at offset 1");
    assertMalformed(
        "02 00000001 0007 | 03 03 612062 01bb", "destination: name: character 0x20 at offset 1");
  }

  @Test
  void badNameInOpenDoesNotStopTheFramesAfterIt() throws Exception {
    List<Frame> got =
        decode("01 00000001 0007 | 03 03 612062 01bb | 08 00000000 0008 | 0102030405060708");
    assertThat(got)
        .containsExactly(
            new Frame.OpenBadName(1, "a b".getBytes(StandardCharsets.US_ASCII), 443),
            new Frame.Ping(0x0102030405060708L));
  }

  @Test
  void emptyNameIsAProtocolError() {
    assertMalformed("01 00000001 0004 | 03 00 01bb", "destination: truncated");
  }

  @Test
  void nameLongerThanItsBodyIsAProtocolError() {
    assertMalformed("01 00000001 0006 | 03 05 6162 01bb", "destination: truncated");
  }

  @Test
  void ipv4AddressOfThreeBytesIsAProtocolError() {
    assertMalformed("01 00000001 0006 | 01 c00002 01bb", "destination: truncated");
  }

  @Test
  void ipv6AddressOfFourBytesIsAProtocolError() {
    assertMalformed("01 00000001 0007 | 04 c0000201 01bb", "destination: truncated");
  }

  @Test
  void unknownAddressTypeIsAProtocolError() {
    assertMalformed("01 00000001 0007 | 02 c0000201 01bb", "address type 2");
  }

  @Test
  void openWithoutDestinationIsAProtocolError() {
    assertMalformed("01 00000001 0000", "destination: empty");
  }

  @Test
  void openedWithoutPortIsAProtocolError() {
    assertMalformed("02 00000001 0005 | 01 c0000201", "destination: truncated");
  }

  @Test
  void trailingBytesAfterAnIpv4DestinationAreAProtocolError() {
    assertMalformed("01 00000001 0008 | 01 c0000201 01bb 00", "1 trailing bytes");
  }

  @Test
  void trailingBytesAfterANameDestinationAreAProtocolError() {
    assertMalformed("02 00000001 0007 | 03 01 61 01bb 0000", "2 trailing bytes");
  }

  @Test
  void framesBeforeAMalformedOneAreDeliveredAndThenItThrows() {
    List<Frame> got = new ArrayList<>();
    ByteBuf in = bytes("04 00000001 0001 | 41 | 05 00000001 0003 | 000080");
    assertThatThrownBy(() -> FrameCodec.decode(in, got::add)).isInstanceOf(ProtocolException.class);
    assertThat(got).hasSize(1);
    assertThat(got.get(0)).isInstanceOf(Frame.Data.class);
    ((Frame.Data) got.get(0)).release();
  }

  @Test
  void decodingDoesNotReleaseTheRecordButDataHoldsItsOwnReference() throws Exception {
    ByteBuf in =
        bytes("04 00000001 000a | 00010203040506070809"); // the payload is most of the record
    List<Frame> got = new ArrayList<>();
    FrameCodec.decode(in, got::add);
    assertThat(in.refCnt()).isEqualTo(2); // the record's own, and the Data slice's: no copy
    assertThat(((Frame.Data) got.get(0)).release()).isFalse();
    assertThat(in.refCnt()).isEqualTo(1);
  }

  @Test
  void dataOfLessThanHalfItsRecordIsCopiedOutSoThatItDoesNotPinTheRecord() throws Exception {
    ByteBuf in = bytes("04 00000001 0002 | 6869 | 04 00000003 0003 | 000000"); // 2 of 22 bytes
    List<Frame> got = new ArrayList<>();
    FrameCodec.decode(in, got::add);
    assertThat(in.refCnt()).as("only the record's own reference").isEqualTo(1);
    Frame.Data d = (Frame.Data) got.get(0);
    assertThat(d.payload().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
    assertThat(d.payload().capacity()).as("a buffer of the payload's size").isEqualTo(2);
    d.release();
    ((Frame.Data) got.get(1)).release();
  }

  @Test
  void encodingDataDoesNotReleaseThePayload() {
    ByteBuf payload = Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII);
    Frame.Data d = new Frame.Data(1, payload);
    FrameCodec.encode(d, track(Unpooled.buffer()));
    assertThat(payload.refCnt()).isEqualTo(1);
    assertThat(payload.readableBytes()).isEqualTo(3);
    d.release();
  }

  // ---- values -----------------------------------------------------------------------------------

  @Test
  void streamFramesRefuseStreamZero() {
    assertThatThrownBy(() -> new Frame.Fin(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Frame.Window(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyDataIsRefusedAndItsBufferReleased() {
    ByteBuf empty = Unpooled.buffer(0);
    assertThatThrownBy(() -> new Frame.Data(1, empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 bytes");
    assertThat(empty.refCnt()).isZero();
  }

  @Test
  void destinationRefusesBadValuesWithTheActualValue() {
    assertThatThrownBy(() -> Destination.ofName("a", 70000))
        .hasMessage("port: 70000 (expected: 0~65535)");
    assertThatThrownBy(() -> Destination.ofName("", 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Destination.ofName("a".repeat(256), 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Destination.ofName("é", 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void destinationNamesHoldOnlyPrintableAsciiWithoutSpace() {
    for (String bad :
        new String[] {
          "a b.example",
          "a\tb.example",
          "a\nb.example",
          "a\rb",
          "a\u0000b",
          "a\u007fb",
          "a\u0085b",
          "a\u2028b",
          " ",
          "é.example"
        }) {
      assertThatThrownBy(() -> Destination.ofName(bad, 80))
          .as(HexFormat.of().formatHex(bad.getBytes(StandardCharsets.UTF_8)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Destination.parse(bad, 80))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(Destination.nameProblem(bad)).isNotNull();
    }
    assertThat(Destination.nameProblem("a b.example"))
        .isEqualTo(
            "name: character 0x20 at offset 1 (expected: 1~255 characters, each printable ASCII other than space, 0x21~0x7e)");
    assertThat(Destination.nameProblem("a\nb")).contains("0x0a at offset 1").doesNotContain("\n");
    assertThat(Destination.nameProblem("a\u2028")).contains("U+2028 at offset 1");
    assertThat(Destination.nameProblem("")).startsWith("name: empty");
    assertThat(Destination.nameProblem("a".repeat(256))).startsWith("name: 256 characters");
    for (String good :
        new String[] {"a", "example.com", "EXAMPLE.com.", "_srv.a-b.example", "[::1]", "a!b~c"}) {
      assertThat(Destination.nameProblem(good)).as(good).isNull();
    }
  }

  @Test
  void destinationParseNeverResolves() throws Exception {
    assertThat(Destination.parse("192.0.2.1", 1)).isEqualTo(Destination.of(ip("192.0.2.1"), 1));
    assertThat(Destination.parse("[2001:db8::1]", 1))
        .isEqualTo(Destination.of(ip("2001:db8::1"), 1));
    assertThat(Destination.parse("1.2.3", 1).isName()).isTrue();
    assertThat(Destination.parse("256.1.1.1", 1).isName()).isTrue();
    assertThat(Destination.parse("localhost", 1).isName()).isTrue();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void assertGolden(Frame frame, String golden) throws ProtocolException {
    assertThat(hex(encode(frame))).as("encode %s", frame).isEqualTo(clean(golden));
    assertThat(decode(golden)).as("decode %s", golden).containsExactly(frame);
  }

  private void assertMalformed(String hex, String messagePart) {
    List<Frame> got = new ArrayList<>();
    assertThatThrownBy(() -> FrameCodec.decode(bytes(hex), got::add))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(messagePart);
    assertThat(got).as("frames delivered from %s", hex).isEmpty();
  }

  private List<Frame> decode(String hex) throws ProtocolException {
    List<Frame> frames = new ArrayList<>();
    FrameCodec.decode(bytes(hex), frames::add);
    return frames;
  }

  private ByteBuf encode(Frame f) {
    ByteBuf out = track(Unpooled.buffer());
    FrameCodec.encode(f, out);
    if (f instanceof Frame.Data d) {
      d.release();
    }
    return out;
  }

  private ByteBuf bytes(String hex) {
    return track(Unpooled.wrappedBuffer(HexFormat.of().parseHex(clean(hex))));
  }

  private ByteBuf track(ByteBuf b) {
    toRelease.add(b);
    return b;
  }

  private static String hex(ByteBuf b) {
    return ByteBufUtil.hexDump(b);
  }

  private static String clean(String hex) {
    return hex.replaceAll("[ |]", "");
  }

  private static InetAddress ip(String literal) {
    InetAddress a = AddressLiterals.parseLiteral(literal);
    if (a == null) {
      throw new IllegalArgumentException(literal);
    }
    return a;
  }
}
