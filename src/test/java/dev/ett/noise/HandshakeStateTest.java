package dev.ett.noise;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: two in-memory peers complete IK, XX and NN handshakes and talk both ways;
 * anything the peer changes, and any key mismatch, ends the handshake with a NoiseException.
 */
class HandshakeStateTest {
  private static final byte[] PROLOGUE = "ett test".getBytes(UTF_8);

  private final KeyPair clientStatic = X25519.generate();
  private final KeyPair serverStatic = X25519.generate();

  /** Runs a whole handshake, alternating writes and reads, and returns {initiator, responder}. */
  private static Transport[] handshake(HandshakeState initiator, HandshakeState responder)
      throws NoiseException {
    HandshakeState sender = initiator;
    HandshakeState receiver = responder;
    int i = 0;
    while (!initiator.isComplete() || !responder.isComplete()) {
      byte[] payload = ("message " + i++).getBytes(UTF_8);
      byte[] message = sender.writeMessage(payload);
      assertThat(receiver.readMessage(message)).isEqualTo(payload);
      HandshakeState t = sender;
      sender = receiver;
      receiver = t;
    }
    assertThat(initiator.handshakeHash()).isEqualTo(responder.handshakeHash());
    return new Transport[] {initiator.split(), responder.split()};
  }

  private static void assertTransportWorksBothWays(Transport initiator, Transport responder)
      throws NoiseException {
    assertThat(initiator.chainingKey()).isEqualTo(responder.chainingKey());
    for (int i = 0; i < 3; i++) {
      byte[] up = ("up " + i).getBytes(UTF_8);
      byte[] down = ("down " + i).getBytes(UTF_8);
      byte[] c = initiator.sender().encryptWithAd(new byte[0], up);
      assertThat(c).hasSize(up.length + 16);
      assertThat(responder.receiver().decryptWithAd(new byte[0], c)).isEqualTo(up);
      assertThat(
              initiator
                  .receiver()
                  .decryptWithAd(new byte[0], responder.sender().encryptWithAd(new byte[0], down)))
          .isEqualTo(down);
    }
  }

  @Test
  void ikHandshakeBetweenInMemoryPeersAgreesOnKeys() throws NoiseException {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_ChaChaPoly_SHA256");
    HandshakeState initiator =
        HandshakeState.initiator(ik, PROLOGUE, clientStatic, serverStatic.publicKey(), null);
    HandshakeState responder = HandshakeState.responder(ik, PROLOGUE, serverStatic, null, null);

    Transport[] t = handshake(initiator, responder);

    assertThat(responder.remoteStaticKey()).isEqualTo(clientStatic.publicKey());
    assertThat(initiator.remoteStaticKey()).isEqualTo(serverStatic.publicKey());
    assertThat(initiator.chainingKey()).isEqualTo(responder.chainingKey());
    assertTransportWorksBothWays(t[0], t[1]);
  }

  @Test
  void aCopyAfterMessage1GoesOnLikeTheOriginalAndOwnsItsSecrets() throws NoiseException {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
    HandshakeState initiator =
        HandshakeState.initiator(ik, PROLOGUE, clientStatic, serverStatic.publicKey(), null);
    HandshakeState responder = HandshakeState.responder(ik, PROLOGUE, serverStatic, null, null);
    responder.readMessage(initiator.writeMessage(new byte[0]));
    HandshakeState copy = initiator.copy();
    byte[] message2 = responder.writeMessage("hello".getBytes(UTF_8));

    copy.destroy(); // zeroes the copy's secrets only
    assertThatThrownBy(() -> copy.readMessage(message2)).isInstanceOf(IllegalStateException.class);
    HandshakeState second = initiator.copy();
    assertThat(second.readMessage(message2)).isEqualTo("hello".getBytes(UTF_8));
    assertThat(initiator.readMessage(message2)).isEqualTo("hello".getBytes(UTF_8));
    assertThat(second.handshakeHash())
        .isEqualTo(initiator.handshakeHash())
        .isEqualTo(responder.handshakeHash());
    Transport fromCopy = second.split();
    Transport fromResponder = responder.split();
    assertTransportWorksBothWays(fromCopy, fromResponder);
    assertThat(initiator.split().chainingKey()).isEqualTo(fromCopy.chainingKey());
  }

  @Test
  void xxHandshakeBetweenInMemoryPeersAgreesOnKeys() throws NoiseException {
    NoiseProtocol xx = NoiseProtocol.parse("Noise_XX_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(xx, PROLOGUE, clientStatic, null, null);
    HandshakeState responder = HandshakeState.responder(xx, PROLOGUE, serverStatic, null, null);

    Transport[] t = handshake(initiator, responder);

    assertThat(responder.remoteStaticKey()).isEqualTo(clientStatic.publicKey());
    assertThat(initiator.remoteStaticKey()).isEqualTo(serverStatic.publicKey());
    assertTransportWorksBothWays(t[0], t[1]);
  }

  @Test
  void nnHandshakeBetweenInMemoryPeersAgreesOnKeys() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder = HandshakeState.responder(nn, PROLOGUE, null, null, null);

    Transport[] t = handshake(initiator, responder);

    assertThat(initiator.remoteStaticKey()).isNull();
    assertTransportWorksBothWays(t[0], t[1]);
  }

  @Test
  void pskHandshakeNeedsTheSamePskOnBothSides() throws NoiseException {
    NoiseProtocol p = NoiseProtocol.parse("Noise_XXpsk3_25519_ChaChaPoly_SHA256");
    byte[] psk = new byte[32];
    Arrays.fill(psk, (byte) 7);
    byte[] otherPsk = new byte[32];
    HandshakeState initiator =
        HandshakeState.initiator(p, PROLOGUE, clientStatic, null, null, List.of(psk));
    HandshakeState responder =
        HandshakeState.responder(p, PROLOGUE, serverStatic, null, null, List.of(otherPsk));

    responder.readMessage(initiator.writeMessage(new byte[0]));
    initiator.readMessage(responder.writeMessage(new byte[0]));
    byte[] third = initiator.writeMessage(new byte[0]);

    assertThatThrownBy(() -> responder.readMessage(third)).isInstanceOf(NoiseException.class);
  }

  @Test
  void everyTamperedByteOfAnIkInitiationIsRejected() throws NoiseException {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
    byte[] message =
        HandshakeState.initiator(ik, PROLOGUE, clientStatic, serverStatic.publicKey(), null)
            .writeMessage("hello".getBytes(UTF_8));

    for (int i = 0; i < message.length; i++) {
      byte[] tampered = message.clone();
      tampered[i] ^= 0x01;
      HandshakeState responder = HandshakeState.responder(ik, PROLOGUE, serverStatic, null, null);
      assertThatThrownBy(() -> responder.readMessage(tampered))
          .as("byte %d flipped", i)
          .isInstanceOf(NoiseException.class);
      assertThat(responder.state()).isEqualTo(HandshakeState.State.FAILED);
    }
  }

  @Test
  void tamperedXxResponseIsRejectedByTheInitiator() throws NoiseException {
    NoiseProtocol xx = NoiseProtocol.parse("Noise_XX_25519_ChaChaPoly_SHA256");
    HandshakeState initiator = HandshakeState.initiator(xx, PROLOGUE, clientStatic, null, null);
    HandshakeState responder = HandshakeState.responder(xx, PROLOGUE, serverStatic, null, null);
    responder.readMessage(initiator.writeMessage(new byte[0]));
    byte[] response = responder.writeMessage(new byte[0]);
    response[response.length - 1] ^= (byte) 0x80;

    assertThatThrownBy(() -> initiator.readMessage(response)).isInstanceOf(NoiseException.class);
    assertThatThrownBy(() -> initiator.writeMessage(new byte[0]))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void ikInitiatorWithTheWrongResponderStaticKeyFailsAtTheResponder() throws NoiseException {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
    byte[] wrongKey = X25519.generate().publicKey();
    HandshakeState initiator = HandshakeState.initiator(ik, PROLOGUE, clientStatic, wrongKey, null);
    HandshakeState responder = HandshakeState.responder(ik, PROLOGUE, serverStatic, null, null);

    byte[] message = initiator.writeMessage(new byte[0]);

    assertThatThrownBy(() -> responder.readMessage(message))
        .isInstanceOf(NoiseException.class)
        .hasMessageNotContaining(java.util.HexFormat.of().formatHex(serverStatic.privateKey()));
  }

  @Test
  void differentProloguesMakeTheHandshakeFail() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder =
        HandshakeState.responder(nn, "other".getBytes(UTF_8), null, null, null);
    responder.readMessage(initiator.writeMessage(new byte[0]));
    byte[] response = responder.writeMessage(new byte[0]);

    assertThatThrownBy(() -> initiator.readMessage(response)).isInstanceOf(NoiseException.class);
  }

  @Test
  void shortEmptyAndOversizedMessagesAreNoiseExceptions() {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
    for (byte[] message : List.of(new byte[0], new byte[31], new byte[95], new byte[65536])) {
      HandshakeState responder = HandshakeState.responder(ik, PROLOGUE, serverStatic, null, null);
      assertThatThrownBy(() -> responder.readMessage(message))
          .as("%d bytes", message.length)
          .isInstanceOf(NoiseException.class);
    }
  }

  @Test
  void lowOrderEphemeralIsRejected() {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder = HandshakeState.responder(nn, PROLOGUE, null, null, null);
    // The responder accepts e (it is only hashed), then "ee" with an all-zero point fails.
    try {
      responder.readMessage(new byte[32]);
    } catch (NoiseException e) {
      throw new AssertionError(e);
    }
    try {
      initiator.writeMessage(new byte[0]);
    } catch (NoiseException e) {
      throw new AssertionError(e);
    }
    byte[] response = new byte[48];

    assertThatThrownBy(() -> initiator.readMessage(response)).isInstanceOf(NoiseException.class);
  }

  @Test
  void writingOrReadingOutOfTurnIsAnIllegalState() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder = HandshakeState.responder(nn, PROLOGUE, null, null, null);

    assertThatThrownBy(() -> responder.writeMessage(new byte[0]))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> initiator.readMessage(new byte[48]))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(initiator::split).isInstanceOf(IllegalStateException.class);

    handshake(initiator, responder);

    assertThatThrownBy(initiator::split).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> initiator.writeMessage(new byte[0]))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void messagesAreLimitedTo65535Bytes() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_AESGCM_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);

    assertThatThrownBy(() -> initiator.writeMessage(new byte[65535 - 32 + 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("65535");
    // The state is unchanged: the largest payload that fits still goes out.
    assertThat(initiator.writeMessage(new byte[65535 - 32])).hasSize(65535);
  }

  @Test
  void missingOrUnexpectedKeysAreRejectedUpFront() {
    NoiseProtocol ik = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");
    NoiseProtocol xx = NoiseProtocol.parse("Noise_XX_25519_AESGCM_SHA256");

    assertThatThrownBy(() -> HandshakeState.initiator(ik, PROLOGUE, clientStatic, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rs");
    assertThatThrownBy(() -> HandshakeState.responder(ik, PROLOGUE, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s: null");
    assertThatThrownBy(
            () ->
                HandshakeState.initiator(
                    xx, PROLOGUE, clientStatic, serverStatic.publicKey(), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not pre-know");
  }

  @Test
  void splitZeroesTheHandshakeButKeepsTheHash() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_ChaChaPoly_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder = HandshakeState.responder(nn, PROLOGUE, null, null, null);
    Transport[] t = handshake(initiator, responder);
    byte[] hash = initiator.handshakeHash();

    initiator.destroy();
    t[0].destroy();

    assertThat(initiator.handshakeHash()).isEqualTo(hash);
    assertThatThrownBy(initiator::chainingKey).isInstanceOf(IllegalStateException.class);
    assertThat(t[0].sender().hasKey()).isFalse();
    assertThat(t[0].chainingKey()).containsOnly(0);
    assertThat(initiator.toString()).doesNotContain("key=");
  }

  @Test
  void takingTheChainingKeyLeavesNoCopyInTheTransport() throws NoiseException {
    NoiseProtocol nn = NoiseProtocol.parse("Noise_NN_25519_ChaChaPoly_SHA256");
    HandshakeState initiator = HandshakeState.initiator(nn, PROLOGUE, null, null, null);
    HandshakeState responder = HandshakeState.responder(nn, PROLOGUE, null, null, null);
    Transport[] t = handshake(initiator, responder);
    byte[] expected = initiator.chainingKey();

    byte[] taken = t[0].takeChainingKey();

    assertThat(taken).isEqualTo(expected);
    assertThatThrownBy(t[0]::chainingKey).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(t[0]::takeChainingKey).isInstanceOf(IllegalStateException.class);
    // Destroying the transport leaves the taker's key alone; the handshake zeroes its own copy.
    t[0].destroy();
    assertThat(taken).isEqualTo(expected);
    initiator.destroy();
    assertThatThrownBy(initiator::chainingKey).isInstanceOf(IllegalStateException.class);
  }
}
