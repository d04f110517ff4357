package dev.ett.fuzz;

import dev.ett.link.HandshakeRejection;
import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.LinkFuzzing;
import dev.ett.link.Preamble;
import dev.ett.link.PreambleDecoder;
import dev.ett.link.RecordLayer;
import dev.ett.link.Records;
import dev.ett.link.ReplayGuard;
import dev.ett.link.ServerHandshake;
import dev.ett.link.Suite;
import dev.ett.link.Tai64n;
import dev.ett.mux.Exit;
import dev.ett.mux.Mux;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.noise.CipherState;
import dev.ett.noise.HandshakeState;
import dev.ett.noise.NoiseException;
import dev.ett.noise.NoiseProtocol;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A server link pipeline as {@code Server} builds it (preamble, records, handshake, mux) on an
 * {@link EmbeddedChannel}, with an exit that answers from a script instead of the network, and a
 * client whose keys the test holds: it can finish the handshake and then send records it sealed
 * itself from any plaintext. Buffers come from a counting allocator, so a fuzz target can check
 * that every byte was given back.
 */
final class ServerPipeline implements AutoCloseable {
  final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false);
  final LinkConfig config =
      LinkConfig.defaults().withInitialWindow(16 * 1024).withMaxStreams(8).withMaxPendingOpens(4);
  final EmbeddedChannel server;
  final Seen seen = new Seen();
  final List<EmbeddedChannel> sockets = new ArrayList<>();
  final List<Exit.Callback> pendingOpens = new ArrayList<>();
  int handshakesFinished;

  /** Why the server closed the connection before taking the link up, once it did. */
  HandshakeRejection rejection;

  private int opens;
  private CipherState sender;

  /** The bytes of the last {@link #receive} (the seed writer keeps real handshakes this way). */
  byte[] lastReceived;

  /** What reached the top of the pipeline besides frames. */
  static final class Seen extends ChannelInboundHandlerAdapter {
    final List<Object> events = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      errors.add(cause);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  private boolean linkUp;

  /** The handshake completed (the link may have failed since). */
  boolean established() {
    return linkUp;
  }

  /** A fresh server connection: nothing read yet, the handshake ahead. */
  ServerPipeline() {
    this(true);
  }

  /**
   * A server link whose handshake with the authorized client ("alice") already completed, set up
   * from the fixed transport keys of {@link FuzzKeys} instead of a real handshake (which costs six
   * X25519 operations): the pipeline is what {@code ServerHandshake} leaves behind — record
   * framing, the record layer, the mux — and the mux has seen {@link LinkEstablished}. {@link
   * #sendRecord} seals records for it.
   */
  static ServerPipeline afterHandshake() {
    ServerPipeline p = new ServerPipeline(false);
    p.sender = FuzzKeys.clientToServer();
    LinkFuzzing.addEstablished(
        p.server.pipeline(),
        "framing",
        FuzzKeys.serverToClient(),
        FuzzKeys.clientToServer(),
        FuzzKeys.chainingKey(),
        p.config,
        new LinkEstablished(
            LinkEstablished.Role.SERVER,
            Suite.AESGCM,
            "alice",
            FuzzKeys.client().publicKey(),
            p.config.initialWindow(),
            p.config.maxStreams()));
    if (!p.established()) {
      throw new AssertionError("the mux did not take the link up: " + p.seen.errors);
    }
    return p;
  }

  private ServerPipeline(boolean handshake) {
    server = new EmbeddedChannel();
    server.config().setAllocator(alloc);
    Exit exit = this::open;
    if (handshake) {
      ServerHandshake hs =
          new ServerHandshake(
              FuzzKeys.server(),
              key ->
                  Arrays.equals(key, FuzzKeys.client().publicKey())
                      ? Optional.of("alice")
                      : Optional.empty(),
              new ReplayGuard(),
              config,
              new ServerHandshake.Outcome() {
                @Override
                public void confirmed() {
                  handshakesFinished++;
                }

                @Override
                public void rejected(HandshakeRejection why) {
                  handshakesFinished++;
                  rejection = why;
                }
              });
      server
          .pipeline()
          .addLast("preamble", new PreambleDecoder(hs::onPreamble))
          .addLast("framing", Records.decoder())
          .addLast("handshake", hs);
    } else {
      server.pipeline().addLast("framing", Records.decoder());
    }
    server
        .pipeline()
        .addLast("mux", new Mux(config, exit, m -> linkUp = true))
        .addLast("seen", seen);
  }

  /** Connects every third stream, refuses every third, leaves the rest pending until close. */
  private void open(
      String client, Destination d, io.netty.channel.EventLoop loop, Exit.Callback cb) {
    switch (opens++ % 3) {
      case 0 -> {
        EmbeddedChannel socket = new EmbeddedChannel();
        socket.config().setAutoRead(false);
        StreamSocketHandler.install(socket);
        sockets.add(socket);
        cb.connected(
            socket, Destination.of(InetAddress.getLoopbackAddress(), Math.max(1, d.port())));
      }
      case 1 -> cb.refused(RefuseCode.POLICY, "fuzz");
      default -> pendingOpens.add(cb);
    }
  }

  /**
   * Writes {@code bytes} into the server as if read from its socket (a copy from our allocator).
   */
  void receive(byte[] bytes) {
    lastReceived = bytes;
    if (!server.isOpen() || bytes.length == 0) {
      return;
    }
    server.writeInbound(alloc.buffer(bytes.length).writeBytes(bytes));
  }

  /** Preamble and a real message 1 from the authorized client; returns the client's state. */
  HandshakeState sendInitiation(Suite suite) throws NoiseException {
    byte[] preamble = Preamble.encode(suite);
    HandshakeState hs =
        HandshakeState.initiator(
            NoiseProtocol.parse(suite.noiseName),
            Preamble.prologue(preamble),
            FuzzKeys.client(),
            FuzzKeys.server().publicKey(),
            null);
    ByteBuffer p1 = ByteBuffer.allocate(Tai64n.LENGTH + 4);
    p1.put(Tai64n.encode(Instant.now()));
    p1.putInt(config.initialWindow());
    byte[] msg1 = hs.writeMessage(p1.array());
    byte[] out = new byte[Preamble.LENGTH + 2 + msg1.length];
    System.arraycopy(preamble, 0, out, 0, Preamble.LENGTH);
    out[Preamble.LENGTH] = (byte) (msg1.length >> 8);
    out[Preamble.LENGTH + 1] = (byte) msg1.length;
    System.arraycopy(msg1, 0, out, Preamble.LENGTH + 2, msg1.length);
    receive(out);
    return hs;
  }

  /** A whole real handshake; afterwards {@link #sendRecord} seals records the server can open. */
  void establish() throws NoiseException {
    HandshakeState hs = sendInitiation(Suite.AESGCM);
    ByteBuf msg2 = server.readOutbound();
    try {
      msg2.skipBytes(2);
      byte[] m = new byte[msg2.readableBytes()];
      msg2.readBytes(m);
      hs.readMessage(m);
    } finally {
      msg2.release();
    }
    sender = hs.split().sender();
    hs.destroy();
    // The server takes the link up on the client's first record (PROTOCOL.md §4, step 7): a PING,
    // as a real client sends at once.
    io.netty.buffer.ByteBuf ping = io.netty.buffer.Unpooled.buffer();
    dev.ett.wire.FrameCodec.encode(new dev.ett.wire.Frame.Ping(0), ping);
    sendRecord(io.netty.buffer.ByteBufUtil.getBytes(ping));
    ping.release();
    discardOutbound(); // its PONG
    if (!established()) {
      throw new AssertionError("handshake did not complete: " + seen.errors);
    }
  }

  /**
   * Seals {@code plaintext} (at most 65519 bytes) into one record and hands it to the server.
   * Follows a REKEY the record held as a real client would; returns false once the server moved to
   * keys of a KEYX exchange, which this client cannot follow (nothing more can be sent).
   */
  boolean sendRecord(byte[] plaintext) {
    RecordLayer records = server.pipeline().get(RecordLayer.class);
    int[] before = records == null ? new int[3] : records.keyCounters();
    byte[] ct = new byte[plaintext.length + 16];
    sender.encrypt(ByteBuffer.wrap(plaintext), ByteBuffer.wrap(ct));
    byte[] rec = new byte[2 + ct.length];
    rec[0] = (byte) (ct.length >> 8);
    rec[1] = (byte) ct.length;
    System.arraycopy(ct, 0, rec, 2, ct.length);
    receive(rec);
    int[] after = records == null ? before : records.keyCounters();
    if (after[1] > before[1]) {
      sender.rekey();
    }
    return after[2] == before[2];
  }

  /** Drops (and releases) whatever the server wrote. */
  void discardOutbound() {
    for (Object m; (m = server.readOutbound()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }

  /** Runs the pending opens' connects, then closes everything and returns the bytes still held. */
  long closeAndCountHeld() {
    for (Exit.Callback cb : pendingOpens) {
      EmbeddedChannel socket = new EmbeddedChannel();
      socket.config().setAutoRead(false);
      StreamSocketHandler.install(socket);
      sockets.add(socket);
      cb.connected(socket, Destination.of(InetAddress.getLoopbackAddress(), 80));
    }
    pendingOpens.clear();
    server.runPendingTasks();
    discardOutbound();
    close();
    return alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory();
  }

  @Override
  public void close() {
    server.finishAndReleaseAll();
    for (EmbeddedChannel s : sockets) {
      s.finishAndReleaseAll();
    }
    if (sender != null) {
      sender.destroy();
      sender = null;
    }
  }
}
