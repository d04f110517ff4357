package dev.ett.link;

import dev.ett.noise.HandshakeState;
import dev.ett.noise.KeyPair;
import dev.ett.noise.NoiseException;
import dev.ett.noise.NoiseProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The client's side of the handshake (PROTOCOL.md §4, client steps). Sends the preamble and message
 * 1 when the connection becomes active, reads message 2, then replaces itself with a {@link
 * RecordLayer} and fires {@link LinkEstablished}. Any failure fires a {@link
 * HandshakeFailedException} and closes.
 */
public final class ClientHandshake extends ChannelInboundHandlerAdapter {
  private enum State {
    NEW,
    SENT_INITIATION,
    DONE,
    FAILED
  }

  private final Suite suite;
  private final KeyPair clientKey;
  private final byte[] serverKey;
  private final LinkConfig config;
  private HandshakeState handshake;
  private State state = State.NEW;
  private ScheduledFuture<?> deadline;
  private long sentAtNanos;

  public ClientHandshake(Suite suite, KeyPair clientKey, byte[] serverKey, LinkConfig config) {
    this.suite = suite;
    this.clientKey = clientKey;
    this.serverKey = serverKey.clone();
    this.config = config;
  }

  /**
   * Test-only (through {@code LinkFuzzing}): a handshake that has already sent message 1 as {@code
   * afterMessage1}, so that a fuzz target pays only for reading message 2.
   */
  ClientHandshake(Suite suite, byte[] serverKey, LinkConfig config, HandshakeState afterMessage1) {
    this(suite, null, serverKey, config);
    this.handshake = afterMessage1;
    this.state = State.SENT_INITIATION;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (state == State.NEW) {
      createMessageInitiation(ctx);
    } else {
      scheduleDeadline(ctx);
    }
    super.channelActive(ctx);
  }

  private void createMessageInitiation(ChannelHandlerContext ctx) throws NoiseException {
    if (state != State.NEW) {
      throw new IllegalStateException("initiation in state " + state);
    }
    byte[] preamble = Preamble.encode(suite);
    handshake = initiator(suite, clientKey, serverKey);
    byte[] msg1 = writeMessage1(handshake, config);
    ByteBuf out = ctx.alloc().buffer(Preamble.LENGTH + 2 + msg1.length);
    out.writeBytes(preamble);
    out.writeShort(msg1.length);
    out.writeBytes(msg1);
    ctx.writeAndFlush(out);
    state = State.SENT_INITIATION;
    scheduleDeadline(ctx);
  }

  /** Client step 1: the initiator's state, with the preamble bound in as the prologue. */
  static HandshakeState initiator(Suite suite, KeyPair clientKey, byte[] serverKey) {
    return HandshakeState.initiator(
        NoiseProtocol.parse(suite.noiseName),
        Preamble.prologue(Preamble.encode(suite)),
        clientKey,
        serverKey,
        null);
  }

  /** Client steps 2-3: message 1, its payload the current timestamp and our initial window. */
  static byte[] writeMessage1(HandshakeState handshake, LinkConfig config) throws NoiseException {
    ByteBuffer p1 = ByteBuffer.allocate(Tai64n.LENGTH + 4);
    p1.put(Tai64n.next()); // strictly increasing: several links may start at once
    p1.putInt(config.initialWindow());
    return handshake.writeMessage(p1.array());
  }

  private void scheduleDeadline(ChannelHandlerContext ctx) {
    sentAtNanos = System.nanoTime();
    deadline =
        ctx.executor()
            .schedule(
                () ->
                    fail(
                        ctx,
                        "handshake failed: no handshake answer within "
                            + text(config.handshakeTimeout())),
                config.handshakeTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf record = (ByteBuf) msg;
    try {
      if (state != State.SENT_INITIATION) {
        return; // after a failure: drop whatever else arrives
      }
      consumeMessageResponse(ctx, ByteBufUtil.getBytes(record));
    } finally {
      ReferenceCountUtil.release(record);
    }
  }

  private void consumeMessageResponse(ChannelHandlerContext ctx, byte[] msg2) {
    byte[] p2;
    try {
      p2 = handshake.readMessage(msg2);
    } catch (NoiseException e) {
      fail(ctx, "handshake failed: the server did not prove it holds the pinned key");
      return;
    }
    if (p2.length < 8) {
      fail(ctx, "handshake failed: response payload of " + p2.length + " bytes (expected: >= 8)");
      return;
    }
    // PROTOCOL.md §4, P2: three u32. The window is in MIN_WINDOW..2^31-1 and max streams in
    // 1..2^31-1, or the handshake fails; max pending opens of 0 (or absent) means "not paced", and
    // above 2^31-1 it is no limit either.
    ByteBuffer b = ByteBuffer.wrap(p2);
    long peerWindow = Integer.toUnsignedLong(b.getInt());
    long peerMaxStreams = Integer.toUnsignedLong(b.getInt());
    long pendingOpens = b.remaining() >= 4 ? Integer.toUnsignedLong(b.getInt()) : 0;
    int peerMaxPendingOpens = pendingOpens > Integer.MAX_VALUE ? 0 : (int) pendingOpens;
    int peerFeatures = b.remaining() >= 4 ? b.getInt() : 0; // absent in older servers: none
    if (!LinkConfig.validWindow(peerWindow)) {
      fail(
          ctx,
          "handshake failed: server window "
              + peerWindow
              + " (expected: "
              + LinkConfig.MIN_WINDOW
              + "~"
              + LinkConfig.MAX_WINDOW
              + ")");
      return;
    }
    if (peerMaxStreams < 1 || peerMaxStreams > Integer.MAX_VALUE) {
      fail(
          ctx,
          "handshake failed: server max streams "
              + peerMaxStreams
              + " (expected: 1~"
              + Integer.MAX_VALUE
              + ")");
      return;
    }
    state = State.DONE;
    deadline.cancel(false);
    var transport = handshake.split();
    RecordLayer records =
        new RecordLayer(
            LinkEstablished.Role.CLIENT,
            transport.sender(),
            transport.receiver(),
            transport.takeChainingKey(),
            config);
    handshake.destroy();
    ctx.pipeline().replace(this, "records", records);
    records.userEventFromHandshake(
        LinkEstablished.client(
            suite,
            serverKey,
            (int) peerWindow,
            (int) peerMaxStreams,
            peerMaxPendingOpens,
            peerFeatures));
  }

  private void fail(ChannelHandlerContext ctx, String why) {
    if (state == State.DONE || state == State.FAILED) {
      return;
    }
    state = State.FAILED;
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (handshake != null) {
      handshake.destroy();
    }
    ctx.fireExceptionCaught(new HandshakeFailedException(why));
    ctx.close();
  }

  /**
   * The server closes silently for every reason it has (unknown key, wrong server key, a replay,
   * too many handshakes at once): say what we saw and leave the why to the server's log.
   */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    String after =
        state == State.SENT_INITIATION
            ? ", "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAtNanos)
                + " ms after our first message"
            : "";
    fail(
        ctx,
        "handshake failed: connection closed before the handshake finished"
            + after
            + "; the server's log says why");
    super.channelInactive(ctx);
  }

  /** {@code 10 s}, {@code 1.5 s}, {@code 250 ms}. */
  static String text(java.time.Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }
}
