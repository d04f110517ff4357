package dev.ett.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Goal of this test: a CipherState never encrypts two messages under the same (key, nonce), its
 * ByteBuffer hot path produces exactly the bytes of the spec's byte[] path for heap and direct
 * buffers, and Rekey() moves both sides to the same new key.
 */
class CipherStateTest {
  private static final byte[] EMPTY = new byte[0];

  private static CipherState[] pair(CipherFunction function) {
    byte[] key = new byte[32];
    new Random(1).nextBytes(key);
    CipherState a = new CipherState(function);
    CipherState b = new CipherState(function);
    a.initializeKey(key);
    b.initializeKey(key);
    return new CipherState[] {a, b};
  }

  private static ByteBuffer allocate(boolean direct, int size) {
    return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void nonceAdvancesSoTheSamePlaintextNeverEncryptsTheSame(CipherFunction function) {
    CipherState c = pair(function)[0];
    byte[] plaintext = "same".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    byte[] first = c.encryptWithAd(EMPTY, plaintext);
    byte[] second = c.encryptWithAd(EMPTY, plaintext);

    assertThat(first).isNotEqualTo(second);
    assertThat(c.nonce()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void replayedCiphertextFailsBecauseTheReceiverNonceMovedOn(CipherFunction function)
      throws NoiseException {
    CipherState[] p = pair(function);
    byte[] c = p[0].encryptWithAd(EMPTY, new byte[10]);
    p[1].decryptWithAd(EMPTY, c);

    assertThatThrownBy(() -> p[1].decryptWithAd(EMPTY, c)).isInstanceOf(NoiseException.class);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void failedDecryptDoesNotAdvanceTheNonce(CipherFunction function) throws NoiseException {
    CipherState[] p = pair(function);
    byte[] good = p[0].encryptWithAd(EMPTY, new byte[10]);
    byte[] bad = good.clone();
    bad[3] ^= 1;

    assertThatThrownBy(() -> p[1].decryptWithAd(EMPTY, bad)).isInstanceOf(NoiseException.class);
    assertThat(p[1].nonce()).isZero();
    assertThat(p[1].decryptWithAd(EMPTY, good)).hasSize(10);
    assertThat(p[1].nonce()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void theReservedNonce2To64Minus1IsRefused(CipherFunction function) throws NoiseException {
    CipherState[] p = pair(function);
    p[0].setNonce(-2L); // 2^64 - 2, the last usable nonce
    p[1].setNonce(-2L);
    byte[] last = p[0].encryptWithAd(EMPTY, new byte[1]);
    p[1].decryptWithAd(EMPTY, last);

    assertThatThrownBy(() -> p[0].encryptWithAd(EMPTY, new byte[1]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nonce");
    assertThatThrownBy(() -> p[0].encrypt(ByteBuffer.allocate(1), ByteBuffer.allocate(17)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p[1].decryptWithAd(EMPTY, last)).isInstanceOf(NoiseException.class);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void byteBufferPathMatchesByteArrayPathForHeapAndDirectBuffers(CipherFunction function)
      throws NoiseException {
    byte[] plaintext = new byte[70_000];
    new Random(2).nextBytes(plaintext);
    for (boolean directIn : new boolean[] {false, true}) {
      for (boolean directOut : new boolean[] {false, true}) {
        CipherState[] reference = pair(function);
        CipherState[] p = pair(function);
        for (int message = 0; message < 3; message++) {
          byte[] expected = reference[0].encryptWithAd(EMPTY, plaintext);

          ByteBuffer in = allocate(directIn, plaintext.length + 5);
          in.position(5); // a non-zero offset, as in a framed record
          in.put(plaintext).flip().position(5);
          ByteBuffer out = allocate(directOut, plaintext.length + 16 + 3);
          out.position(3);
          int written = p[0].encrypt(in, out);

          assertThat(written).isEqualTo(plaintext.length + 16);
          assertThat(in.hasRemaining()).isFalse();
          assertThat(out.position()).isEqualTo(3 + written);
          byte[] actual = new byte[written];
          out.flip().position(3);
          out.duplicate().get(actual);
          assertThat(actual).isEqualTo(expected);

          ByteBuffer decrypted = allocate(!directOut, plaintext.length);
          assertThat(p[1].decrypt(out, decrypted)).isEqualTo(plaintext.length);
          byte[] roundTrip = new byte[plaintext.length];
          decrypted.flip().get(roundTrip);
          assertThat(roundTrip).isEqualTo(plaintext);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void byteBufferDecryptOfTamperedRecordLeavesPositionsAndNonce(CipherFunction function) {
    CipherState[] p = pair(function);
    ByteBuffer record = ByteBuffer.wrap(p[0].encryptWithAd(EMPTY, new byte[100]));
    record.put(7, (byte) (record.get(7) ^ 1));
    ByteBuffer out = ByteBuffer.allocateDirect(100);

    assertThatThrownBy(() -> p[1].decrypt(record, out)).isInstanceOf(NoiseException.class);
    assertThat(record.position()).isZero();
    assertThat(out.position()).isZero();
    assertThat(p[1].nonce()).isZero();
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void encryptInPlaceInOneHeapBufferWorks(CipherFunction function) throws NoiseException {
    CipherState[] p = pair(function);
    byte[] plaintext = new byte[1000];
    new Random(3).nextBytes(plaintext);
    byte[] expected = pair(function)[0].encryptWithAd(EMPTY, plaintext);
    ByteBuffer buffer = ByteBuffer.allocate(1016);
    buffer.put(plaintext).flip();

    p[0].encrypt(buffer.duplicate(), buffer.duplicate().clear());

    assertThat(buffer.array()).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void rekeyChangesTheKeyAndBothSidesAgree(CipherFunction function) throws NoiseException {
    CipherState[] p = pair(function);
    p[1].decryptWithAd(EMPTY, p[0].encryptWithAd(EMPTY, new byte[1]));
    byte[] before = p[0].key();

    p[0].rekey();
    p[1].rekey();

    assertThat(p[0].key()).isNotEqualTo(before).isEqualTo(p[1].key());
    // Spec 5.1: Rekey() only replaces k; n carries on.
    assertThat(p[0].nonce()).isEqualTo(1);
    byte[] c = p[0].encryptWithAd(EMPTY, new byte[] {42});
    assertThat(p[1].decryptWithAd(EMPTY, c)).containsExactly(42);
    // And a receiver that did not rekey cannot read it.
    CipherState stale = pair(function)[1];
    stale.setNonce(1);
    assertThatThrownBy(() -> stale.decryptWithAd(EMPTY, c)).isInstanceOf(NoiseException.class);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void rekeyIsTheFirst32BytesOfEncryptingZerosUnderTheMaximumNonce(CipherFunction function) {
    CipherState[] p = pair(function);
    CipherState reference = pair(function)[0];
    reference.setNonce(-1L);
    // encryptWithAd refuses n = 2^64-1, so compute REKEY through the spec formula by hand.
    byte[] key = p[0].key();
    byte[] expected;
    try {
      javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance(function.transformation());
      byte[] nonce = new byte[12];
      function.encodeNonce(-1L, nonce);
      cipher.init(
          javax.crypto.Cipher.ENCRYPT_MODE,
          new javax.crypto.spec.SecretKeySpec(key, function.keyAlgorithm()),
          function.parameters(nonce));
      expected = java.util.Arrays.copyOf(cipher.doFinal(new byte[32]), 32);
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }

    p[0].rekey();

    assertThat(p[0].key()).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void tooSmallOutputBufferIsAnIllegalArgument(CipherFunction function) {
    CipherState c = pair(function)[0];

    assertThatThrownBy(() -> c.encrypt(ByteBuffer.allocate(10), ByteBuffer.allocate(25)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: >= 26");
    assertThat(c.nonce()).isZero();
  }

  @ParameterizedTest
  @EnumSource(CipherFunction.class)
  void destroyZeroesTheKeyAndToStringNeverShowsIt(CipherFunction function) {
    CipherState c = pair(function)[0];
    String key = HexFormat.of().formatHex(c.key());

    assertThat(c.toString()).doesNotContain(key).contains("key=set");
    c.destroy();
    assertThat(c.hasKey()).isFalse();
    assertThat(c.toString()).contains("key=empty");
  }
}
