package dev.ett.link;

import dev.ett.noise.CipherState;
import dev.ett.noise.KeyPair;
import dev.ett.noise.NoiseException;
import dev.ett.noise.X25519;
import dev.ett.wire.Frame;
import dev.ett.wire.FrameCodec;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The transport half of a link (PROTOCOL.md §3, §5, §7): decrypts records into frames going up the
 * pipeline, and packs frames coming down into records, several per record, sealed on flush or when
 * full. It owns the cipher states, so it also runs the key schedule: REKEY by volume and KEYX for
 * fresh ephemeral keys. The layers above see only stream and link frames.
 *
 * <p>A record that fails to decrypt means the bytes were changed on the way: the link is closed at
 * once, and no frame of that record goes up.
 */
public final class RecordLayer extends ChannelDuplexHandler {
  private enum KeyxState {
    IDLE,
    /** Client: sent KEYX, waiting for the server's. */
    SENT,
    /** Server: answered KEYX, waiting for KEYX_DONE. */
    AWAIT_DONE
  }

  private final LinkEstablished.Role role;
  private final LinkConfig config;
  private CipherState sender;
  private CipherState receiver;
  private byte[] linkSecret;
  private long sentUnderKey;

  private KeyxState keyx = KeyxState.IDLE;
  private KeyPair keyxEphemeral;
  private CipherState nextReceiver;
  private ScheduledFuture<?> keyxTimer;
  private int rekeysSent, rekeysReceived, keyExchanges;

  private ByteBuf pending;
  private List<ChannelPromise> pendingPromises;
  private ChannelHandlerContext ctx;
  private boolean failed;

  // Set while decoding a record: key changes that apply after it.
  private boolean rekeyAfterRecord;

  /**
   * Takes ownership of both cipher states and of {@code chainingKey} (the array itself, not a
   * copy): all are zeroed when the layer leaves the pipeline or the channel closes.
   */
  RecordLayer(
      LinkEstablished.Role role,
      CipherState sender,
      CipherState receiver,
      byte[] chainingKey,
      LinkConfig config) {
    this.role = role;
    this.sender = sender;
    this.receiver = receiver;
    // Taken, not copied: the handshake hands its only copy over (Transport.takeChainingKey), and
    // destroy() zeroes it. A copy here left the caller's array alive and unzeroed.
    this.linkSecret = chainingKey;
    this.config = config;
  }

  /** Number of REKEYs sent, REKEYs received and KEYX exchanges completed (for tests and logs). */
  public int[] keyCounters() {
    return new int[] {rekeysSent, rekeysReceived, keyExchanges};
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (role == LinkEstablished.Role.CLIENT) {
      long ms = config.rekeyInterval().toMillis();
      keyxTimer =
          ctx.executor().scheduleAtFixedRate(this::startKeyExchange, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Key confirmation (PROTOCOL.md §4, step 7). Server: the link is up only once a record of the
   * client's authenticates (a replayed message 1 also got message 2), so the event waits for it.
   * Client: so that the server need not wait, the first record goes out at once — a PING, with
   * whatever the mux writes on taking the link up (OPENs of queued streams) in the same record.
   */
  void userEventFromHandshake(LinkEstablished event) {
    if (role == LinkEstablished.Role.SERVER) {
      unconfirmed = event;
      return;
    }
    write(
        ctx,
        new Frame.Ping(java.util.concurrent.ThreadLocalRandom.current().nextLong()),
        ctx.voidPromise());
    ctx.fireUserEventTriggered(event);
    flush(ctx);
  }

  /** Server: the handshake's result until the client's first record authenticates. */
  private LinkEstablished unconfirmed;

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    destroy();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    destroy();
    super.channelInactive(ctx);
  }

  private void destroy() {
    if (keyxTimer != null) {
      keyxTimer.cancel(false);
    }
    if (pending != null) {
      pending.release();
      pending = null;
    }
    failPromises(new java.nio.channels.ClosedChannelException());
    sender.destroy();
    receiver.destroy();
    if (nextReceiver != null) {
      nextReceiver.destroy();
    }
    if (keyxEphemeral != null) {
      keyxEphemeral.destroy();
      keyxEphemeral = null;
    }
    java.util.Arrays.fill(linkSecret, (byte) 0);
  }

  // ---- inbound -------------------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf record = (ByteBuf) msg;
    if (failed) {
      record.release();
      return;
    }
    ByteBuf plain = null;
    try {
      int len = record.readableBytes();
      if (len < 16) {
        throw new NoiseException("record of " + len + " bytes");
      }
      plain = ctx.alloc().directBuffer(len - 16);
      int n = receiver.decrypt(ciphertext(record, len), plain.nioBuffer(0, len - 16));
      plain.writerIndex(n);
    } catch (NoiseException e) {
      ReferenceCountUtil.release(plain);
      record.release();
      // A bit changed on the wire (or a peer bug): nothing of this record may reach a stream.
      failed = true;
      ctx.fireExceptionCaught(
          new LinkTamperedException("record failed authentication; closing the link"));
      ctx.close();
      return;
    } catch (OutOfMemoryError e) {
      ReferenceCountUtil.release(plain);
      record.release();
      outOfMemory(ctx, e);
      return;
    }
    record.release();
    if (unconfirmed != null) {
      LinkEstablished confirmed = unconfirmed;
      unconfirmed = null;
      ctx.fireUserEventTriggered(
          confirmed); // before this record's frames: the mux is ready for them
    }
    try {
      FrameCodec.decode(
          plain,
          f -> {
            if (failed || !ctx.channel().isActive()) {
              // The link was closed by a frame earlier in this record (the mux's protocol error,
              // GOAWAY): the rest of the record has no one to go to.
              ReferenceCountUtil.release(f);
              return;
            }
            onFrame(ctx, f);
          });
      if (rekeyAfterRecord) {
        rekeyAfterRecord = false;
        receiver.rekey();
        rekeysReceived++;
      }
      if (nextReceiver != null) {
        receiver.destroy();
        receiver = nextReceiver;
        nextReceiver = null;
      }
    } catch (ProtocolException e) {
      protocolError(ctx, e.getMessage());
    } catch (OutOfMemoryError e) {
      outOfMemory(ctx, e); // a copied DATA payload (FrameCodec) found no direct memory
    } finally {
      plain.release();
    }
  }

  /** Ciphertext of records that spanned two reads (the AEAD reads an array in place). */
  private byte[] spanned = new byte[0];

  /**
   * The record's bytes as one buffer: itself when it lies in one read's buffer, else a copy into
   * {@link #spanned} (a composite's own nioBuffer() would allocate a fresh array per record).
   */
  private java.nio.ByteBuffer ciphertext(ByteBuf record, int len) {
    if (record.nioBufferCount() == 1) {
      return record.nioBuffer();
    }
    if (spanned.length < len) {
      spanned = new byte[Math.max(len, Math.min(2 * spanned.length, Records.MAX_MESSAGE))];
    }
    record.getBytes(record.readerIndex(), spanned, 0, len);
    return java.nio.ByteBuffer.wrap(spanned, 0, len);
  }

  /**
   * Direct memory ran out while this link's record was being decrypted or decoded: this link is
   * closed (its streams reset) and no other. The server's buffer budget keeps the total far below
   * the limit, so this is a last resort; it used to escape as an error of whichever link allocated
   * next (issue 12, item 1).
   */
  private void outOfMemory(ChannelHandlerContext ctx, OutOfMemoryError e) {
    failed = true;
    ctx.fireExceptionCaught(e);
    ctx.close();
  }

  private void onFrame(ChannelHandlerContext ctx, Frame f) throws ProtocolException {
    switch (f) {
      case Frame.Rekey r -> rekeyAfterRecord = true;
      case Frame.KeyExchange k -> onKeyExchange(ctx, k.publicKey());
      case Frame.KeyExchangeDone d -> onKeyExchangeDone();
      default -> ctx.fireChannelRead(f);
    }
  }

  private void protocolError(ChannelHandlerContext ctx, String why) {
    if (failed || !ctx.channel().isActive()) {
      return; // already closed: nothing to tell the peer, nobody left to report to
    }
    failed = true;
    write(ctx, new Frame.GoAway(GoawayCode.PROTOCOL_ERROR, why), ctx.voidPromise());
    seal(ctx);
    ctx.flush();
    ctx.fireExceptionCaught(new ProtocolException(why));
    ctx.close();
  }

  // ---- key exchange (PROTOCOL.md §7.2) ---------------------------------------------------------

  /** Client: begins a KEYX; runs on the timer and may be called by tests. */
  public void startKeyExchange() {
    if (role != LinkEstablished.Role.CLIENT
        || keyx != KeyxState.IDLE
        || failed
        || !ctx.channel().isActive()) {
      return;
    }
    keyxEphemeral = X25519.generate();
    keyx = KeyxState.SENT;
    write(ctx, new Frame.KeyExchange(keyxEphemeral.publicKey()), ctx.voidPromise());
    flush(ctx);
  }

  private void onKeyExchange(ChannelHandlerContext ctx, byte[] peerPublic)
      throws ProtocolException {
    if (role == LinkEstablished.Role.SERVER) {
      if (keyx != KeyxState.IDLE) {
        throw new ProtocolException("KEYX while a key exchange is under way");
      }
      KeyPair e = X25519.generate();
      CipherState[] keys = deriveKeys(e, peerPublic); // {client->server, server->client}
      write(ctx, new Frame.KeyExchange(e.publicKey()), ctx.voidPromise());
      e.destroy();
      sealLastUnderKey(ctx); // last record under the old sending key
      sender.destroy();
      sender = keys[1];
      sentUnderKey = 0;
      nextReceiverAfterDone = keys[0];
      keyx = KeyxState.AWAIT_DONE;
      ctx.flush();
    } else {
      if (keyx != KeyxState.SENT) {
        throw new ProtocolException("KEYX from the server without one of ours");
      }
      CipherState[] keys = deriveKeys(keyxEphemeral, peerPublic);
      keyxEphemeral.destroy();
      keyxEphemeral = null;
      nextReceiver = keys[1]; // the server sends with its new key after this record
      write(ctx, new Frame.KeyExchangeDone(), ctx.voidPromise());
      sealLastUnderKey(ctx);
      sender.destroy();
      sender = keys[0];
      sentUnderKey = 0;
      keyx = KeyxState.IDLE;
      keyExchanges++;
      ctx.flush();
    }
  }

  private CipherState nextReceiverAfterDone;

  private void onKeyExchangeDone() throws ProtocolException {
    if (role != LinkEstablished.Role.SERVER || keyx != KeyxState.AWAIT_DONE) {
      throw new ProtocolException("KEYX_DONE without a key exchange");
    }
    nextReceiver = nextReceiverAfterDone;
    nextReceiverAfterDone = null;
    keyx = KeyxState.IDLE;
    keyExchanges++;
  }

  /** ck', kc, ks = HKDF(ck, DH(e, peer), 3). Returns {client->server, server->client}. */
  private CipherState[] deriveKeys(KeyPair e, byte[] peerPublic) throws ProtocolException {
    byte[] dh;
    try {
      dh = X25519.dh(e.privateKey(), peerPublic);
    } catch (NoiseException ex) {
      throw new ProtocolException("KEYX with an invalid public key");
    }
    byte[][] out = Hkdf.derive3(linkSecret, dh);
    java.util.Arrays.fill(dh, (byte) 0);
    java.util.Arrays.fill(linkSecret, (byte) 0);
    linkSecret = out[0];
    CipherState c2s = new CipherState(sender.function());
    c2s.initializeKey(out[1]);
    CipherState s2c = new CipherState(sender.function());
    s2c.initializeKey(out[2]);
    java.util.Arrays.fill(out[1], (byte) 0);
    java.util.Arrays.fill(out[2], (byte) 0);
    return new CipherState[] {c2s, s2c};
  }

  // ---- outbound ------------------------------------------------------------------------------

  /**
   * Accepts a {@link Frame}; a Data frame's payload is released here once copied into the record.
   */
  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof Frame f)) {
      ctx.write(msg, promise); // not ours (should not happen)
      return;
    }
    try {
      if (!ctx.channel().isActive() || sender == null) {
        // A void promise would turn each late frame into an exceptionCaught (one log line per
        // frame of a flood); the frame is dropped either way.
        if (!promise.isVoid()) {
          promise.tryFailure(new java.nio.channels.ClosedChannelException());
        }
        return;
      }
      int len = FrameCodec.encodedLength(f);
      if (pending != null && pending.maxWritableBytes() < len) {
        seal(ctx);
      }
      if (pending == null) {
        // Heap: the AEAD reads it in place (the JDK's AES-GCM is ~2x faster on arrays).
        pending = ctx.alloc().heapBuffer(Math.max(len, 1024), Frame.MAX_RECORD_PLAINTEXT);
      }
      FrameCodec.encode(f, pending);
      if (!promise.isVoid()) {
        if (pendingPromises == null) {
          pendingPromises = new ArrayList<>(4);
        }
        pendingPromises.add(promise);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    seal(ctx);
    ctx.flush();
  }

  /** Encrypts what is pending into one record and passes it on (without flushing). */
  private void seal(ChannelHandlerContext ctx) {
    seal(ctx, true);
  }

  /**
   * Seals the record that ends with a KEYX or KEYX_DONE: the peer takes the new key right after it,
   * so no REKEY may follow under the old key, however many bytes the record holds (PROTOCOL.md
   * §7.2). The caller replaces the sending key next.
   */
  private void sealLastUnderKey(ChannelHandlerContext ctx) {
    seal(ctx, false);
  }

  private void seal(ChannelHandlerContext ctx, boolean rekeyIfDue) {
    if (pending == null) {
      return;
    }
    if (!sender.hasKey()) {
      // Fail closed: a destroyed cipher state must never pass plaintext through.
      pending.release();
      pending = null;
      failPromises(new java.nio.channels.ClosedChannelException());
      throw new IllegalStateException("sealing a record without a sending key");
    }
    ByteBuf plain = pending;
    pending = null;
    List<ChannelPromise> promises = pendingPromises;
    pendingPromises = null;
    int len = plain.readableBytes();
    ByteBuf record = ctx.alloc().directBuffer(2 + len + 16);
    try {
      record.writeShort(len + 16);
      int n = sender.encrypt(plain.nioBuffer(), record.nioBuffer(2, len + 16));
      record.writerIndex(2 + n);
    } catch (RuntimeException e) {
      record.release();
      throw e;
    } finally {
      plain.release();
    }
    sentUnderKey += len;
    ChannelPromise p = ctx.voidPromise();
    if (promises != null) {
      p = ctx.newPromise();
      p.addListener(
          fut -> {
            for (ChannelPromise each : promises) {
              if (fut.isSuccess()) {
                each.trySuccess();
              } else {
                each.tryFailure(fut.cause());
              }
            }
          });
    }
    ctx.write(record, p);
    if (rekeyIfDue && sentUnderKey >= config.rekeyBytes()) {
      // PROTOCOL.md §7.1: a record holding only REKEY, the last under the old key (its 7 bytes are
      // counted there, not under the new key); both sides then Rekey(), and the count starts at 0.
      pending = ctx.alloc().heapBuffer(Frame.HEADER_LENGTH);
      FrameCodec.encode(new Frame.Rekey(), pending);
      sealLastUnderKey(ctx);
      sender.rekey();
      sentUnderKey = 0;
      rekeysSent++;
    }
  }

  private void failPromises(Throwable cause) {
    if (pendingPromises != null) {
      for (ChannelPromise p : pendingPromises) {
        p.tryFailure(cause);
      }
      pendingPromises = null;
    }
  }
}
