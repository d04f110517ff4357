package dev.ett.link;

import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A client and a server link pipeline on two {@link EmbeddedChannel}s, no sockets: the test moves
 * the bytes one side wrote into the other by hand ({@link #toServer()}, {@link #toClient()}), so it
 * can look at, hold back, replay or change every record on the way.
 */
final class LinkHarness {
  final KeyPair clientKey = X25519.generate();
  final KeyPair serverKey = X25519.generate();
  ReplayGuard replay = new ReplayGuard();
  LinkConfig clientConfig = LinkConfig.defaults().withInitialWindow(32 * 1024);
  LinkConfig serverConfig = LinkConfig.defaults().withInitialWindow(64 * 1024).withMaxStreams(7);
  Suite suite = Suite.AESGCM;
  int handshakesFinished;

  /** Why the server closed each connection it did not take up (none for a link that came up). */
  final List<HandshakeRejection> rejections = new ArrayList<>();

  EmbeddedChannel client;
  EmbeddedChannel server;
  final Recorder clientSeen = new Recorder();
  final Recorder serverSeen = new Recorder();

  /** Records what reaches the top of a link pipeline besides frames: user events and errors. */
  static final class Recorder extends ChannelInboundHandlerAdapter {
    final List<Object> events = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      errors.add(cause); // kept here so that EmbeddedChannel does not rethrow it
    }

    LinkEstablished established() {
      return events.stream()
          .filter(LinkEstablished.class::isInstance)
          .map(LinkEstablished.class::cast)
          .findFirst()
          .orElse(null);
    }
  }

  ServerHandshake.Authorizer authorizer() {
    byte[] alice = clientKey.publicKey();
    return key -> Arrays.equals(key, alice) ? Optional.of("alice") : Optional.empty();
  }

  EmbeddedChannel newClient(byte[] pinnedServerKey, Recorder seen) {
    client =
        new EmbeddedChannel(
            Records.decoder(),
            new ClientHandshake(suite, clientKey, pinnedServerKey, clientConfig),
            seen);
    return client;
  }

  EmbeddedChannel newClient(byte[] pinnedServerKey) {
    return newClient(pinnedServerKey, clientSeen);
  }

  EmbeddedChannel newClient() {
    return newClient(serverKey.publicKey());
  }

  EmbeddedChannel newServer(Recorder seen) {
    ServerHandshake hs =
        new ServerHandshake(
            serverKey,
            authorizer(),
            replay,
            serverConfig,
            new ServerHandshake.Outcome() {
              @Override
              public void confirmed() {
                handshakesFinished++;
              }

              @Override
              public void rejected(HandshakeRejection why) {
                handshakesFinished++;
                rejections.add(why);
              }
            });
    server = new EmbeddedChannel(new PreambleDecoder(hs::onPreamble), Records.decoder(), hs, seen);
    return server;
  }

  EmbeddedChannel newServer() {
    return newServer(serverSeen);
  }

  /**
   * Both sides through the handshake, and the client's first record (its PING) through to the
   * server, which takes the link up only then (PROTOCOL.md §4, server step 7).
   */
  LinkHarness establish() {
    newClient();
    newServer();
    toServer();
    toClient();
    toServer();
    if (clientSeen.established() == null || serverSeen.established() == null) {
      throw new AssertionError(
          "handshake did not complete: " + clientSeen.errors + serverSeen.errors);
    }
    Object first = server.readInbound();
    if (!(first instanceof dev.ett.wire.Frame.Ping)) {
      throw new AssertionError(
          "the client's first frame: " + first + " (expected: the PING it sends at once)");
    }
    return this;
  }

  RecordLayer clientRecords() {
    return client.pipeline().get(RecordLayer.class);
  }

  RecordLayer serverRecords() {
    return server.pipeline().get(RecordLayer.class);
  }

  /** Moves every buffer the client wrote into the server; returns how many records moved. */
  int toServer() {
    return shuttle(client, server);
  }

  int toClient() {
    return shuttle(server, client);
  }

  /** Shuttles both ways until neither side has anything more to say. */
  void pump() {
    while (toServer() + toClient() > 0) {}
  }

  static int shuttle(EmbeddedChannel from, EmbeddedChannel to) {
    int n = 0;
    for (Object m; (m = from.readOutbound()) != null; n++) {
      if (to.isOpen()) {
        to.writeInbound(m);
      } else {
        ReferenceCountUtil.release(m);
      }
    }
    return n;
  }

  /** Every buffer {@code ch} wrote, taken out of it (the caller releases them). */
  static List<ByteBuf> drain(EmbeddedChannel ch) {
    List<ByteBuf> out = new ArrayList<>();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.add(b);
    }
    return out;
  }

  void close() {
    if (client != null) {
      client.finishAndReleaseAll();
    }
    if (server != null) {
      server.finishAndReleaseAll();
    }
  }
}
