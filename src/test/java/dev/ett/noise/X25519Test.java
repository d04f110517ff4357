package dev.ett.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Goal of this test: X25519 matches RFC 7748 and refuses low-order points; keys stay hidden. */
class X25519Test {
  private static final HexFormat HEX = HexFormat.of();

  // RFC 7748 section 6.1.
  private static final byte[] ALICE_PRIVATE =
      HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  private static final byte[] ALICE_PUBLIC =
      HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  private static final byte[] BOB_PRIVATE =
      HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  private static final byte[] BOB_PUBLIC =
      HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  private static final byte[] SHARED =
      HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

  @Test
  void publicKeysAndSharedSecretMatchRfc7748() throws NoiseException {
    assertThat(X25519.publicKey(ALICE_PRIVATE)).isEqualTo(ALICE_PUBLIC);
    assertThat(X25519.publicKey(BOB_PRIVATE)).isEqualTo(BOB_PUBLIC);
    assertThat(X25519.dh(ALICE_PRIVATE, BOB_PUBLIC)).isEqualTo(SHARED);
    assertThat(X25519.dh(BOB_PRIVATE, ALICE_PUBLIC)).isEqualTo(SHARED);
  }

  @Test
  void theTopBitOfAPublicKeyIsIgnored() throws NoiseException {
    byte[] withTopBit = BOB_PUBLIC.clone();
    withTopBit[31] |= (byte) 0x80;

    assertThat(X25519.dh(ALICE_PRIVATE, withTopBit)).isEqualTo(SHARED);
  }

  @Test
  void generatedPairsAgree() throws NoiseException {
    KeyPair a = X25519.generate();
    KeyPair b = X25519.generate();

    assertThat(X25519.dh(a.privateKey(), b.publicKey()))
        .isEqualTo(X25519.dh(b.privateKey(), a.publicKey()));
    assertThat(a.publicKey()).isNotEqualTo(b.publicKey());
  }

  @Test
  void lowOrderPointsAreRejected() {
    byte[] zero = new byte[32];
    byte[] one = new byte[32];
    one[0] = 1;
    // A point of order 8 (from the list of small-order Curve25519 points).
    byte[] order8 =
        HEX.parseHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");

    for (byte[] point : new byte[][] {zero, one, order8}) {
      assertThatThrownBy(() -> X25519.dh(ALICE_PRIVATE, point))
          .isInstanceOf(NoiseException.class)
          .hasMessageNotContaining(HEX.formatHex(ALICE_PRIVATE));
    }
  }

  @Test
  void wrongKeyLengthsAreIllegalArguments() {
    assertThatThrownBy(() -> X25519.dh(new byte[31], BOB_PUBLIC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: 32 bytes");
  }

  @Test
  void keyPairToStringNeverShowsThePrivateKey() {
    KeyPair pair = KeyPair.fromPrivateKey(ALICE_PRIVATE.clone());

    assertThat(pair.toString())
        .doesNotContain(HEX.formatHex(ALICE_PRIVATE))
        .doesNotContain(HEX.formatHex(ALICE_PRIVATE).toUpperCase(java.util.Locale.ROOT))
        .contains(HEX.formatHex(ALICE_PUBLIC));
  }

  @Test
  void keyPairDestroyZeroesThePrivateKey() {
    KeyPair pair = X25519.generate();

    pair.destroy();

    assertThat(pair.privateKey()).containsOnly(0);
  }
}
