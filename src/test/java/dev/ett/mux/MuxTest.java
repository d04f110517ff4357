package dev.ett.mux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.Suite;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.FrameCodec;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the server side of the mux against a scripted peer (OkHttp's MockHttp2Peer
 * shape). The test plays the client by writing frames into the link and reading the frames the mux
 * writes; a scripted {@link Exit} "connects" streams to {@link DestinationSocket}s. No crypto and
 * no sockets: the link pipeline carries {@link Frame} objects directly.
 *
 * <p>Windows are the minimum (16 KiB) both ways, so credit goes back in batches of 8 KiB.
 */
class MuxTest {
  private static final int WINDOW = LinkConfig.MIN_WINDOW;
  private static final Destination TARGET = Destination.ofName("example.com", 80);
  private static final Destination BOUND = Destination.parse("192.0.2.7", 80);

  private final ScriptedExit exit = new ScriptedExit();
  private final List<DestinationSocket> sockets = new ArrayList<>();
  private LinkConfig config = LinkConfig.defaults().withInitialWindow(WINDOW).withMaxStreams(2);
  private BufferBudget budget;
  private Mux mux;
  private EmbeddedChannel link;

  /** The server's exit, scripted: the test decides when and how each open ends. */
  static final class ScriptedExit implements Exit {
    record Request(String client, Destination destination, EventLoop loop, Callback callback) {}

    final ArrayDeque<Request> requests = new ArrayDeque<>();

    @Override
    public void open(String client, Destination destination, EventLoop loop, Callback callback) {
      requests.add(new Request(client, destination, loop, callback));
    }
  }

  @BeforeEach
  void startLink() {
    startLink(LinkEstablished.Role.SERVER, exit);
  }

  private void startLink(LinkEstablished.Role role, Exit exit) {
    if (link != null) {
      link.finishAndReleaseAll();
    }
    mux = newMux(exit);
    link = new EmbeddedChannel(mux);
    link.pipeline()
        .fireUserEventTriggered(
            new LinkEstablished(role, Suite.AESGCM, "alice", new byte[32], WINDOW, 2));
  }

  private Mux newMux(Exit exit) {
    Mux m = new Mux(config, exit, x -> {});
    if (budget != null) {
      m.setBufferBudget(budget);
    }
    return m;
  }

  @AfterEach
  void closeEverything() {
    link.finishAndReleaseAll();
    for (DestinationSocket s : sockets) {
      s.finishAndReleaseAll();
    }
  }

  // ---- opening ----------------------------------------------------------------------------------

  @Test
  void openAsksTheExitThenAnswersOpenedAndStartsReading() {
    link.writeInbound(new Frame.Open(1, TARGET));
    ScriptedExit.Request r = exit.requests.peek();
    assertThat(r.client()).isEqualTo("alice");
    assertThat(r.destination()).isEqualTo(TARGET);
    assertNoFrame();

    DestinationSocket socket = connect();

    assertThat(next()).isEqualTo(new Frame.Opened(1, BOUND));
    assertThat(socket.reads).isEqualTo(1);
    assertThat(mux.streamCount()).isEqualTo(1);
  }

  @Test
  void refusedByTheExitAnswersRefusedAndDropsDataThatCameEarly() {
    link.writeInbound(new Frame.Open(1, TARGET));
    ByteBuf early = Unpooled.copiedBuffer("early", StandardCharsets.US_ASCII);
    link.writeInbound(new Frame.Data(1, early));

    exit.requests.poll().callback().refused(RefuseCode.POLICY, "not to example.com");

    assertThat(next()).isEqualTo(new Frame.Refused(1, RefuseCode.POLICY, "not to example.com"));
    assertThat(early.refCnt()).isZero();
    assertThat(mux.streamCount()).isZero();
  }

  @Test
  void dataThatArrivesBeforeTheConnectIsWrittenOnceConnected() {
    link.writeInbound(new Frame.Open(1, TARGET), data(1, "0-RTT"));
    DestinationSocket socket = connect();
    assertThat(socket.received()).isEqualTo("0-RTT");
    assertThat(next()).isEqualTo(new Frame.Opened(1, BOUND));
  }

  @Test
  void finThatArrivesBeforeTheConnectShutsTheOutputOnceConnected() {
    link.writeInbound(new Frame.Open(1, TARGET), data(1, "req"), new Frame.Fin(1));
    DestinationSocket socket = connect();
    assertThat(socket.received()).isEqualTo("req");
    assertThat(socket.isOutputShutdown()).isTrue();
  }

  @Test
  void openPastMaxStreamsIsRefused() {
    open(1);
    open(3);
    link.writeInbound(new Frame.Open(5, TARGET));

    assertThat(exit.requests).isEmpty();
    Frame.Refused refused = (Frame.Refused) next();
    assertThat(refused.stream()).isEqualTo(5);
    assertThat(refused.code()).isEqualTo(RefuseCode.TOO_MANY_STREAMS);
    assertThat(link.isOpen()).isTrue();
  }

  @Test
  void openPastMaxPendingOpensIsRefused() {
    config = config.withMaxStreams(100).withMaxPendingOpens(1);
    startLink();
    link.writeInbound(new Frame.Open(1, TARGET), new Frame.Open(3, TARGET));

    assertThat(exit.requests).hasSize(1);
    Frame.Refused refused = (Frame.Refused) next();
    assertThat(refused.stream()).isEqualTo(3);
    assertThat(refused.code()).isEqualTo(RefuseCode.TOO_MANY_STREAMS);
  }

  @Test
  void openWithANonIncreasingIdIsAProtocolError() {
    open(3);
    link.writeInbound(new Frame.Open(1, TARGET));

    assertGoAway(GoawayCode.PROTOCOL_ERROR);
    assertThat(link.isOpen()).isFalse();
  }

  @Test
  void openReusingAnIdIsAProtocolError() {
    open(1);
    link.writeInbound(new Frame.Open(1, TARGET));
    assertGoAway(GoawayCode.PROTOCOL_ERROR);
  }

  @Test
  void openWithAnEvenIdIsAProtocolError() {
    link.writeInbound(new Frame.Open(2, TARGET));
    assertGoAway(GoawayCode.PROTOCOL_ERROR);
    assertThat(exit.requests).isEmpty();
  }

  @Test
  void refusedIdIsNeverReused() {
    open(1);
    open(3);
    link.writeInbound(new Frame.Open(5, TARGET));
    next(); // REFUSED
    link.writeInbound(new Frame.Open(5, TARGET));
    assertGoAway(GoawayCode.PROTOCOL_ERROR);
  }

  @Test
  void openFromTheServerIsAProtocolErrorAtTheClient() {
    startLink(LinkEstablished.Role.CLIENT, null);
    link.writeInbound(new Frame.Open(1, TARGET));
    assertGoAway(GoawayCode.PROTOCOL_ERROR);
  }

  @Test
  void openWithABadNameIsRefusedAloneAndTheOtherStreamsGoOn() {
    // PROTOCOL.md §5: a name the wire does not carry (here a space, a line break, DEL) costs its
    // own stream: REFUSED 04, no exit asked, and the stream already open keeps carrying bytes.
    DestinationSocket socket = open(1);
    int id = 3;
    for (String bad : new String[] {"a b.example", "a\nb.example", "a\tb", "a\u007fb"}) {
      byte[] name = bad.getBytes(StandardCharsets.ISO_8859_1);
      link.writeInbound(new Frame.OpenBadName(id, name, 80), data(id, "0-RTT bytes, dropped"));
      assertThat(next())
          .isEqualTo(new Frame.Refused(id, RefuseCode.HOST_UNREACHABLE, "bad host name"));
      assertNoFrame();
      id += 2;
    }
    assertThat(exit.requests).as("the exit never saw a bad name").isEmpty();
    assertThat(link.isOpen()).isTrue();
    assertThat(mux.streamCount()).isEqualTo(1);

    link.writeInbound(data(1, "still here"));
    assertThat(socket.received()).isEqualTo("still here");
    socket.send("and back");
    assertThat(dataText(next())).isEqualTo("and back");

    // The refused ids are used up, as any refused id is (PROTOCOL.md §5: never reused).
    link.writeInbound(new Frame.OpenBadName(id - 2, new byte[] {' '}, 80));
    assertGoAway(GoawayCode.PROTOCOL_ERROR);
  }

  // ---- windows ----------------------------------------------------------------------------------

  @Test
  void windowExhaustionStopsReading() {
    // Receive side: the peer may send exactly the window and not one byte more.
    DestinationSocket socket = open(1);
    socket.holdWrites(); // nothing is consumed, so no credit comes back

    link.writeInbound(data(1, WINDOW));
    assertNoFrame();
    assertThat(socket.isOpen()).isTrue();

    link.writeInbound(data(1, 1));
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.PROTOCOL_ERROR));
    assertThat(socket.isOpen()).isFalse();
    assertThat(mux.streamCount()).isZero();
  }

  @Test
  void socketIsNotReadWhileTheStreamHasNoSendCredit() {
    DestinationSocket socket = open(1);
    int reads = socket.reads;

    socket.send(WINDOW + 1000);

    assertThat(dataBytes(next())).isEqualTo(WINDOW);
    assertNoFrame(); // the 1000 left over wait for credit
    assertThat(socket.reads).as("reads while the window is empty").isEqualTo(reads);

    link.writeInbound(new Frame.Window(1, 600));
    assertNoFrame(); // a sliver of credit: less than the frame and than half the window
    assertThat(socket.reads).as("still 1000 bytes unsent").isEqualTo(reads);

    link.writeInbound(new Frame.Window(1, 5000));
    assertThat(dataBytes(next())).isEqualTo(1000);
    assertThat(socket.reads).as("unsent gone and credit left: read again").isEqualTo(reads + 1);
  }

  @Test
  void aFrameIsCutToFitHalfTheWindowButNotASliver() {
    DestinationSocket socket = open(1);
    socket.send(WINDOW - 100);
    assertThat(dataBytes(next())).isEqualTo(WINDOW - 100);

    socket.send(10_000); // 100 bytes of credit left: wait
    assertNoFrame();

    link.writeInbound(
        new Frame.Window(1, WINDOW / 2 - 200)); // 100 + 7,992: half the window less 100
    assertNoFrame();
    link.writeInbound(new Frame.Window(1, 100)); // half the window: enough to cut the frame
    assertThat(dataBytes(next())).isEqualTo(WINDOW / 2);
    assertNoFrame(); // the rest waits for credit
  }

  @Test
  void creditIsReturnedOnlyAfterTheSocketWrite() {
    DestinationSocket socket = open(1);
    socket.holdWrites();

    link.writeInbound(data(1, WINDOW / 2));
    assertNoFrame();

    socket.releaseWrites();
    assertThat(socket.receivedBytes()).isEqualTo(WINDOW / 2);
    assertThat(next()).isEqualTo(new Frame.Window(1, WINDOW / 2));
  }

  @Test
  void creditGoesBackInBatchesOfHalfTheWindow() {
    DestinationSocket socket = open(1);
    link.writeInbound(data(1, 4000));
    assertThat(socket.receivedBytes()).isEqualTo(4000);
    assertNoFrame();

    link.writeInbound(data(1, WINDOW / 2 - 4000));
    assertThat(next()).isEqualTo(new Frame.Window(1, WINDOW / 2));
  }

  @Test
  void returnedCreditLetsThePeerSendMoreThanOneWindowInTotal() {
    DestinationSocket socket = open(1);
    for (int i = 0; i < 5; i++) {
      link.writeInbound(data(1, WINDOW));
      assertThat(next()).isEqualTo(new Frame.Window(1, WINDOW));
    }
    assertThat(socket.receivedBytes()).isEqualTo(5 * WINDOW);
  }

  @Test
  void blockedStreamDoesntStarveAnother() {
    DestinationSocket slow = open(1);
    DestinationSocket fast = open(3);
    slow.holdWrites(); // this application never reads
    link.writeInbound(data(1, WINDOW));

    for (int i = 0; i < 4; i++) {
      link.writeInbound(data(3, WINDOW));
      assertThat(fast.receivedBytes()).isEqualTo(WINDOW);
      assertThat(next()).isEqualTo(new Frame.Window(3, WINDOW));
    }
    // ... and the slow stream's other direction still flows.
    slow.send("still here");
    assertThat(dataText(next())).isEqualTo("still here");
    assertNoFrame();
  }

  @Test
  void windowThatOverflowsResetsTheStream() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.Window(1, Integer.MAX_VALUE));
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.PROTOCOL_ERROR));
    assertThat(socket.isOpen()).isFalse();
  }

  // ---- FIN and RESET ----------------------------------------------------------------------------

  @Test
  void finFromThePeerShutsTheDestinationsOutputWhileTheOtherDirectionFlows() {
    DestinationSocket socket = open(1);
    link.writeInbound(data(1, "GET /"), new Frame.Fin(1));
    assertThat(socket.received()).isEqualTo("GET /");
    assertThat(socket.isOutputShutdown()).isTrue();
    assertThat(socket.isOpen()).isTrue();

    socket.send("200 OK");
    assertThat(dataText(next())).isEqualTo("200 OK");

    socket.sendEof(); // half-closure is off by now: the transport closes the socket at this FIN
    assertThat(next()).isEqualTo(new Frame.Fin(1));
    assertThat(socket.isOpen()).as("both directions done: closed").isFalse();
    assertThat(socket.aborted()).isFalse();
    assertThat(mux.streamCount()).isZero();
    assertNoFrame(); // a clean end, no RESET
  }

  @Test
  void theApplicationsFinAfterOursStillLetsItsUnsentBytesGoFirst() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.Fin(1));
    assertThat(socket.isOutputShutdown()).isTrue();
    socket.send(WINDOW + 100);
    assertThat(dataBytes(next())).isEqualTo(WINDOW);
    socket.sendEof(); // closes the socket (half-closure off), with 100 bytes still unsent
    assertThat(socket.isOpen()).isFalse();
    assertNoFrame(); // no FIN while bytes wait for window
    assertThat(mux.streamCount()).isOne();

    link.writeInbound(new Frame.Window(1, 1000));
    assertThat(dataBytes(next())).isEqualTo(100);
    assertThat(next()).isEqualTo(new Frame.Fin(1));
    assertThat(mux.streamCount()).isZero();
    assertNoFrame();
  }

  @Test
  void finAfterSocketEof() {
    DestinationSocket socket = open(1);
    socket.send("banner");
    int reads = socket.reads;
    socket.sendEof();
    assertThat(dataText(next())).isEqualTo("banner");
    assertThat(next()).isEqualTo(new Frame.Fin(1));
    assertThat(socket.reads).as("no read after EOF").isEqualTo(reads);

    link.writeInbound(data(1, "late reply"));
    assertThat(socket.received()).isEqualTo("late reply");
    link.writeInbound(new Frame.Fin(1));

    // Both directions are done: the socket is closed (its FIN) without shutting output first.
    assertThat(socket.isOpen()).isFalse();
    assertThat(socket.aborted()).as("closed with a FIN, not a reset").isFalse();
    assertThat(mux.streamCount()).isZero();
    assertNoFrame();
  }

  @Test
  void finWaitsForTheWritesBeforeIt() {
    DestinationSocket socket = open(1);
    socket.holdWrites();
    link.writeInbound(data(1, "last words"), new Frame.Fin(1));
    assertThat(socket.isOutputShutdown()).isFalse();

    socket.releaseWrites();
    assertThat(socket.received()).isEqualTo("last words");
    assertThat(socket.isOutputShutdown()).isTrue();
  }

  @Test
  void finAfterFinResetsTheStream() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.Fin(1));
    link.writeInbound(new Frame.Fin(1));
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.PROTOCOL_ERROR));
    assertThat(socket.isOpen()).isFalse();
  }

  @Test
  void dataAfterFinResetsTheStream() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.Fin(1));
    ByteBuf late = Unpooled.copiedBuffer("late", StandardCharsets.US_ASCII);
    link.writeInbound(new Frame.Data(1, late));
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.PROTOCOL_ERROR));
    assertThat(late.refCnt()).isZero();
    assertThat(socket.isOpen()).isFalse();
  }

  @Test
  void resetFromThePeerClosesTheDestination() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.Reset(1, ResetCode.CANCEL));
    assertThat(socket.isOpen()).isFalse();
    assertThat(mux.streamCount()).isZero();
    assertNoFrame(); // a RESET is not answered
  }

  @Test
  void dataAfterResetIsIgnoredAndReleased() {
    open(1);
    link.writeInbound(new Frame.Reset(1, ResetCode.CANCEL));
    ByteBuf inFlight = Unpooled.copiedBuffer("in flight", StandardCharsets.US_ASCII);
    link.writeInbound(new Frame.Data(1, inFlight), new Frame.Fin(1), new Frame.Window(1, 5));
    assertThat(inFlight.refCnt()).isZero();
    assertNoFrame();
    assertThat(link.isOpen()).isTrue();
  }

  @Test
  void resetAfterOurFinIsQuiet() {
    DestinationSocket socket = open(1);
    socket.sendEof();
    assertThat(next()).isEqualTo(new Frame.Fin(1));
    link.writeInbound(new Frame.Reset(1, ResetCode.CANCEL));
    assertThat(socket.isOpen()).isFalse();
    assertNoFrame();
  }

  @Test
  void resetBeforeTheConnectClosesTheSocketWhenItComes() {
    link.writeInbound(new Frame.Open(1, TARGET), new Frame.Reset(1, ResetCode.CANCEL));
    DestinationSocket socket = connect();
    assertThat(socket.isOpen()).isFalse();
    assertNoFrame(); // no OPENED for a stream the client already gave up
  }

  @Test
  void destinationFailureResetsTheStreamWithDestinationReset() {
    DestinationSocket socket = open(1);
    socket.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.DESTINATION_RESET));
    assertThat(socket.isOpen()).isFalse();
    assertThat(mux.streamCount()).isZero();
  }

  @Test
  void destinationClosingBeforeBothFinsIsAReset() {
    DestinationSocket socket = open(1);
    socket.close();
    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.CANCEL));
  }

  // ---- the link ---------------------------------------------------------------------------------

  @Test
  void pingIsAnsweredWithPongOfTheSameBytes() {
    link.writeInbound(new Frame.Ping(0x0123456789ABCDEFL));
    assertThat(next()).isEqualTo(new Frame.Pong(0x0123456789ABCDEFL));
  }

  @Test
  void goAwayFromThePeerClosesTheLinkWhenTheLastStreamEnds() {
    DestinationSocket a = open(1);
    DestinationSocket b = open(3);
    link.writeInbound(new Frame.GoAway(GoawayCode.NORMAL, "bye"));
    assertThat(link.isOpen()).isTrue();

    link.writeInbound(new Frame.Reset(1, ResetCode.CANCEL));
    assertThat(link.isOpen()).isTrue();
    assertThat(b.isOpen()).isTrue();

    link.writeInbound(new Frame.Reset(3, ResetCode.CANCEL));
    assertThat(link.isOpen()).isFalse();
    assertThat(a.isOpen()).isFalse();
  }

  @Test
  void goAwayFromThePeerWithoutStreamsClosesAtOnce() {
    List<GoawayCode> told = new ArrayList<>();
    mux.setGoAwayListener((code, reason) -> told.add(code));
    link.writeInbound(new Frame.GoAway(GoawayCode.KEY_REVOKED, ""));
    assertThat(told).containsExactly(GoawayCode.KEY_REVOKED);
    assertThat(link.isOpen()).isFalse();
  }

  @Test
  void goAwayFromThePeerWithoutStreamsIsNotAnsweredWithAGoAway() {
    // PROTOCOL.md §9: with no stream open, both sides close at once; neither waits for the other.
    link.writeInbound(new Frame.GoAway(GoawayCode.NORMAL, "bye"));
    assertThat(link.isOpen()).isFalse();
    for (Object m; (m = link.readOutbound()) != null; ) {
      assertThat(m)
          .as("written after the peer's GOAWAY")
          .isNotInstanceOf(Frame.class); // the flush marker only
    }
  }

  @Test
  void ourGoAwayWithoutStreamsIsWrittenAndThenTheLinkClosesAtOnce() {
    mux.goAway(GoawayCode.NORMAL, "restarting");
    assertGoAway(GoawayCode.NORMAL);
    assertThat(link.isOpen()).isFalse();
  }

  @Test
  void afterOurGoAwayNewOpensAreRefusedAndTheLinkClosesWithTheLastStream() {
    open(1);
    mux.goAway(GoawayCode.NORMAL, "restarting");
    assertGoAway(GoawayCode.NORMAL);
    assertThat(mux.isUsable()).isFalse();

    link.writeInbound(new Frame.Open(3, TARGET));
    Frame.Refused refused = (Frame.Refused) next();
    assertThat(refused.stream()).isEqualTo(3);
    assertThat(refused.code()).isEqualTo(RefuseCode.SHUTTING_DOWN);
    assertThat(exit.requests).isEmpty();
    assertThat(link.isOpen()).isTrue();

    link.writeInbound(new Frame.Reset(1, ResetCode.CANCEL));
    assertThat(link.isOpen()).isFalse();
  }

  @Test
  void lastStreamEndingCleanlyAfterGoAwaySendsItsFinBeforeTheLinkCloses() {
    DestinationSocket socket = open(1);
    link.writeInbound(new Frame.GoAway(GoawayCode.NORMAL, "bye"));
    link.writeInbound(new Frame.Fin(1));

    socket.sendEof();

    assertThat(next()).isEqualTo(new Frame.Fin(1));
    assertThat(link.isOpen()).isFalse();
  }

  @Test
  void linkCloseResetsEveryStreamsSocket() {
    DestinationSocket a = open(1);
    DestinationSocket b = open(3);
    link.close();
    assertThat(a.isOpen()).isFalse();
    assertThat(b.isOpen()).isFalse();
    assertThat(mux.streamCount()).isZero();
  }

  @Test
  void connectThatCompletesAfterTheLinkClosedIsAborted() {
    link.writeInbound(new Frame.Open(1, TARGET));
    link.close();
    DestinationSocket socket = connect();
    assertThat(socket.isOpen()).isFalse();
  }

  // ---- memory held for a stream (issue 12, item 1)
  // -----------------------------------------------

  /** One record's plaintext as the record layer decrypts it: a pooled direct buffer. */
  private static ByteBuf record(Frame... frames) {
    ByteBuf record = PooledByteBufAllocator.DEFAULT.directBuffer(Frame.MAX_RECORD_PLAINTEXT);
    for (Frame f : frames) {
      FrameCodec.encode(f, record);
      ReferenceCountUtil.release(f);
    }
    return record;
  }

  private void decodeIntoLink(ByteBuf record) throws Exception {
    FrameCodec.decode(record, f -> link.writeInbound(f));
  }

  @Test
  void aOneByteFrameDoesNotPinItsRecord() throws Exception {
    link.writeInbound(new Frame.Open(1, TARGET)); // connecting: its DATA is held
    int padding = Frame.MAX_RECORD_PLAINTEXT - 2 * Frame.HEADER_LENGTH - 1;
    ByteBuf record = record(data(1, "x"), data(99, padding)); // 99: a stream that does not exist

    decodeIntoLink(record);
    record.release(); // as the record layer does once the record is decoded

    assertThat(record.refCnt())
        .as("the record's references after the record layer let go")
        .isZero();
    DestinationSocket socket = connect();
    assertThat(socket.received()).isEqualTo("x");
  }

  @Test
  void aFrameOfLessThanHalfItsRecordDoesNotPinItEither() throws Exception {
    config = config.withInitialWindow(LinkConfig.MIN_WINDOW * 4);
    startLink();
    link.writeInbound(new Frame.Open(1, TARGET));
    int n = Frame.MAX_RECORD_PLAINTEXT / 2 - Frame.HEADER_LENGTH; // too big to be collected
    ByteBuf record =
        record(data(1, n), data(99, Frame.MAX_RECORD_PLAINTEXT - 2 * Frame.HEADER_LENGTH - n));

    decodeIntoLink(record);
    record.release();

    assertThat(record.refCnt())
        .as("the record's references after the record layer let go")
        .isZero();
    assertThat(connect().receivedBytes()).isEqualTo(n);
  }

  @Test
  void aFullFrameIsHeldWithoutACopy() throws Exception {
    config = config.withInitialWindow(LinkConfig.MIN_WINDOW * 4);
    startLink();
    link.writeInbound(new Frame.Open(1, TARGET));
    ByteBuf record = record(data(1, Frame.MAX_DATA));

    decodeIntoLink(record);
    record.release();

    assertThat(record.refCnt()).as("the held frame is a slice of its record: zero-copy").isOne();
    DestinationSocket socket = connect();
    assertThat(socket.receivedBytes()).isEqualTo(Frame.MAX_DATA);
    assertThat(record.refCnt()).isZero();
  }

  @Test
  void oneByteFramesHeldForAStreamShareOneBuffer() {
    budget = new BufferBudget(1 << 20);
    startLink();
    link.writeInbound(new Frame.Open(1, TARGET));
    for (int i = 0; i < 1000; i++) {
      link.writeInbound(data(1, "x"));
    }
    assertThat(budget.used())
        .as("bytes charged for 1000 bytes held")
        .isEqualTo(1000 + BufferBudget.PER_BUFFER);

    DestinationSocket socket = connect();
    assertThat(socket.received()).isEqualTo("x".repeat(1000));
    assertThat(budget.used()).isZero();
  }

  @Test
  void dataForASocketThatTakesNoMoreWaitsInTheStreamAndGoesOutInOrder() {
    DestinationSocket socket = open(1);
    socket.setWritable(false);
    link.writeInbound(
        data(1, "one "), data(1, "two "), data(1, "x".repeat(2000)), new Frame.Fin(1));
    assertThat(socket.received()).isEmpty();
    assertThat(socket.isOutputShutdown()).as("the FIN waits for the bytes before it").isFalse();

    socket.setWritable(true);
    assertThat(socket.received()).isEqualTo("one two " + "x".repeat(2000));
    assertThat(socket.isOutputShutdown()).isTrue();
  }

  @Test
  void earlyDataBeyondTheSocketsOutboundBufferIsAllWrittenOnceConnected() {
    link.writeInbound(new Frame.Open(1, TARGET), data(1, 2000), data(1, 2000), data(1, 2000));
    DestinationSocket socket = socket();
    // Not writable past 2 KiB pending: each write fills it, each flush empties it at once.
    socket.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
    exit.requests.poll().callback().connected(socket, BOUND);
    assertThat(socket.receivedBytes()).isEqualTo(6000);
  }

  @Test
  void aLinkOverItsShareOfASpentBudgetLosesItsStreamsAndAnotherLinkKeepsGoing() {
    budget = new BufferBudget(24 * 1024); // two links: 12 KiB each
    startLink();
    Mux otherMux = newMux(exit);
    EmbeddedChannel other = new EmbeddedChannel(otherMux);
    try {
      other
          .pipeline()
          .fireUserEventTriggered(
              new LinkEstablished(
                  LinkEstablished.Role.SERVER, Suite.AESGCM, "bob", new byte[32], WINDOW, 2));
      link.writeInbound(new Frame.Open(1, TARGET), new Frame.Open(3, TARGET));
      other.writeInbound(new Frame.Open(1, TARGET));

      link.writeInbound(data(1, WINDOW)); // within the budget, if over its share: accepted
      assertNoFrame();
      link.writeInbound(data(3, WINDOW / 2)); // past the budget and over its share: refused
      assertThat(next()).isEqualTo(new Frame.Reset(3, ResetCode.INTERNAL));
      assertThat(budget.used()).isEqualTo(WINDOW + BufferBudget.PER_BUFFER);

      other.writeInbound(data(1, WINDOW / 2)); // past the budget, within its share: accepted ...
      assertThat((Object) other.readOutbound()).isNull();
      link.runPendingTasks(); // ... and the link over its share sheds on its own loop
      assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.INTERNAL));
      assertThat(budget.used()).isEqualTo(WINDOW / 2 + BufferBudget.PER_BUFFER);
      assertThat(link.isOpen()).as("its link stays").isTrue();
    } finally {
      other.finishAndReleaseAll();
    }
    assertThat(budget.used()).as("all given back once the links closed").isZero();
  }

  @Test
  void everythingChargedIsGivenBackWhenTheLinkCloses() {
    budget = new BufferBudget(1 << 20);
    startLink();
    DestinationSocket writing = open(1);
    writing.holdWrites(); // written, not yet done
    link.writeInbound(data(1, 4000));
    link.writeInbound(new Frame.Open(3, TARGET), data(3, "held"), data(3, 3000));
    assertThat(budget.used()).isEqualTo(4000 + 4 + 3000 + 3 * BufferBudget.PER_BUFFER);

    link.close();
    assertThat(budget.used()).isZero();
  }

  // ---- the client side --------------------------------------------------------------------------

  @Test
  void clientOpenSendsOpenAndReadsOnlyAfterOpened() {
    startLink(LinkEstablished.Role.CLIENT, null);
    DestinationSocket app = socket().onLoop(link.eventLoop());
    List<Destination> opened = new ArrayList<>();
    mux.open(
        TARGET,
        app,
        new StreamListener() {
          @Override
          public void onOpened(Destination bound) {
            opened.add(bound);
          }

          @Override
          public void onRefused(RefuseCode code, String reason) {}
        },
        false);

    assertThat(next()).isEqualTo(new Frame.Open(1, TARGET));
    assertThat(app.reads).isZero();

    link.writeInbound(new Frame.Opened(1, BOUND));
    assertThat(opened).containsExactly(BOUND);
    assertThat(app.reads).isEqualTo(1);
  }

  @Test
  void zeroRttOpenIsFlushedAfterTheNextLoopTurnSoThatItsFirstBytesShareItsRecord() {
    startLink(LinkEstablished.Role.CLIENT, null);
    mux.open(TARGET, socket().onLoop(link.eventLoop()), (code, reason) -> {}, true);
    assertNoFrame(); // written, not flushed: the socket's first read may join it
    link.runScheduledPendingTasks(); // the turn that accepted the socket ends
    assertNoFrame();
    link.runScheduledPendingTasks(); // the next turn read what the socket had: nothing here
    assertThat(next()).isEqualTo(new Frame.Open(1, TARGET));
  }

  @Test
  void openWithoutZeroRttIsFlushedAtOnce() {
    startLink(LinkEstablished.Role.CLIENT, null);
    mux.open(TARGET, socket().onLoop(link.eventLoop()), (code, reason) -> {}, false);
    assertThat(next()).isEqualTo(new Frame.Open(1, TARGET));
  }

  /** Runs the mux's flushes that wait for the loop's next turns (zero-RTT OPENs). */
  private void runLoopTurns() {
    link.runScheduledPendingTasks();
    link.runScheduledPendingTasks();
  }

  @Test
  void clientOpenPastThePeersMaxStreamsIsRefusedLocally() {
    startLink(LinkEstablished.Role.CLIENT, null); // the peer allows 2
    List<RefuseCode> refused = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      mux.open(
          TARGET, socket().onLoop(link.eventLoop()), (code, reason) -> refused.add(code), true);
    }
    runLoopTurns();
    assertThat(next()).isEqualTo(new Frame.Open(1, TARGET));
    assertThat(next()).isEqualTo(new Frame.Open(3, TARGET));
    assertNoFrame();
    assertThat(refused).containsExactly(RefuseCode.TOO_MANY_STREAMS);
  }

  @Test
  void clientStreamRefusedByTheServerTellsTheListenerAndClosesTheSocket() {
    startLink(LinkEstablished.Role.CLIENT, null);
    DestinationSocket app = socket().onLoop(link.eventLoop());
    List<String> refused = new ArrayList<>();
    mux.open(TARGET, app, (code, reason) -> refused.add(code + " " + reason), false);
    next();

    link.writeInbound(new Frame.Refused(1, RefuseCode.HOST_UNREACHABLE, "no such host"));

    assertThat(refused).containsExactly("HOST_UNREACHABLE no such host");
    assertThat(app.isOpen()).isFalse();
    assertThat(mux.streamCount()).isZero();
  }

  @Test
  void clientOpenRefusesASocketOfAnotherLoop() {
    startLink(LinkEstablished.Role.CLIENT, null);
    DestinationSocket app = socket(); // its own EmbeddedEventLoop
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> mux.open(TARGET, app, (code, reason) -> {}, false))
        .isInstanceOf(IllegalStateException.class);
  }

  // ---- streams decided on their first bytes (PROTOCOL.md §6.1)
  // ------------------------------------

  /** The exit's side of a waiting stream, scripted: records what the mux showed it. */
  static final class RecordingJudge implements Exit.Judge {
    final List<String> seen = new ArrayList<>();
    final List<Boolean> viewWasDirect = new ArrayList<>();
    int ended;

    @Override
    public void onFirstBytes(Exit.HeldBytes held) {
      java.nio.ByteBuffer v = held.view();
      viewWasDirect.add(v.isDirect());
      byte[] b = new byte[v.remaining()];
      v.duplicate().get(b);
      seen.add(
          new String(b, StandardCharsets.ISO_8859_1)
              + (held.fin() ? "|fin" : "")
              + (held.full() ? "|full" : ""));
    }

    @Override
    public void onStreamEnd() {
      ended++;
    }
  }

  private Exit.HeldBytes await(RecordingJudge judge, int maxBytes) {
    return exit.requests.peek().callback().awaitFirstBytes(BOUND, maxBytes, judge);
  }

  @Test
  void aWaitingStreamIsOpenedAtOnceAndItsDataHeldWithoutCredit() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    Exit.HeldBytes held = await(judge, WINDOW);
    assertThat(next()).isEqualTo(new Frame.Opened(1, BOUND));
    assertThat(held.size()).isZero();

    link.writeInbound(data(1, "\u0016\u0003\u0001"));
    link.writeInbound(data(1, 10_000));
    assertThat(judge.seen).hasSize(2);
    assertThat(judge.seen.get(0)).isEqualTo("\u0016\u0003\u0001");
    assertThat(held.size()).isEqualTo(10_003);
    assertNoFrame(); // no WINDOW for held bytes, and nothing else either
    assertThat(mux.streamCount()).isEqualTo(1);
  }

  @Test
  void theJudgeLooksOncePerReadOfTheLinkHoweverManyFramesItHeld() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    next();
    Frame[] oneByteEach = new Frame[100];
    for (int i = 0; i < oneByteEach.length; i++) {
      oneByteEach[i] = data(1, "x");
    }
    link.writeInbound((Object[]) oneByteEach);
    assertThat(judge.seen).containsExactly("x".repeat(100));
  }

  @Test
  void onAcceptanceTheHeldBuffersGoToTheSocketAsTheyWereReceivedThenTheStreamGoesOn() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    assertThat(next()).isEqualTo(new Frame.Opened(1, BOUND));
    ByteBuf big = Unpooled.directBuffer(2000).writeZero(2000);
    link.writeInbound(new Frame.Data(1, big));
    assertThat(judge.viewWasDirect)
        .as("the judge read the held buffer itself, not a copy")
        .containsExactly(true);

    DestinationSocket socket = socket();
    exit.requests.poll().callback().connected(socket, BOUND);

    ByteBuf written = socket.readOutbound();
    assertThat(written).as("the very buffer received, not a copy").isSameAs(big);
    written.release();
    assertNoFrame(); // no second OPENED
    assertThat(socket.reads).as("the destination is read once connected").isEqualTo(1);
    link.writeInbound(data(1, "more"));
    assertThat(socket.received()).isEqualTo("more");
    assertThat(judge.ended).as("an exit that answered is not told of the end").isZero();
  }

  @Test
  void aFinBeforeTheDecisionIsFinalInputAndShutsTheOutputAfterTheHeldBytes() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    next();
    link.writeInbound(data(1, "GET / HTTP/1.0\r\n\r\n"));
    link.writeInbound(new Frame.Fin(1));
    assertThat(judge.seen).containsExactly("GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\n\r\n|fin");

    DestinationSocket socket = socket();
    exit.requests.poll().callback().connected(socket, BOUND);
    assertThat(socket.received()).isEqualTo("GET / HTTP/1.0\r\n\r\n");
    assertThat(socket.isOutputShutdown()).isTrue();
  }

  @Test
  void theJudgeSeesAtMostTheByteBoundAndIsToldWhenItIsReached() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    Exit.HeldBytes held = await(judge, 8);
    next();
    link.writeInbound(data(1, "12345"));
    link.writeInbound(data(1, "6789abc"));
    assertThat(judge.seen).containsExactly("12345", "12345678|full");
    assertThat(held.size()).isEqualTo(12);
  }

  @Test
  void bytesSplitOverSeveralBuffersAreShownWhole() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    next();
    // A large payload is kept as it came; a small one after it starts a collecting buffer.
    link.writeInbound(
        new Frame.Data(1, Unpooled.copiedBuffer("a".repeat(1500), StandardCharsets.US_ASCII)));
    link.writeInbound(data(1, "tail"));
    assertThat(judge.seen.get(1)).isEqualTo("a".repeat(1500) + "tail");
  }

  @Test
  void refusalOnTheFirstBytesResetsWithCode05AndFreesTheHeldBytes() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    next();
    ByteBuf banner = Unpooled.directBuffer(2000).writeZero(2000);
    link.writeInbound(new Frame.Data(1, banner));

    exit.requests.poll().callback().reset(ResetCode.POLICY);

    assertThat(next()).isEqualTo(new Frame.Reset(1, ResetCode.POLICY));
    assertThat(banner.refCnt()).isZero();
    assertThat(mux.streamCount()).isZero();
    assertThat(judge.ended).isZero();
  }

  @Test
  void aStreamTheClientResetsWhileItWaitsTellsTheJudgeAndFreesTheHeldBytes() {
    link.writeInbound(new Frame.Open(1, TARGET));
    RecordingJudge judge = new RecordingJudge();
    await(judge, WINDOW);
    next();
    ByteBuf start = Unpooled.directBuffer(2000).writeZero(2000);
    link.writeInbound(new Frame.Data(1, start), new Frame.Reset(1, ResetCode.CANCEL));

    assertThat(judge.ended).isEqualTo(1);
    assertThat(start.refCnt()).isZero();
    assertThat(mux.streamCount()).isZero();
    // A connect that completes afterwards gets its socket closed, and nothing goes on the wire.
    DestinationSocket late = socket();
    exit.requests.poll().callback().connected(late, BOUND);
    assertThat(late.aborted()).isTrue();
    assertNoFrame();
  }

  @Test
  void aWaitingStreamNoLongerCountsAsAnOpenPendingItsConnect() {
    config = config.withMaxPendingOpens(1);
    startLink();
    link.writeInbound(new Frame.Open(1, TARGET));
    await(new RecordingJudge(), WINDOW);
    next();
    link.writeInbound(new Frame.Open(3, TARGET)); // would be refused if stream 1 still counted
    assertThat(exit.requests).hasSize(2);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** OPEN {@code id}, let the exit connect it, and check the OPENED. */
  private DestinationSocket open(int id) {
    link.writeInbound(new Frame.Open(id, TARGET));
    DestinationSocket socket = connect();
    assertThat(next()).isEqualTo(new Frame.Opened(id, BOUND));
    return socket;
  }

  /** The exit connects its oldest pending open. */
  private DestinationSocket connect() {
    ScriptedExit.Request r = exit.requests.poll();
    assertThat(r).as("a pending open").isNotNull();
    DestinationSocket socket = socket();
    r.callback().connected(socket, BOUND);
    return socket;
  }

  private DestinationSocket socket() {
    DestinationSocket s = new DestinationSocket();
    sockets.add(s);
    return s;
  }

  /** The next frame the mux wrote to the peer. */
  private Frame next() {
    Object m = link.readOutbound();
    assertThat(m).as("a frame from the mux").isInstanceOf(Frame.class);
    return (Frame) m;
  }

  private void assertNoFrame() {
    Object m = link.readOutbound();
    if (m instanceof Frame.Data d) {
      d.release();
    }
    assertThat(m).as("frame from the mux").isNull();
  }

  private void assertGoAway(GoawayCode code) {
    Frame f = next();
    assertThat(f).isInstanceOf(Frame.GoAway.class);
    assertThat(((Frame.GoAway) f).code()).isEqualTo(code);
  }

  private static int dataBytes(Frame f) {
    assertThat(f).isInstanceOf(Frame.Data.class);
    Frame.Data d = (Frame.Data) f;
    int n = d.payload().readableBytes();
    d.release();
    return n;
  }

  private static String dataText(Frame f) {
    assertThat(f).isInstanceOf(Frame.Data.class);
    Frame.Data d = (Frame.Data) f;
    String s = d.payload().toString(StandardCharsets.US_ASCII);
    d.release();
    return s;
  }

  private static Frame.Data data(int stream, String s) {
    return new Frame.Data(stream, Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
  }

  private static Frame.Data data(int stream, int bytes) {
    return new Frame.Data(stream, Unpooled.wrappedBuffer(new byte[bytes]));
  }
}
