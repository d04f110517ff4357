package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.noise.CipherFunction;
import dev.ett.noise.CipherState;
import dev.ett.noise.NoiseException;
import dev.ett.wire.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: what a peer sees after each kind of error on an established link, as
 * PROTOCOL.md §3 and §5 write it down. A record that cannot be authenticated (zero length, shorter
 * than the tag, a failed MAC) closes the link with nothing sent: no key vouches for it. A record
 * that decrypts but holds a malformed frame gets GOAWAY {@code 01} (PROTOCOL_ERROR, with the
 * reason) and then the close. The WINDOW increment is a u32 in 1..2^31-1; the boundaries are golden
 * bytes.
 */
class LinkErrorsTest {
  private static final byte[] KEY = new byte[32];
  private final CipherState peerSender = cipher(KEY);

  /** What the server under test sends with: the test holds this key too, to read its GOAWAY. */
  private final CipherState serverSent = cipher(new byte[32]);

  private final EmbeddedChannel server =
      new EmbeddedChannel(
          Records.decoder(),
          new RecordLayer(
              LinkEstablished.Role.SERVER,
              cipher(new byte[32]),
              cipher(KEY),
              new byte[32],
              LinkConfig.defaults()),
          new LinkHarness.Recorder());

  @AfterEach
  void close() {
    server.finishAndReleaseAll();
  }

  // ---- records that cannot be authenticated: close, nothing sent --------------------------------

  @Test
  void aZeroLengthRecordClosesTheLinkWithoutGoaway() {
    server.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0}));
    assertClosedWithNothingSent();
  }

  @Test
  void aRecordShorterThanTheTagClosesTheLinkWithoutGoaway() {
    server.writeInbound(
        Unpooled.wrappedBuffer(
            new byte[] {0, 15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
    assertClosedWithNothingSent();
  }

  @Test
  void aRecordWithAFailedMacClosesTheLinkWithoutGoaway() {
    byte[] record = record("08 00000000 0008 0000000000000001");
    record[record.length - 1] ^= 1;
    server.writeInbound(Unpooled.wrappedBuffer(record));
    assertClosedWithNothingSent();
  }

  // ---- frame errors: GOAWAY 01 first, then close ------------------------------------------------

  @Test
  void anUnknownFrameTypeGetsGoawayProtocolErrorThenTheClose() throws Exception {
    server.writeInbound(Unpooled.wrappedBuffer(record("13 00000000 0000")));
    assertGoawayProtocolErrorThenClosed("unknown frame type 19");
  }

  @Test
  void windowIncrementOf2pow31Minus1IsTaken() {
    server.writeInbound(Unpooled.wrappedBuffer(record("05 00000001 0004 7fffffff")));
    assertThat((Object) server.readInbound()).isEqualTo(new Frame.Window(1, Integer.MAX_VALUE));
    assertThat(server.isOpen()).isTrue();
  }

  @Test
  void windowIncrementOf2pow31GetsGoawayProtocolError() throws Exception {
    server.writeInbound(Unpooled.wrappedBuffer(record("05 00000001 0004 80000000")));
    assertGoawayProtocolErrorThenClosed("window increment 2147483648");
  }

  @Test
  void windowIncrementOf2pow32Minus1GetsGoawayProtocolError() throws Exception {
    server.writeInbound(Unpooled.wrappedBuffer(record("05 00000001 0004 ffffffff")));
    assertGoawayProtocolErrorThenClosed("window increment 4294967295");
  }

  @Test
  void windowIncrementOfZeroGetsGoawayProtocolError() throws Exception {
    server.writeInbound(Unpooled.wrappedBuffer(record("05 00000001 0004 00000000")));
    assertGoawayProtocolErrorThenClosed("window increment 0");
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void assertClosedWithNothingSent() {
    assertThat(server.isOpen()).isFalse();
    assertThat((Object) server.readInbound()).isNull();
    assertThat((Object) server.readOutbound())
        .as("bytes sent after an unauthenticated record")
        .isNull();
  }

  private void assertGoawayProtocolErrorThenClosed(String reason) throws NoiseException {
    assertThat(server.isOpen()).isFalse();
    ByteBuf out = server.readOutbound();
    assertThat(out).as("GOAWAY record").isNotNull();
    byte[] wire = new byte[out.readableBytes()];
    out.readBytes(wire);
    out.release();
    int len = ((wire[0] & 0xff) << 8) | (wire[1] & 0xff);
    assertThat(len).isEqualTo(wire.length - 2);
    byte[] plain =
        serverSent.decryptWithAd(new byte[0], java.util.Arrays.copyOfRange(wire, 2, wire.length));
    String hex = HexFormat.of().formatHex(plain);
    // GOAWAY (0a) on stream 0, body: code 01 then the UTF-8 reason
    String body =
        "01" + HexFormat.of().formatHex(reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(hex).isEqualTo("0a" + "00000000" + String.format("%04x", body.length() / 2) + body);
    assertThat((Object) server.readOutbound()).as("anything after the GOAWAY").isNull();
  }

  /** One record as it travels: u16 length, then the sealed plaintext given in hex. */
  private byte[] record(String hex) {
    byte[] sealed =
        peerSender.encryptWithAd(new byte[0], HexFormat.of().parseHex(hex.replace(" ", "")));
    byte[] out = new byte[2 + sealed.length];
    out[0] = (byte) (sealed.length >> 8);
    out[1] = (byte) sealed.length;
    System.arraycopy(sealed, 0, out, 2, sealed.length);
    return out;
  }

  private static CipherState cipher(byte[] key) {
    CipherState c = new CipherState(CipherFunction.AESGCM);
    c.initializeKey(key.clone());
    return c;
  }
}
