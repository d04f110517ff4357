package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.noise.X25519;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the handshake of PROTOCOL.md §4 on two pipelines without sockets. A client
 * that holds an authorized key and pins the right server key gets a link; anything else fails, and
 * the server never says a word to a peer that has not proven an authorized key.
 */
class HandshakeTest {
  private final LinkHarness h = new LinkHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void bothSidesFireLinkEstablishedWithThePeersNameKeyAndWindows() {
    h.establish();

    LinkEstablished atClient = h.clientSeen.established();
    assertThat(atClient.role()).isEqualTo(LinkEstablished.Role.CLIENT);
    assertThat(atClient.suite()).isEqualTo(Suite.AESGCM);
    assertThat(atClient.peerName()).isEqualTo("server");
    assertThat(atClient.peerStaticKey()).isEqualTo(h.serverKey.publicKey());
    assertThat(atClient.peerInitialWindow()).isEqualTo(64 * 1024); // the server's, from P2
    assertThat(atClient.peerMaxStreams()).isEqualTo(7);

    LinkEstablished atServer = h.serverSeen.established();
    assertThat(atServer.role()).isEqualTo(LinkEstablished.Role.SERVER);
    assertThat(atServer.suite()).isEqualTo(Suite.AESGCM);
    assertThat(atServer.peerName()).isEqualTo("alice");
    assertThat(atServer.peerStaticKey()).isEqualTo(h.clientKey.publicKey());
    assertThat(atServer.peerInitialWindow()).isEqualTo(32 * 1024); // the client's, from P1

    assertThat(h.client.pipeline().get(ClientHandshake.class)).isNull();
    assertThat(h.server.pipeline().get(ServerHandshake.class)).isNull();
    assertThat(h.server.pipeline().get(PreambleDecoder.class)).isNull();
    assertThat(h.clientRecords()).isNotNull();
    assertThat(h.serverRecords()).isNotNull();
    assertThat(h.handshakesFinished).isEqualTo(1);
    assertThat(h.clientSeen.errors).isEmpty();
    assertThat(h.serverSeen.errors).isEmpty();
  }

  @Test
  void chachaPolySuiteWorksToo() {
    h.suite = Suite.CHACHAPOLY;
    h.establish();
    assertThat(h.serverSeen.established().suite()).isEqualTo(Suite.CHACHAPOLY);
  }

  @Test
  void clientSendsThePreambleThenMessageOneAsOneRecord() {
    EmbeddedChannel client = h.newClient();
    ByteBuf first = client.readOutbound();
    try {
      // ETT! v1 suite 01 reserved 0000, then u16 length; IK message 1 is 32 (e) + 48 (s) +
      // 16 (P1: 12 timestamp + 4 window) + 16 (tag) = 112 bytes.
      assertThat(HexFormat.of().formatHex(bytes(first, 0, 10)))
          .isEqualTo("45545421" + "01" + "01" + "0000" + "0070");
      assertThat(first.readableBytes()).isEqualTo(8 + 2 + 112);
    } finally {
      first.release();
    }
  }

  @Test
  void handshakeArrivingOneByteAtATimeStillCompletes() {
    h.newClient();
    h.newServer();
    ByteBuf all = h.client.readOutbound();
    while (all.isReadable()) {
      h.server.writeInbound(all.readRetainedSlice(1));
    }
    all.release();
    h.toClient();
    h.toServer();
    assertThat(h.serverSeen.established()).isNotNull();
    assertThat(h.clientSeen.established()).isNotNull();
  }

  @Test
  void serverClosesSilentlyOnUnknownClientKey() {
    h.newClient();
    h.newServer();
    // the server does not know this client: swap in a fresh client key pair
    LinkHarness stranger = new LinkHarness();
    stranger.newClient(h.serverKey.publicKey());
    LinkHarness.shuttle(stranger.client, h.server);

    assertServerClosedSilently();
    assertThat(h.handshakesFinished).isEqualTo(1);
    stranger.close();
  }

  @Test
  void serverClosesSilentlyOnGarbage() {
    h.newServer();
    byte[] garbage = new byte[8 + 2 + 112];
    System.arraycopy(Preamble.encode(Suite.AESGCM), 0, garbage, 0, 8);
    garbage[8] = 0;
    garbage[9] = 112;
    h.server.writeInbound(Unpooled.wrappedBuffer(garbage));

    assertServerClosedSilently();
  }

  @Test
  void serverClosesSilentlyOnAFlippedBitInMessageOne() {
    h.newClient();
    h.newServer();
    ByteBuf first = h.client.readOutbound();
    first.setByte(60, first.getByte(60) ^ 0x01); // inside the encrypted static key
    h.server.writeInbound(first);

    assertServerClosedSilently();
  }

  @Test
  void serverClosesSilentlyOnBadPreamble() {
    h.newClient();
    h.newServer();
    ByteBuf first = h.client.readOutbound();
    first.setByte(0, 'X'); // magic "XTT!"
    h.server.writeInbound(first);

    assertServerClosedSilently();
  }

  @Test
  void serverClosesSilentlyOnUnknownVersionSuiteOrReservedBytes() {
    for (int[] change : new int[][] {{4, 2}, {5, 3}, {5, 0}, {6, 1}, {7, 1}}) {
      LinkHarness each = new LinkHarness();
      each.newClient();
      each.newServer();
      ByteBuf first = each.client.readOutbound();
      first.setByte(change[0], change[1]);
      each.server.writeInbound(first);
      assertThat(each.server.isOpen()).as("byte %d = %d", change[0], change[1]).isFalse();
      assertThat((Object) each.server.readOutbound()).isNull();
      each.close();
    }
  }

  @Test
  void preambleForOneSuiteAndHandshakeForAnotherFails() {
    // The preamble is in the prologue: a suite byte changed on the way makes the peers disagree.
    h.newClient();
    h.newServer();
    ByteBuf first = h.client.readOutbound();
    first.setByte(5, Suite.CHACHAPOLY.wire);
    h.server.writeInbound(first);

    assertServerClosedSilently();
  }

  @Test
  void serverRefusesReplayedInitiation() {
    h.newClient();
    h.newServer();
    ByteBuf first = h.client.readOutbound();
    ByteBuf copy = first.copy();
    h.server.writeInbound(first);
    h.toClient();
    h.toServer();
    assertThat(h.serverSeen.established()).isNotNull();

    // An eavesdropper replays the client's first bytes to the same server process.
    LinkHarness.Recorder seen = new LinkHarness.Recorder();
    EmbeddedChannel second = h.newServer(seen);
    second.writeInbound(copy);

    assertThat(second.isOpen()).isFalse();
    assertThat((Object) second.readOutbound()).isNull();
    assertThat(seen.established()).isNull();
    second.finishAndReleaseAll();
  }

  @Test
  void twoLinksUnderOneKeyStartedAtOnceBothComeUpWhicheverArrivesFirst() {
    // Two links of one client (--links 2, or one key on two machines): the later message 1
    // reaches the server first; the earlier one must not be taken for a replay.
    LinkHarness.Recorder firstSeen = new LinkHarness.Recorder();
    EmbeddedChannel earlier = h.newClient(h.serverKey.publicKey(), firstSeen);
    LinkHarness.Recorder secondSeen = new LinkHarness.Recorder();
    EmbeddedChannel later = h.newClient(h.serverKey.publicKey(), secondSeen);

    LinkHarness.Recorder serverOfLater = new LinkHarness.Recorder();
    EmbeddedChannel s1 = h.newServer(serverOfLater);
    LinkHarness.shuttle(later, s1);
    LinkHarness.shuttle(s1, later);
    LinkHarness.shuttle(later, s1);
    LinkHarness.Recorder serverOfEarlier = new LinkHarness.Recorder();
    EmbeddedChannel s2 = h.newServer(serverOfEarlier);
    LinkHarness.shuttle(earlier, s2);
    LinkHarness.shuttle(s2, earlier);
    LinkHarness.shuttle(earlier, s2);

    assertThat(serverOfLater.established()).isNotNull();
    assertThat(serverOfEarlier.established()).as("not a replay").isNotNull();
    assertThat(h.rejections).isEmpty();
    for (EmbeddedChannel c : List.of(earlier, later, s1, s2)) {
      c.finishAndReleaseAll();
    }
  }

  @Test
  void aNewerInitiationFromTheSameKeyIsAccepted() {
    h.establish();
    h.close();
    LinkHarness.Recorder seen = new LinkHarness.Recorder();
    h.newClient(h.serverKey.publicKey(), new LinkHarness.Recorder());
    h.newServer(seen);
    h.toServer();
    h.toClient();
    h.toServer();
    assertThat(seen.established()).isNotNull();
  }

  // ---- key confirmation (PROTOCOL.md §4, server step 7) -----------------------------------------

  @Test
  void serverTakesTheLinkUpOnlyWhenTheClientsFirstRecordAuthenticates() {
    h.newClient();
    h.newServer();
    h.toServer();
    h.toClient();
    assertThat(h.clientSeen.established()).as("client: up on message 2").isNotNull();
    assertThat(h.serverSeen.established())
        .as("server: message 2 sent, no record of the client's yet")
        .isNull();
    assertThat(h.handshakesFinished).as("still an unfinished handshake").isZero();

    assertThat(h.toServer())
        .as("the client's first record, sent at once without any stream")
        .isEqualTo(1);
    assertThat(h.serverSeen.established()).isNotNull();
    assertThat(h.handshakesFinished).isEqualTo(1);
    assertThat(h.rejections).isEmpty();
    assertThat(h.server.pipeline().get(ServerHandshake.class)).isNull();
  }

  @Test
  void aMessageOneReplayedToARestartedServerGetsMessageTwoButNeverALink() {
    h.newClient();
    h.newServer();
    ByteBuf first = h.client.readOutbound();
    ByteBuf recorded = first.copy();
    h.server.writeInbound(first);
    h.toClient();
    h.toServer();
    assertThat(h.serverSeen.established()).isNotNull();

    // The server restarts: a fresh process has a fresh replay guard, so it cannot tell the replay.
    h.replay = new ReplayGuard();
    LinkHarness.Recorder seen = new LinkHarness.Recorder();
    EmbeddedChannel restarted = h.newServer(seen);
    restarted.writeInbound(recorded);
    List<ByteBuf> answer = LinkHarness.drain(restarted);
    assertThat(answer).as("message 2, useless without the client's keys").hasSize(1);
    answer.forEach(ByteBuf::release);
    assertThat(seen.established()).isNull();

    restarted.advanceTimeBy(10, TimeUnit.SECONDS);
    restarted.runScheduledPendingTasks();
    assertThat(restarted.isOpen()).isFalse();
    assertThat(seen.established()).as("never reported up").isNull();
    assertThat(seen.errors).as("closed silently").isEmpty();
    assertThat(h.rejections).containsExactly(HandshakeRejection.UNCONFIRMED);
  }

  @Test
  void aRecordThatFailsToAuthenticateAfterMessageTwoClosesSilently() {
    h.newClient();
    h.newServer();
    h.toServer();
    drainAndRelease(h.server); // message 2 never reaches the client
    byte[] forged = new byte[2 + 16 + 9];
    forged[1] = 16 + 9;
    h.server.writeInbound(Unpooled.wrappedBuffer(forged));

    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.established()).isNull();
    assertThat(h.serverSeen.errors).isEmpty();
    assertThat(h.rejections).containsExactly(HandshakeRejection.UNCONFIRMED);
  }

  // ---- the silent-connection deadline
  // ------------------------------------------------------------

  @Test
  void aConnectionThatSendsNothingIsClosedAfterThreeSeconds() {
    h.newServer(); // handshake timeout: the default 10 s
    h.server.advanceTimeBy(2900, TimeUnit.MILLISECONDS);
    h.server.runScheduledPendingTasks();
    assertThat(h.server.isOpen()).isTrue();

    h.server.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    h.server.runScheduledPendingTasks();
    assertServerClosedSilently();
    assertThat(h.rejections).containsExactly(HandshakeRejection.SILENT);
  }

  @Test
  void aConnectionThatSentItsPreambleHasTheWholeHandshakeDeadline() {
    h.newServer();
    h.server.writeInbound(Unpooled.wrappedBuffer(Preamble.encode(Suite.AESGCM)));
    h.server.advanceTimeBy(9, TimeUnit.SECONDS);
    h.server.runScheduledPendingTasks();
    assertThat(h.server.isOpen()).isTrue();

    h.server.advanceTimeBy(1, TimeUnit.SECONDS);
    h.server.runScheduledPendingTasks();
    assertServerClosedSilently();
    assertThat(h.rejections).containsExactly(HandshakeRejection.TIMEOUT);
  }

  @Test
  void eachRejectionSaysWhy() {
    h.newServer();
    h.server.writeInbound(
        Unpooled.wrappedBuffer(
            "GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertThat(h.rejections).containsExactly(HandshakeRejection.GARBAGE);

    LinkHarness stranger = new LinkHarness();
    stranger.newClient(h.serverKey.publicKey());
    h.newServer(new LinkHarness.Recorder());
    LinkHarness.shuttle(stranger.client, h.server);
    stranger.close();
    assertThat(h.rejections).endsWith(HandshakeRejection.UNKNOWN_KEY);

    h.newClient();
    EmbeddedChannel accepted = h.newServer(new LinkHarness.Recorder());
    ByteBuf first = h.client.readOutbound();
    ByteBuf copy = first.copy();
    accepted.writeInbound(first);
    h.newServer(new LinkHarness.Recorder())
        .writeInbound(copy); // the same bytes again, to the same server process
    assertThat(h.rejections).endsWith(HandshakeRejection.REPLAY);
    accepted.finishAndReleaseAll(); // gone before any record of the client's arrived
    assertThat(h.rejections).endsWith(HandshakeRejection.UNCONFIRMED);

    h.newServer(new LinkHarness.Recorder()).close();
    assertThat(h.rejections)
        .containsExactly(
            HandshakeRejection.GARBAGE,
            HandshakeRejection.UNKNOWN_KEY,
            HandshakeRejection.REPLAY,
            HandshakeRejection.UNCONFIRMED,
            HandshakeRejection.CLOSED);
  }

  @Test
  void clientFailsOnWrongPinnedServerKey() {
    h.newClient(X25519.generate().publicKey());
    h.newServer();
    h.toServer();
    assertServerClosedSilently();

    h.client.close(); // the client sees the TCP connection end
    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(HandshakeFailedException.class);
    // What it saw, not a guess at which key is wrong: the server closes silently for many reasons.
    assertThat(h.clientSeen.errors.get(0).getMessage())
        .startsWith("handshake failed: connection closed before the handshake finished")
        .doesNotContain("key");
    assertThat(h.clientSeen.established()).isNull();
  }

  @Test
  void clientFailsOnAResponseWithABadMac() {
    h.newClient();
    h.newServer();
    h.toServer();
    ByteBuf response = h.server.readOutbound();
    response.setByte(
        response.writerIndex() - 1, response.getByte(response.writerIndex() - 1) ^ 0x80);
    h.client.writeInbound(response);

    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(HandshakeFailedException.class);
    assertThat(h.client.isOpen()).isFalse();
    assertThat(h.clientSeen.established()).isNull();
  }

  @Test
  void clientFailsWhenNoResponseArrivesInTime() {
    h.clientConfig = h.clientConfig.withHandshakeTimeout(Duration.ofSeconds(3));
    h.newClient();
    ReferenceCountUtil.release(h.client.readOutbound()); // sent; the server never answers
    drainAndRelease(h.client);

    h.client.advanceTimeBy(2500, TimeUnit.MILLISECONDS); // margin: the loop's clock also runs
    h.client.runScheduledPendingTasks();
    assertThat(h.client.isOpen()).isTrue();

    h.client.advanceTimeBy(500, TimeUnit.MILLISECONDS);
    h.client.runScheduledPendingTasks();
    assertThat(h.client.isOpen()).isFalse();
    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(HandshakeFailedException.class);
    assertThat(h.clientSeen.errors.get(0))
        .hasMessage("handshake failed: no handshake answer within 3 s");
  }

  @Test
  void serverClosesSilentlyWhenTheHandshakeTimesOut() {
    h.serverConfig = h.serverConfig.withHandshakeTimeout(Duration.ofSeconds(5));
    h.newServer();
    h.server
        .freezeTime(); // only advanceTimeBy moves the clock: a loaded machine cannot add a late ms
    h.server.writeInbound(Unpooled.wrappedBuffer(Preamble.encode(Suite.AESGCM))); // then nothing

    h.server.advanceTimeBy(4999, TimeUnit.MILLISECONDS);
    h.server.runScheduledPendingTasks();
    assertThat(h.server.isOpen()).isTrue();

    h.server.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    h.server.runScheduledPendingTasks();
    assertServerClosedSilently();
    assertThat(h.rejections).containsExactly(HandshakeRejection.TIMEOUT);
  }

  @Test
  void handshakeDeadlineDoesNotCloseAnEstablishedLink() {
    h.establish();
    h.server.advanceTimeBy(11, TimeUnit.SECONDS);
    h.server.runScheduledPendingTasks();
    h.client.advanceTimeBy(11, TimeUnit.SECONDS);
    h.client.runScheduledPendingTasks();
    assertThat(h.server.isOpen()).isTrue();
    assertThat(h.client.isOpen()).isTrue();
  }

  @Test
  void serverClosesSilentlyOnAClientWindowBelowTheMinimum() {
    // LinkConfig refuses such a window, so P1 is forged: the field is checked all the same.
    h.newServer();
    byte[] msg = forgedInitiation(h, LinkConfig.MIN_WINDOW - 1);
    h.server.writeInbound(Unpooled.wrappedBuffer(msg));
    assertServerClosedSilently();
  }

  @Test
  void serverCountsAFailedHandshakeAsFinishedOnce() {
    h.newServer();
    h.server.writeInbound(Unpooled.wrappedBuffer(new byte[] {'n', 'o', 'p', 'e', 1, 2, 3, 4}));
    h.server.close();
    assertThat(h.handshakesFinished).isEqualTo(1);
  }

  // ---- pure parts -------------------------------------------------------------------------------

  @Test
  void tai64nIs2pow62PlusUnixSecondsThenNanos() {
    byte[] t = Tai64n.encode(java.time.Instant.ofEpochSecond(1, 2));
    assertThat(HexFormat.of().formatHex(t)).isEqualTo("4000000000000001" + "00000002");
  }

  @Test
  void tai64nByteOrderIsTimeOrder() {
    byte[] a = Tai64n.encode(java.time.Instant.ofEpochSecond(1_700_000_000L, 999_999_999));
    byte[] b = Tai64n.encode(java.time.Instant.ofEpochSecond(1_700_000_001L, 0));
    byte[] c = Tai64n.encode(java.time.Instant.ofEpochSecond(1_700_000_001L, 0xFF));
    assertThat(Tai64n.compare(a, b)).isNegative();
    assertThat(Tai64n.compare(b, c)).isNegative(); // unsigned: 0xFF is more than 0
    assertThat(Tai64n.compare(c, c)).isZero();
  }

  @Test
  void preambleBindsIntoThePrologue() {
    assertThat(
            new String(
                Preamble.prologue(Preamble.encode(Suite.CHACHAPOLY)),
                java.nio.charset.StandardCharsets.ISO_8859_1))
        .isEqualTo("ett/1ETT!\u0001\u0002\u0000\u0000");
    assertThat(Preamble.decode(HexFormat.of().parseHex("4554542101020000")))
        .isEqualTo(Suite.CHACHAPOLY);
    assertThat(Preamble.decode(HexFormat.of().parseHex("4554542101030000"))).isNull();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void assertServerClosedSilently() {
    assertThat(h.server.isOpen()).as("server open").isFalse();
    List<ByteBuf> written = LinkHarness.drain(h.server);
    int n = written.size();
    written.forEach(ByteBuf::release);
    assertThat(n).as("records the server wrote").isZero();
    assertThat(h.serverSeen.established()).isNull();
  }

  private static void drainAndRelease(EmbeddedChannel ch) {
    LinkHarness.drain(ch).forEach(ByteBuf::release);
  }

  private static byte[] bytes(ByteBuf b, int from, int len) {
    byte[] out = new byte[len];
    b.getBytes(from, out);
    return out;
  }

  /** Preamble + message 1 as a client would write it, with a chosen window in P1. */
  private static byte[] forgedInitiation(LinkHarness h, int window) {
    try {
      byte[] preamble = Preamble.encode(Suite.AESGCM);
      var hs =
          dev.ett.noise.HandshakeState.initiator(
              dev.ett.noise.NoiseProtocol.parse(Suite.AESGCM.noiseName),
              Preamble.prologue(preamble),
              h.clientKey,
              h.serverKey.publicKey(),
              null);
      java.nio.ByteBuffer p1 = java.nio.ByteBuffer.allocate(16);
      p1.put(Tai64n.encode(java.time.Instant.now()));
      p1.putInt(window);
      byte[] msg1 = hs.writeMessage(p1.array());
      hs.destroy();
      java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + 2 + msg1.length);
      out.put(preamble).putShort((short) msg1.length).put(msg1);
      return out.array();
    } catch (dev.ett.noise.NoiseException e) {
      throw new AssertionError(e);
    }
  }
}
