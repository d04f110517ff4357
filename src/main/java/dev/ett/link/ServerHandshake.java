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
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * The server's side of the handshake (PROTOCOL.md §4, server steps 3-6). Before the client has
 * proven an authorized key nothing is ever written: every failure closes silently ("silence is a
 * virtue", wireguard-go). The deadline and the preamble are handled by the pipeline around it.
 */
public final class ServerHandshake extends ChannelInboundHandlerAdapter {
  private enum State {
    AWAIT_PREAMBLE,
    AWAIT_INITIATION,
    DONE,
    CLOSED
  }

  /** What the server knows of an authorized client key. */
  public interface Authorizer extends Function<byte[], Optional<String>> {}

  private final KeyPair serverKey;
  private final Authorizer authorizer;
  private final ReplayGuard replay;
  private final LinkConfig config;
  private final Runnable onFinished;
  private State state = State.AWAIT_PREAMBLE;
  private Suite suite;
  private byte[] preamble;

  /**
   * @param onFinished runs once when the handshake ends either way (the server counts unfinished
   *     handshakes).
   */
  public ServerHandshake(
      KeyPair serverKey, Authorizer authorizer, ReplayGuard replay, LinkConfig config, Runnable onFinished) {
    this.serverKey = serverKey;
    this.authorizer = authorizer;
    this.replay = replay;
    this.config = config;
    this.onFinished = onFinished;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // A connection that has not finished its handshake by the deadline is closed, silently.
    ctx.executor()
        .schedule(
            () -> {
              if (state != State.DONE) {
                close(ctx);
              }
            },
            config.handshakeTimeout().toMillis(),
            java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Called by the {@link PreambleDecoder} before any record arrives. */
  public void onPreamble(PreambleDecoder.PreambleResult p) {
    if (state != State.AWAIT_PREAMBLE) {
      throw new IllegalStateException("preamble in state " + state);
    }
    suite = p.suite();
    preamble = p.preamble();
    state = State.AWAIT_INITIATION;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf record = (ByteBuf) msg;
    try {
      if (state != State.AWAIT_INITIATION) {
        close(ctx);
        return;
      }
      consumeMessageInitiation(ctx, ByteBufUtil.getBytes(record));
    } finally {
      ReferenceCountUtil.release(record);
    }
  }

  private void consumeMessageInitiation(ChannelHandlerContext ctx, byte[] msg1) {
    HandshakeState hs =
        HandshakeState.responder(
            NoiseProtocol.parse(suite.noiseName), Preamble.prologue(preamble), serverKey, null, null);
    try {
      byte[] p1;
      try {
        p1 = hs.readMessage(msg1);
      } catch (NoiseException e) {
        close(ctx); // garbage, a bad MAC, or meant for another server key
        return;
      }
      byte[] clientKey = hs.remoteStaticKey();
      Optional<String> name = authorizer.apply(clientKey);
      if (name.isEmpty() || p1.length < Tai64n.LENGTH + 4) {
        close(ctx);
        return;
      }
      // "the server refuses a replayed or older [timestamp] per client key"
      if (!replay.accept(clientKey, Arrays.copyOf(p1, Tai64n.LENGTH))) {
        close(ctx);
        return;
      }
      // PROTOCOL.md §4: the window is a u32 in MIN_WINDOW..2^31-1; outside it, close silently
      // (no transport keys yet, so no GOAWAY can be sent).
      long peerWindow = Integer.toUnsignedLong(ByteBuffer.wrap(p1, Tai64n.LENGTH, 4).getInt());
      if (!LinkConfig.validWindow(peerWindow)) {
        close(ctx);
        return;
      }
      ByteBuffer p2 = ByteBuffer.allocate(12);
      p2.putInt(config.initialWindow());
      p2.putInt(config.maxStreams());
      p2.putInt(config.maxPendingOpens());
      byte[] msg2;
      try {
        msg2 = hs.writeMessage(p2.array());
      } catch (NoiseException e) {
        throw new IllegalStateException("writing message 2", e);
      }
      state = State.DONE;
      onFinished.run();
      var transport = hs.split();
      RecordLayer records =
          new RecordLayer(LinkEstablished.Role.SERVER, transport.sender(), transport.receiver(), hs.chainingKey(), config);
      ctx.writeAndFlush(Records.frame(ctx.alloc(), msg2));
      ctx.pipeline().replace(this, "records", records);
      records.userEventFromHandshake(
          new LinkEstablished(
              LinkEstablished.Role.SERVER, suite, name.get(), clientKey, (int) peerWindow, config.maxStreams()));
    } finally {
      hs.destroy();
    }
  }

  private void close(ChannelHandlerContext ctx) {
    if (state != State.CLOSED && state != State.DONE) {
      state = State.CLOSED;
      onFinished.run();
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (state != State.CLOSED && state != State.DONE) {
      state = State.CLOSED;
      onFinished.run();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    close(ctx); // before authentication: no reply, no stack trace
  }
}
