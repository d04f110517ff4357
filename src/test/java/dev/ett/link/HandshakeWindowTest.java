package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.noise.HandshakeState;
import dev.ett.noise.NoiseException;
import dev.ett.noise.NoiseProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the windows of the handshake payloads are u32 limited to 16384..2^31-1
 * (PROTOCOL.md §4), read as unsigned on both sides: at 2^31-1 the link comes up with that window;
 * at 2^31, 2^32-1 and below the minimum the server closes silently and the client fails with the
 * value as it was on the wire. The fields are written as golden bytes, not through an int.
 */
class HandshakeWindowTest {
  private final LinkHarness h = new LinkHarness();

  @AfterEach
  void close() {
    h.close();
  }

  // ---- P1, the client's window, read by the server ----------------------------------------------

  @Test
  void serverTakesAClientWindowOf2pow31Minus1() {
    h.newServer();
    acceptedInitiation("7fffffff");
    assertThat(h.serverSeen.established()).isNotNull();
    assertThat(h.serverSeen.established().peerInitialWindow()).isEqualTo(Integer.MAX_VALUE);
    LinkHarness.drain(h.server).forEach(ByteBuf::release);
  }

  @Test
  void serverTakesAClientWindowOfExactlyTheMinimum() {
    h.newServer();
    acceptedInitiation("00004000");
    assertThat(h.serverSeen.established().peerInitialWindow()).isEqualTo(16384);
    LinkHarness.drain(h.server).forEach(ByteBuf::release);
  }

  @Test
  void serverClosesSilentlyOnAClientWindowOf2pow31() {
    assertServerClosesSilentlyOn("80000000");
  }

  @Test
  void serverClosesSilentlyOnAClientWindowOf2pow32Minus1() {
    assertServerClosesSilentlyOn("ffffffff");
  }

  @Test
  void serverClosesSilentlyOnAClientWindowOneBelowTheMinimum() {
    assertServerClosesSilentlyOn("00003fff");
  }

  @Test
  void serverClosesSilentlyOnAClientWindowOfZero() {
    assertServerClosesSilentlyOn("00000000");
  }

  // ---- P2, the server's window and limits, read by the client -----------------------------------

  @Test
  void clientTakesAServerWindowOf2pow31Minus1() {
    respond("7fffffff 00000001 00000000");
    LinkEstablished e = h.clientSeen.established();
    assertThat(e).isNotNull();
    assertThat(e.peerInitialWindow()).isEqualTo(Integer.MAX_VALUE);
    assertThat(e.peerMaxStreams()).isEqualTo(1);
  }

  @Test
  void clientFailsOnAServerWindowOf2pow31AndSaysTheUnsignedValue() {
    respond("80000000 00000400 00000080");
    assertClientFailed("server window 2147483648 (expected: 16384~2147483647)");
  }

  @Test
  void clientFailsOnAServerWindowOf2pow32Minus1AndSaysTheUnsignedValue() {
    respond("ffffffff 00000400 00000080");
    assertClientFailed("server window 4294967295 (expected: 16384~2147483647)");
  }

  @Test
  void clientFailsOnAServerWindowBelowTheMinimum() {
    respond("00003fff 00000400 00000080");
    assertClientFailed("server window 16383 (expected: 16384~2147483647)");
  }

  @Test
  void clientFailsOnMaxStreamsOf2pow31OrZero() {
    respond("00040000 80000000 00000080");
    assertClientFailed("server max streams 2147483648 (expected: 1~2147483647)");
  }

  @Test
  void maxPendingOpensAbove2pow31Minus1IsNoLimitLikeZero() {
    respond("00040000 00000400 ffffffff");
    assertThat(h.clientSeen.established().peerMaxPendingOpens()).isZero();
  }

  @Test
  void maxPendingOpensOf2pow31Minus1IsTakenAsItIs() {
    respond("00040000 00000400 7fffffff");
    assertThat(h.clientSeen.established().peerMaxPendingOpens()).isEqualTo(Integer.MAX_VALUE);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void assertServerClosesSilentlyOn(String windowHex) {
    h.newServer();
    h.server.writeInbound(Unpooled.wrappedBuffer(initiation(windowHex)));
    assertThat(h.server.isOpen()).as("server open").isFalse();
    List<ByteBuf> written = LinkHarness.drain(h.server);
    int n = written.size();
    written.forEach(ByteBuf::release);
    assertThat(n).as("records the server wrote").isZero();
    assertThat(h.serverSeen.established()).isNull();
  }

  private void assertClientFailed(String why) {
    assertThat(h.clientSeen.established()).isNull();
    assertThat(h.client.isOpen()).isFalse();
    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(HandshakeFailedException.class);
    assertThat(h.clientSeen.errors.get(0)).hasMessageContaining(why);
  }

  /**
   * Sends {@link #initiation} to the server, reads its message 2 with the same initiator state and
   * sends the client's first record (a PING), on which the server takes the link up (PROTOCOL.md
   * §4, server step 7).
   */
  private void acceptedInitiation(String windowHex) {
    byte[] preamble = Preamble.encode(Suite.AESGCM);
    HandshakeState hs = initiator(preamble);
    try {
      byte[] msg1 =
          hs.writeMessage(concat(Tai64n.encode(Instant.now()), HexFormat.of().parseHex(windowHex)));
      h.server.writeInbound(
          Unpooled.wrappedBuffer(
              concat(
                  preamble, ByteBuffer.allocate(2).putShort((short) msg1.length).array(), msg1)));
      List<ByteBuf> written = LinkHarness.drain(h.server);
      assertThat(written).as("message 2").isNotEmpty();
      ByteBuf msg2 = written.get(0);
      msg2.skipBytes(2);
      byte[] m = new byte[msg2.readableBytes()];
      msg2.readBytes(m);
      written.forEach(ByteBuf::release);
      hs.readMessage(m);
      dev.ett.noise.CipherState sender = hs.split().sender();
      ByteBuf ping = Unpooled.buffer();
      dev.ett.wire.FrameCodec.encode(new dev.ett.wire.Frame.Ping(0), ping);
      byte[] plaintext = io.netty.buffer.ByteBufUtil.getBytes(ping);
      ping.release();
      byte[] ct = new byte[plaintext.length + 16];
      sender.encrypt(ByteBuffer.wrap(plaintext), ByteBuffer.wrap(ct));
      h.server.writeInbound(
          Unpooled.wrappedBuffer(
              concat(ByteBuffer.allocate(2).putShort((short) ct.length).array(), ct)));
    } catch (NoiseException e) {
      throw new AssertionError(e);
    } finally {
      hs.destroy();
    }
  }

  private HandshakeState initiator(byte[] preamble) {
    return HandshakeState.initiator(
        NoiseProtocol.parse(Suite.AESGCM.noiseName),
        Preamble.prologue(preamble),
        h.clientKey,
        h.serverKey.publicKey(),
        null);
  }

  /** Preamble + message 1 whose P1 is a fresh timestamp and then the window bytes given. */
  private byte[] initiation(String windowHex) {
    byte[] preamble = Preamble.encode(Suite.AESGCM);
    HandshakeState hs =
        HandshakeState.initiator(
            NoiseProtocol.parse(Suite.AESGCM.noiseName),
            Preamble.prologue(preamble),
            h.clientKey,
            h.serverKey.publicKey(),
            null);
    try {
      byte[] p1 = concat(Tai64n.encode(Instant.now()), HexFormat.of().parseHex(windowHex));
      byte[] msg1 = hs.writeMessage(p1);
      return concat(preamble, ByteBuffer.allocate(2).putShort((short) msg1.length).array(), msg1);
    } catch (NoiseException e) {
      throw new AssertionError(e);
    } finally {
      hs.destroy();
    }
  }

  /** A real client's message 1 answered by a responder whose P2 is the bytes given. */
  private void respond(String p2Hex) {
    h.newClient();
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    for (ByteBuf b : LinkHarness.drain(h.client)) {
      byte[] a = new byte[b.readableBytes()];
      b.readBytes(a);
      b.release();
      sent.writeBytes(a);
    }
    byte[] all = sent.toByteArray();
    byte[] preamble = java.util.Arrays.copyOf(all, Preamble.LENGTH);
    byte[] msg1 = java.util.Arrays.copyOfRange(all, Preamble.LENGTH + 2, all.length);
    HandshakeState hs =
        HandshakeState.responder(
            NoiseProtocol.parse(Suite.AESGCM.noiseName),
            Preamble.prologue(preamble),
            h.serverKey,
            null,
            null);
    try {
      hs.readMessage(msg1);
      byte[] msg2 = hs.writeMessage(HexFormat.of().parseHex(p2Hex.replace(" ", "")));
      h.client.writeInbound(
          Unpooled.wrappedBuffer(
              concat(ByteBuffer.allocate(2).putShort((short) msg2.length).array(), msg2)));
    } catch (NoiseException e) {
      throw new AssertionError(e);
    } finally {
      hs.destroy();
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
