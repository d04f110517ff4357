package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.noise.CipherFunction;
import dev.ett.noise.CipherState;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: after a handshake, frames go in at one end and come out the same at the other
 * (PROTOCOL.md §3, §5), a changed bit ends the link before any frame of its record is seen, and the
 * key schedule (§7: REKEY by volume, KEYX for fresh keys) keeps both directions flowing.
 */
class RecordLayerTest {
  private final LinkHarness h = new LinkHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void framesWrittenOnOneSideArriveAsTheSameFramesOnTheOther() {
    h.establish();
    Frame open = new Frame.Open(1, Destination.ofName("example.com", 443));
    h.client.writeOutbound(open);
    h.toServer();
    assertThat((Object) h.server.readInbound()).isEqualTo(open);

    h.server.writeOutbound(
        new Frame.Opened(1, Destination.ofName("example.com", 443)), data(1, "hello"));
    h.toClient();
    assertThat((Object) h.client.readInbound())
        .isEqualTo(new Frame.Opened(1, Destination.ofName("example.com", 443)));
    assertThat(readData(h.client)).isEqualTo("hello");
  }

  @Test
  void severalFramesWrittenBeforeOneFlushTravelInOneRecord() {
    h.establish();
    h.client.write(new Frame.Open(1, Destination.ofName("a.example", 80)));
    h.client.write(data(1, "GET / HTTP/1.0\r\n\r\n"));
    h.client.write(new Frame.Fin(1));
    h.client.flush();

    assertThat(h.toServer()).as("records").isEqualTo(1);
    assertThat((Object) h.server.readInbound()).isInstanceOf(Frame.Open.class);
    assertThat(readData(h.server)).isEqualTo("GET / HTTP/1.0\r\n\r\n");
    assertThat((Object) h.server.readInbound()).isEqualTo(new Frame.Fin(1));
  }

  @Test
  void recordsCutAcrossReadsAtAnyPointArriveWhole() {
    // The framing gathers reads as a composite buffer and the record layer copies a record that
    // spans two of them: cut full records, and a small one between them, in uneven pieces.
    h.establish();
    String big = "b".repeat(Frame.MAX_DATA);
    h.client.writeOutbound(data(1, big));
    h.client.writeOutbound(data(1, "small"));
    h.client.writeOutbound(data(1, big));
    List<ByteBuf> records = LinkHarness.drain(h.client);
    ByteBuf all = Unpooled.buffer();
    records.forEach(
        r -> {
          all.writeBytes(r);
          r.release();
        });
    int[] cuts = {1, 70_000, 3, 65_000, 7, 40_000};
    for (int i = 0; all.isReadable(); i++) {
      h.server.writeInbound(
          all.readRetainedSlice(Math.min(cuts[i % cuts.length], all.readableBytes())));
    }
    all.release();
    assertThat(readData(h.server)).isEqualTo(big);
    assertThat(readData(h.server)).isEqualTo("small");
    assertThat(readData(h.server)).isEqualTo(big);
    assertThat(h.serverSeen.errors).isEmpty();
  }

  @Test
  void framesUpToTheRecordLimitTravelInOneRecord() {
    h.establish();
    h.client.write(data(1, "x".repeat(1000)));
    h.client.write(data(3, "y".repeat(1000)));
    h.client.flush();

    assertThat(h.toServer()).as("records").isEqualTo(1);
  }

  @Test
  void aRecordNeverExceedsTheNoiseMessageLimit() {
    h.establish();
    for (int i = 0; i < 3; i++) {
      h.client.write(data(1, "z".repeat(Frame.MAX_DATA)));
    }
    h.client.flush();
    List<ByteBuf> records = LinkHarness.drain(h.client);
    assertThat(records).hasSize(3);
    for (ByteBuf r : records) {
      assertThat(r.getUnsignedShort(0)).isEqualTo(Records.MAX_MESSAGE);
      assertThat(r.readableBytes()).isEqualTo(2 + Records.MAX_MESSAGE);
      h.server.writeInbound(r);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(readData(h.server)).hasSize(Frame.MAX_DATA);
    }
  }

  @Test
  void runningOutOfDirectMemoryForARecordClosesThisLinkAndFreesTheRecord() {
    h.establish();
    h.client.writeOutbound(data(1, "hello"));
    h.server
        .config()
        .setAllocator(
            new io.netty.buffer.AbstractByteBufAllocator(false) {
              @Override
              protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return Unpooled.buffer(initialCapacity, maxCapacity);
              }

              @Override
              protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                throw new OutOfMemoryError(
                    "Cannot reserve " + initialCapacity + " bytes of direct buffer memory (test)");
              }

              @Override
              public boolean isDirectBufferPooled() {
                return false;
              }
            });

    h.toServer(); // the leak check after the test finds the record if it was not released

    assertThat((Object) h.server.readInbound()).as("no frame").isNull();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(OutOfMemoryError.class);
    assertThat(h.server.isOpen()).as("this link closed by its record layer").isFalse();
  }

  @Test
  void aRecordWithOneFlippedBitClosesTheLinkAndDeliversNoFrame() {
    h.establish();
    h.client.writeOutbound(data(1, "pay me"), new Frame.Fin(1));
    ByteBuf record = h.client.readOutbound();
    record.setByte(5, record.getByte(5) ^ 0x01); // inside the first frame's header

    h.server.writeInbound(record);

    assertThat((Object) h.server.readInbound()).isNull();
    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(LinkTamperedException.class);
    assertThat((Object) h.server.readOutbound()).as("nothing answered").isNull();
  }

  @Test
  void aFlippedBitInTheTagIsCaughtToo() {
    h.establish();
    h.server.writeOutbound(new Frame.Ping(7));
    ByteBuf record = h.server.readOutbound();
    int last = record.writerIndex() - 1;
    record.setByte(last, record.getByte(last) ^ 0x80);

    h.client.writeInbound(record);

    assertThat((Object) h.client.readInbound()).isNull();
    assertThat(h.client.isOpen()).isFalse();
    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(LinkTamperedException.class);
  }

  @Test
  void aReplayedRecordClosesTheLink() {
    h.establish();
    h.client.writeOutbound(new Frame.Ping(1));
    ByteBuf record = h.client.readOutbound();
    h.server.writeInbound(record.copy());
    assertThat((Object) h.server.readInbound()).isEqualTo(new Frame.Ping(1));

    h.server.writeInbound(record); // the same nonce again

    assertThat((Object) h.server.readInbound()).isNull();
    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(LinkTamperedException.class);
  }

  @Test
  void aRecordShorterThanTheTagClosesTheLink() {
    h.establish();
    h.server.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 3, 1, 2, 3}));
    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(LinkTamperedException.class);
  }

  @Test
  void rekeyByVolumeKeepsTrafficFlowingBothWays() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.serverConfig = h.serverConfig.withRekey(4096, h.serverConfig.rekeyInterval());
    h.establish();

    for (int i = 0; i < 40; i++) {
      String up = ("up " + i + " ").repeat(100);
      String down = ("down " + i + " ").repeat(150);
      h.client.writeOutbound(data(1, up));
      h.server.writeOutbound(data(1, down));
      h.toServer();
      h.toClient();
      assertThat(readData(h.server)).isEqualTo(up);
      assertThat(readData(h.client)).isEqualTo(down);
    }

    int[] c = h.clientRecords().keyCounters();
    int[] s = h.serverRecords().keyCounters();
    assertThat(c[0]).as("client rekeys sent").isGreaterThanOrEqualTo(3);
    assertThat(s[1]).as("server rekeys received").isEqualTo(c[0]);
    assertThat(s[0]).as("server rekeys sent").isGreaterThanOrEqualTo(8);
    assertThat(c[1]).as("client rekeys received").isEqualTo(s[0]);
    assertThat((Object) h.server.readInbound()).as("REKEY is not passed up").isNull();
  }

  @Test
  void keyExchangeKeepsTrafficFlowingBothWays() {
    h.establish();

    h.clientRecords().startKeyExchange();
    h.pump();
    assertThat(h.clientRecords().keyCounters()[2]).isEqualTo(1);
    assertThat(h.serverRecords().keyCounters()[2]).isEqualTo(1);
    assertTrafficFlowsBothWays("after one");

    h.clientRecords().startKeyExchange();
    h.pump();
    assertThat(h.clientRecords().keyCounters()[2]).isEqualTo(2);
    assertThat(h.serverRecords().keyCounters()[2]).isEqualTo(2);
    assertTrafficFlowsBothWays("after two");
    assertThat(h.clientSeen.errors).isEmpty();
    assertThat(h.serverSeen.errors).isEmpty();
  }

  @Test
  void keyExchangeWithTrafficInFlightBothWaysLosesNothing() {
    h.establish();
    h.clientRecords().startKeyExchange();
    h.client.writeOutbound(data(1, "c1")); // under the client's old key
    h.server.writeOutbound(data(1, "s1")); // the server has not seen KEYX yet: old key

    h.toServer(); // KEYX, c1: the server answers KEYX and switches its sending key
    h.server.writeOutbound(data(1, "s2")); // under the server's new key
    h.toClient(); // s1, KEYX, s2: the client switches its receiving key after KEYX, sends DONE
    h.client.writeOutbound(data(1, "c2")); // under the client's new key
    h.toServer();

    assertThat(readData(h.server)).isEqualTo("c1");
    assertThat(readData(h.server)).isEqualTo("c2");
    assertThat(readData(h.client)).isEqualTo("s1");
    assertThat(readData(h.client)).isEqualTo("s2");
    assertThat(h.serverRecords().keyCounters()[2]).isEqualTo(1);
    assertTrafficFlowsBothWays("after the exchange");
  }

  @Test
  void keyExchangeAndRekeyTogether() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.serverConfig = h.serverConfig.withRekey(4096, h.serverConfig.rekeyInterval());
    h.establish();
    for (int i = 0; i < 10; i++) {
      h.client.writeOutbound(data(1, "a".repeat(1500)));
      h.server.writeOutbound(data(1, "b".repeat(1700)));
      h.clientRecords().startKeyExchange();
      h.pump();
      assertThat(readData(h.server)).hasSize(1500);
      assertThat(readData(h.client)).hasSize(1700);
    }
    assertThat(h.clientSeen.errors).isEmpty();
    assertThat(h.serverSeen.errors).isEmpty();
    assertThat(h.clientRecords().keyCounters()[2]).isEqualTo(10);
  }

  @Test
  void keyExchangeWhoseRecordCrossesTheRekeyThresholdKeepsTheLink() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.serverConfig = h.serverConfig.withRekey(4096, h.serverConfig.rekeyInterval());
    h.establish();
    // Bring the server to 4096 - 39 bytes sent under its key: its KEYX record (7 + 32 bytes of
    // plaintext) then reaches the threshold exactly.
    int frameBytes = 4096 - 39;
    h.server.writeOutbound(data(1, "s".repeat(frameBytes - Frame.HEADER_LENGTH)));
    h.toClient();
    readData(h.client);

    h.clientRecords().startKeyExchange();
    h.pump();

    assertThat(h.clientSeen.errors).isEmpty();
    assertThat(h.client.isOpen()).isTrue();
    assertTrafficFlowsBothWays("after the exchange");
  }

  /**
   * The record that carries the server's KEYX may hold more than the rekey threshold of frames
   * written before it. No REKEY may follow it under the old key: the client takes the new key right
   * after that record, so such a REKEY would fail authentication (found by a 1 GiB transfer with a
   * 4 KiB rekey limit).
   */
  @Test
  void serverKeyExchangeRecordLargerThanTheRekeyLimitIsNotFollowedByARekey() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.serverConfig = h.serverConfig.withRekey(4096, h.serverConfig.rekeyInterval());
    h.establish();
    h.server.write(data(1, "s".repeat(4500))); // pending in the server's record, not yet sealed
    h.clientRecords().startKeyExchange();
    h.pump();

    assertThat(h.clientSeen.errors).isEmpty();
    assertThat(readData(h.client)).hasSize(4500);
    assertTrafficFlowsBothWays("after the exchange");
  }

  /** The same for the client's KEYX_DONE record. */
  @Test
  void clientKeyExchangeDoneRecordLargerThanTheRekeyLimitIsNotFollowedByARekey() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.serverConfig = h.serverConfig.withRekey(4096, h.serverConfig.rekeyInterval());
    h.establish();
    h.clientRecords().startKeyExchange();
    h.toServer(); // the server answers with its KEYX
    h.client.write(data(1, "c".repeat(4500))); // pending in the client's record when KEYX arrives
    h.pump();

    assertThat(h.serverSeen.errors).isEmpty();
    assertThat(readData(h.server)).hasSize(4500);
    assertTrafficFlowsBothWays("after the exchange");
  }

  @Test
  void keyExchangeDoneWithoutKeyExchangeIsAProtocolError() {
    h.establish();
    h.client.writeOutbound(new Frame.KeyExchangeDone());
    h.toServer();

    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(ProtocolException.class);
    h.toClient();
    Frame goaway = h.client.readInbound();
    assertThat(goaway).isInstanceOf(Frame.GoAway.class);
    assertThat(((Frame.GoAway) goaway).code()).isEqualTo(GoawayCode.PROTOCOL_ERROR);
  }

  @Test
  void keyExchangeFromTheServerIsAProtocolError() {
    h.establish();
    h.server.writeOutbound(new Frame.KeyExchange(new byte[32]));
    h.toClient();

    assertThat(h.client.isOpen()).isFalse();
    assertThat(h.clientSeen.errors).singleElement().isInstanceOf(ProtocolException.class);
    h.toServer();
    assertThat(((Frame.GoAway) h.server.readInbound()).code()).isEqualTo(GoawayCode.PROTOCOL_ERROR);
  }

  @Test
  void aSecondKeyExchangeBeforeTheFirstCompletesIsAProtocolError() {
    h.establish();
    h.clientRecords().startKeyExchange();
    h.client.writeOutbound(new Frame.KeyExchange(dev.ett.noise.X25519.generate().publicKey()));
    h.toServer();

    assertThat(h.server.isOpen()).isFalse();
    assertThat(h.serverSeen.errors).singleElement().isInstanceOf(ProtocolException.class);
  }

  @Test
  void aMalformedFrameIsAProtocolErrorAfterTheFramesBeforeItInTheRecord() throws Exception {
    // A server RecordLayer whose receiving key the test holds too, so the test can seal any bytes.
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    CipherState peerSender = cipher(key);
    EmbeddedChannel server = serverWithReceivingKey(key);
    // PING, then WINDOW with a 3-byte body (PROTOCOL.md §5: "a body of the wrong size")
    server.writeInbound(
        seal(peerSender, "08 00000000 0008 0000000000000009 05 00000001 0003 000080"));

    assertThat((Object) server.readInbound()).isEqualTo(new Frame.Ping(9));
    assertThat((Object) server.readInbound()).isNull();
    assertThat(server.isOpen()).isFalse();
    Object goaway = server.readOutbound();
    assertThat(goaway).as("GOAWAY record").isNotNull();
    io.netty.util.ReferenceCountUtil.release(goaway);
    server.finishAndReleaseAll();
  }

  @Test
  void anEmptyTransportRecordIsIgnored() throws Exception {
    // PROTOCOL.md §3 only forbids records shorter than the tag; a 16-byte record holds no frame.
    byte[] key = new byte[32];
    CipherState peerSender = cipher(key);
    EmbeddedChannel server = serverWithReceivingKey(key);
    server.writeInbound(seal(peerSender, ""));
    server.writeInbound(seal(peerSender, "08 00000000 0008 0000000000000001"));
    assertThat((Object) server.readInbound()).isEqualTo(new Frame.Ping(1));
    assertThat(server.isOpen()).isTrue();
    server.finishAndReleaseAll();
  }

  @Test
  void theChainingKeyHandedToTheRecordLayerIsZeroedWhenTheLinkCloses() {
    // The handshake hands its only copy over (Transport.takeChainingKey): the layer must zero
    // that array itself, not a copy of it, or the handshake's copy outlives the link.
    byte[] chainingKey = new byte[32];
    java.util.Arrays.fill(chainingKey, (byte) 0x5a);
    RecordLayer records =
        new RecordLayer(
            LinkEstablished.Role.SERVER,
            cipher(new byte[32]),
            cipher(new byte[32]),
            chainingKey,
            LinkConfig.defaults());
    EmbeddedChannel server = new EmbeddedChannel(records, new LinkHarness.Recorder());
    assertThat(chainingKey).as("in use while the link is up").containsOnly(0x5a);

    server.close();

    assertThat(chainingKey).containsOnly(0);
    server.finishAndReleaseAll();
  }

  private static CipherState cipher(byte[] key) {
    CipherState c = new CipherState(CipherFunction.AESGCM);
    c.initializeKey(key.clone());
    return c;
  }

  private static EmbeddedChannel serverWithReceivingKey(byte[] key) {
    RecordLayer records =
        new RecordLayer(
            LinkEstablished.Role.SERVER,
            cipher(new byte[32]),
            cipher(key),
            new byte[32],
            LinkConfig.defaults());
    return new EmbeddedChannel(records, new LinkHarness.Recorder());
  }

  /** One record (without its length prefix: the record decoder is not in this pipeline). */
  private static ByteBuf seal(CipherState c, String hex) {
    byte[] plain = java.util.HexFormat.of().parseHex(hex.replace(" ", ""));
    return Unpooled.wrappedBuffer(c.encryptWithAd(new byte[0], plain));
  }

  @Test
  void writesAfterTheLinkClosedFailAndReleaseTheirData() {
    h.establish();
    h.client.close();
    ByteBuf payload = Unpooled.copiedBuffer("late", java.nio.charset.StandardCharsets.US_ASCII);
    var future = h.client.writeAndFlush(new Frame.Data(1, payload));
    assertThat(future.isSuccess()).isFalse();
    assertThat(payload.refCnt()).isZero();
  }

  @Test
  void aWritePromiseCompletesWhenItsRecordIsWritten() {
    h.establish();
    var first = h.client.write(new Frame.Ping(1));
    var second = h.client.write(new Frame.Ping(2));
    assertThat(first.isDone()).isFalse();
    h.client.flush();
    assertThat(first.isSuccess()).isTrue();
    assertThat(second.isSuccess()).isTrue();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void assertTrafficFlowsBothWays(String when) {
    h.client.writeOutbound(data(1, "ping " + when));
    h.toServer();
    assertThat(readData(h.server)).as("client -> server " + when).isEqualTo("ping " + when);
    h.server.writeOutbound(data(1, "pong " + when));
    h.toClient();
    assertThat(readData(h.client)).as("server -> client " + when).isEqualTo("pong " + when);
  }

  private static Frame.Data data(int stream, String s) {
    return new Frame.Data(
        stream, Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** The next inbound frame, which must be DATA; its payload as text, released. */
  private static String readData(EmbeddedChannel ch) {
    Object m = ch.readInbound();
    assertThat(m).isInstanceOf(Frame.Data.class);
    Frame.Data d = (Frame.Data) m;
    try {
      return d.payload().toString(java.nio.charset.StandardCharsets.US_ASCII);
    } finally {
      d.release();
    }
  }
}
