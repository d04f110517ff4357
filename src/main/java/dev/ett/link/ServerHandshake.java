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
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The server's side of the handshake (PROTOCOL.md §4, server steps 1-7). Before the client has
 * proven an authorized key nothing is ever written: every failure closes silently ("silence is a
 * virtue", wireguard-go), and is reported to the {@link Outcome} with its cause, for the log.
 *
 * <p>The handshake ends only with key confirmation: message 2 goes to anyone who replays an
 * authorized client's message 1 (a restarted server's replay guard is empty), so the link is taken
 * up only when the client's first transport record authenticates. Until then the record layer sits
 * below this handler and holds back {@link LinkEstablished}; this handler passes it on, reports
 * {@link Outcome#confirmed} and steps aside. Its deadlines cover the whole way: the preamble within
 * {@link #SILENT_TIMEOUT}, everything up to that first record within the handshake timeout.
 */
public final class ServerHandshake extends ChannelInboundHandlerAdapter {
  /**
   * A connection that has not sent its preamble by then is closed (our choice). A client sends the
   * preamble and message 1 as soon as TCP is up, so this is only the time to a first segment, with
   * room for two retransmissions; idle connections then hold a slot for 3 s, not the 10 s of a
   * whole handshake (issue 12, item 3).
   */
  public static final Duration SILENT_TIMEOUT = Duration.ofSeconds(3);

  /**
   * The most static keys a server holds at once (our choice). Message 1 is encrypted to one of them
   * and does not say which, so each is tried in turn: every key before the right one costs one
   * Diffie-Hellman operation (es) and a failed AEAD on the client's static key, and a message 1
   * that matches none (garbage) costs one per key. Four keeps that within 4x the cost of a
   * single-key server's garbage, and is two more than a rotation needs.
   */
  public static final int MAX_KEYS = 4;

  private enum State {
    AWAIT_PREAMBLE,
    AWAIT_INITIATION,
    /** Message 2 sent; waiting for the client's first record to authenticate. */
    AWAIT_CONFIRMATION,
    DONE,
    CLOSED
  }

  /** What the server knows of an authorized client key. */
  public interface Authorizer extends Function<byte[], Optional<String>> {}

  /** How a handshake ended: exactly one of the two is called, once. */
  public interface Outcome {
    /** The client's first record authenticated: the link is up. */
    void confirmed();

    /** The connection was closed (silently) before that. */
    void rejected(HandshakeRejection why);
  }

  /**
   * The server's static keys, at most {@link #MAX_KEYS}: one, or two or more while the operator
   * rotates. Read once per handshake, so a reload changes the keys of the next handshakes only.
   */
  private final Supplier<List<KeyPair>> serverKeys;

  private final Authorizer authorizer;
  private final ReplayGuard replay;
  private final LinkConfig config;
  private final Outcome outcome;
  private State state = State.AWAIT_PREAMBLE;
  private Suite suite;
  private byte[] preamble;

  /**
   * @param onFinished runs once when the handshake ends either way (the server counts unfinished
   *     handshakes).
   */
  public ServerHandshake(
      KeyPair serverKey,
      Authorizer authorizer,
      ReplayGuard replay,
      LinkConfig config,
      Runnable onFinished) {
    this(
        serverKey,
        authorizer,
        replay,
        config,
        new Outcome() {
          @Override
          public void confirmed() {
            onFinished.run();
          }

          @Override
          public void rejected(HandshakeRejection why) {
            onFinished.run();
          }
        });
  }

  public ServerHandshake(
      KeyPair serverKey,
      Authorizer authorizer,
      ReplayGuard replay,
      LinkConfig config,
      Outcome outcome) {
    this(() -> List.of(serverKey), authorizer, replay, config, outcome);
  }

  /**
   * @param serverKeys the keys a client may have pinned, tried in order (the one most clients pin
   *     first saves them a Diffie-Hellman operation); 1 to {@link #MAX_KEYS}
   */
  public ServerHandshake(
      Supplier<List<KeyPair>> serverKeys,
      Authorizer authorizer,
      ReplayGuard replay,
      LinkConfig config,
      Outcome outcome) {
    this.serverKeys = serverKeys;
    this.authorizer = authorizer;
    this.replay = replay;
    this.config = config;
    this.outcome = outcome;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Duration whole = config.handshakeTimeout();
    Duration silent = SILENT_TIMEOUT.compareTo(whole) < 0 ? SILENT_TIMEOUT : whole;
    ctx.executor()
        .schedule(
            () -> {
              if (state == State.AWAIT_PREAMBLE) {
                reject(ctx, HandshakeRejection.SILENT);
              }
            },
            silent.toMillis(),
            TimeUnit.MILLISECONDS);
    // A connection that has not finished its handshake by the deadline is closed, silently.
    ctx.executor()
        .schedule(
            () -> {
              switch (state) {
                case AWAIT_PREAMBLE -> reject(ctx, HandshakeRejection.SILENT);
                case AWAIT_INITIATION -> reject(ctx, HandshakeRejection.TIMEOUT);
                case AWAIT_CONFIRMATION -> reject(ctx, HandshakeRejection.UNCONFIRMED);
                case DONE, CLOSED -> {}
              }
            },
            whole.toMillis(),
            TimeUnit.MILLISECONDS);
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
        // A second record before message 2 was sent, or a frame before the record layer fired
        // LinkEstablished (it fires it first): neither happens with a real client.
        reject(
            ctx,
            state == State.AWAIT_CONFIRMATION
                ? HandshakeRejection.UNCONFIRMED
                : HandshakeRejection.GARBAGE);
        return;
      }
      consumeMessageInitiation(ctx, ByteBufUtil.getBytes(record));
    } finally {
      ReferenceCountUtil.release(record);
    }
  }

  private void consumeMessageInitiation(ChannelHandlerContext ctx, byte[] msg1) {
    List<KeyPair> keys = serverKeys.get();
    if (keys.isEmpty() || keys.size() > MAX_KEYS) {
      throw new IllegalStateException("server keys: " + keys.size() + " (expected: 1~" + MAX_KEYS);
    }
    // Message 1 does not say which of our keys the client pinned: try each. With the wrong one,
    // es gives another key and the AEAD over the client's static key fails, so at most one reads
    // it.
    HandshakeState hs = null;
    KeyPair used = null;
    byte[] p1 = null;
    for (KeyPair k : keys) {
      HandshakeState attempt =
          HandshakeState.responder(
              NoiseProtocol.parse(suite.noiseName), Preamble.prologue(preamble), k, null, null);
      try {
        p1 = attempt.readMessage(msg1);
        hs = attempt;
        used = k;
        break;
      } catch (NoiseException e) {
        attempt.destroy(); // garbage, a bad MAC, or meant for another of our keys
      }
    }
    if (hs == null) {
      reject(ctx, HandshakeRejection.GARBAGE);
      return;
    }
    try {
      byte[] clientKey = hs.remoteStaticKey();
      Optional<String> name = authorizer.apply(clientKey);
      if (name.isEmpty()) {
        reject(ctx, HandshakeRejection.UNKNOWN_KEY);
        return;
      }
      if (p1.length < Tai64n.LENGTH + 4) {
        reject(ctx, HandshakeRejection.GARBAGE);
        return;
      }
      // Step 5: a timestamp older than the window, or message 1's ephemeral already accepted, is
      // a replay ("Replays": several links under one key may start at the same instant).
      if (!replay.accept(
          clientKey,
          Arrays.copyOf(p1, Tai64n.LENGTH),
          Arrays.copyOf(msg1, ReplayGuard.EPHEMERAL_LENGTH))) {
        reject(ctx, HandshakeRejection.REPLAY);
        return;
      }
      // PROTOCOL.md §4: the window is a u32 in MIN_WINDOW..2^31-1; outside it, close silently
      // (no transport keys yet, so no GOAWAY can be sent).
      long peerWindow = Integer.toUnsignedLong(ByteBuffer.wrap(p1, Tai64n.LENGTH, 4).getInt());
      if (!LinkConfig.validWindow(peerWindow)) {
        reject(ctx, HandshakeRejection.GARBAGE);
        return;
      }
      ByteBuffer p2 = ByteBuffer.allocate(16);
      p2.putInt(config.initialWindow());
      p2.putInt(config.maxStreams());
      p2.putInt(config.maxPendingOpens());
      p2.putInt(LinkEstablished.FEATURES); // PROTOCOL.md §4: reverse forwarding (§10)
      byte[] msg2;
      try {
        msg2 = hs.writeMessage(p2.array());
      } catch (NoiseException e) {
        throw new IllegalStateException("writing message 2", e);
      }
      state = State.AWAIT_CONFIRMATION;
      var transport = hs.split();
      RecordLayer records =
          new RecordLayer(
              LinkEstablished.Role.SERVER,
              transport.sender(),
              transport.receiver(),
              transport.takeChainingKey(),
              config);
      ctx.writeAndFlush(Records.frame(ctx.alloc(), msg2));
      // Step 7: the record layer goes below us and holds LinkEstablished back until the client's
      // first record authenticates; userEventTriggered below then takes the link up.
      ctx.pipeline().addBefore(ctx.name(), "records", records);
      records.userEventFromHandshake(
          LinkEstablished.server(
              suite,
              name.get(),
              clientKey,
              (int) peerWindow,
              config.maxStreams(),
              used.publicKey()));
    } finally {
      hs.destroy();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof LinkEstablished && state == State.AWAIT_CONFIRMATION) {
      state = State.DONE;
      outcome.confirmed();
      ctx.fireUserEventTriggered(evt);
      ctx.pipeline().remove(this);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** Closes silently, and says why to the outcome (once). */
  private void reject(ChannelHandlerContext ctx, HandshakeRejection why) {
    if (state != State.CLOSED && state != State.DONE) {
      state = State.CLOSED;
      outcome.rejected(why);
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (state != State.CLOSED && state != State.DONE) {
      HandshakeRejection why =
          state == State.AWAIT_CONFIRMATION
              ? HandshakeRejection.UNCONFIRMED
              : HandshakeRejection.CLOSED;
      state = State.CLOSED;
      outcome.rejected(why);
    }
    super.channelInactive(ctx);
  }

  /**
   * Before authentication: no reply, no stack trace, nothing passed on. A reset is the peer
   * leaving; a record that fails to authenticate after message 2 is a failed key confirmation;
   * anything else (a bad preamble, a record too long) is not a handshake.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    HandshakeRejection why =
        state == State.AWAIT_CONFIRMATION
            ? HandshakeRejection.UNCONFIRMED
            : cause instanceof java.io.IOException
                ? HandshakeRejection.CLOSED
                : HandshakeRejection.GARBAGE;
    reject(ctx, why);
  }
}
