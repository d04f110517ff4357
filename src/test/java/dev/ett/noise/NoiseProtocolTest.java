package dev.ett.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.noise.HandshakePattern.Token;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Goal of this test: protocol names parse into the right primitives and format back. */
class NoiseProtocolTest {
  @Test
  void ikAesGcmSha256ParsesAndFormatsBack() {
    NoiseProtocol p = NoiseProtocol.parse("Noise_IK_25519_AESGCM_SHA256");

    assertThat(p.pattern().name()).isEqualTo("IK");
    assertThat(p.cipher()).isEqualTo(CipherFunction.AESGCM);
    assertThat(p.hash()).isEqualTo(HashFunction.SHA256);
    assertThat(p.name()).isEqualTo("Noise_IK_25519_AESGCM_SHA256");
    assertThat(NoiseProtocol.parse("Noise_XX_25519_ChaChaPoly_SHA256").toString())
        .isEqualTo("Noise_XX_25519_ChaChaPoly_SHA256");
  }

  @Test
  void ikPatternHasTheSpecTokens() {
    HandshakePattern ik = HandshakePattern.lookup("IK");

    assertThat(ik.initiatorPreMessage()).isEmpty();
    assertThat(ik.responderPreMessage()).containsExactly(Token.S);
    assertThat(ik.messages())
        .containsExactly(
            List.of(Token.E, Token.ES, Token.S, Token.SS), List.of(Token.E, Token.EE, Token.SE));
  }

  @Test
  void pskModifiersInsertPskTokens() {
    HandshakePattern p = HandshakePattern.lookup("XXpsk0+psk3");

    assertThat(p.messages().get(0)).containsExactly(Token.PSK, Token.E);
    assertThat(p.messages().get(2)).containsExactly(Token.S, Token.SE, Token.PSK);
    assertThat(p.pskCount()).isEqualTo(2);
    assertThatThrownBy(() -> HandshakePattern.lookup("NNpsk3"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unsupportedNamesAreIllegalArgumentsThatSayWhy() {
    assertThatThrownBy(() -> NoiseProtocol.parse("Noise_IK_448_AESGCM_SHA256"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DH function 448");
    assertThatThrownBy(() -> NoiseProtocol.parse("Noise_IK_25519_AESGCM_BLAKE2s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hash BLAKE2s");
    assertThatThrownBy(() -> NoiseProtocol.parse("Noise_QQ_25519_AESGCM_SHA256"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("QQ");
    assertThatThrownBy(() -> NoiseProtocol.parse("NoisePSK_IK_25519_AESGCM_SHA256"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: Noise_<pattern>");
    assertThatThrownBy(() -> NoiseProtocol.parse("Noise_IK_25519_AESGCM"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
