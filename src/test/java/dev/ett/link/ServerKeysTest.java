package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: a server holding several static keys (rotation, PROTOCOL.md §4) answers a
 * client that pinned any of them, knows which one it was, and answers nobody else; a change of the
 * keys applies to the next handshake.
 */
class ServerKeysTest {
  private final LinkHarness h = new LinkHarness();
  private final KeyPair k1 = h.serverKey;
  private final KeyPair k2 = X25519.generate();
  private final AtomicReference<List<KeyPair>> keys = new AtomicReference<>(List.of(k1, k2));
  private final List<HandshakeRejection> rejections = new ArrayList<>();
  private final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void close() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  private EmbeddedChannel server(LinkHarness.Recorder seen) {
    ServerHandshake hs =
        new ServerHandshake(
            keys::get,
            h.authorizer(),
            h.replay,
            h.serverConfig,
            new ServerHandshake.Outcome() {
              @Override
              public void confirmed() {}

              @Override
              public void rejected(HandshakeRejection why) {
                rejections.add(why);
              }
            });
    EmbeddedChannel s =
        new EmbeddedChannel(new PreambleDecoder(hs::onPreamble), Records.decoder(), hs, seen);
    channels.add(s);
    return s;
  }

  /** One handshake of a client pinning {@code pinned}; returns what the server saw. */
  private LinkHarness.Recorder handshake(byte[] pinned) {
    EmbeddedChannel client = h.newClient(pinned, new LinkHarness.Recorder());
    channels.add(client);
    LinkHarness.Recorder seen = new LinkHarness.Recorder();
    EmbeddedChannel server = server(seen);
    LinkHarness.shuttle(client, server);
    LinkHarness.shuttle(server, client);
    LinkHarness.shuttle(client, server);
    return seen;
  }

  @Test
  void aClientPinningEitherKeyComesUpAndTheServerKnowsWhichKeyItUsed() {
    LinkEstablished onK1 = handshake(k1.publicKey()).established();
    LinkEstablished onK2 = handshake(k2.publicKey()).established();

    assertThat(onK1).isNotNull();
    assertThat(onK1.localStaticKey()).isEqualTo(k1.publicKey());
    assertThat(onK2).isNotNull();
    assertThat(onK2.localStaticKey()).isEqualTo(k2.publicKey());
    assertThat(rejections).isEmpty();
  }

  @Test
  void aClientPinningAKeyTheServerDoesNotHoldIsClosedSilently() {
    LinkHarness.Recorder seen = handshake(X25519.generate().publicKey());

    assertThat(seen.established()).isNull();
    assertThat(channels.get(1).isOpen()).isFalse();
    assertThat((Object) channels.get(1).readOutbound()).as("not a byte sent").isNull();
    assertThat(rejections).containsExactly(HandshakeRejection.GARBAGE);
  }

  @Test
  void aDroppedKeyIsNotAnsweredFromTheNextHandshakeOn() {
    assertThat(handshake(k1.publicKey()).established()).isNotNull();
    keys.set(List.of(k2));

    assertThat(handshake(k1.publicKey()).established()).isNull();
    assertThat(handshake(k2.publicKey()).established()).isNotNull();
    assertThat(rejections).containsExactly(HandshakeRejection.GARBAGE);
  }
}
