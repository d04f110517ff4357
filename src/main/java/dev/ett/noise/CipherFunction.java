package dev.ett.noise;

import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * The Noise cipher functions (spec 12.3, 12.4) as JCA transformations. Both take a 32-byte key and
 * a 64-bit counter n, and append a 16-byte tag; they differ in how n becomes the 96-bit nonce.
 */
public enum CipherFunction {
  /**
   * Spec 12.4: "AES256 with GCM with a 128-bit tag appended to the ciphertext. The 96-bit nonce is
   * formed by encoding 32 bits of zeros followed by big-endian encoding of n."
   */
  AESGCM("AESGCM", "AES/GCM/NoPadding", "AES") {
    @Override
    void encodeNonce(long n, byte[] nonce) {
      for (int i = 0; i < 8; i++) {
        nonce[4 + i] = (byte) (n >>> (56 - 8 * i));
      }
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
      return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
    }
  },
  /**
   * Spec 12.3: "AEAD_CHACHA20_POLY1305 from RFC 7539. The 96-bit nonce is formed by encoding 32
   * bits of zeros followed by little-endian encoding of n."
   */
  CHACHAPOLY("ChaChaPoly", "ChaCha20-Poly1305", "ChaCha20") {
    @Override
    void encodeNonce(long n, byte[] nonce) {
      for (int i = 0; i < 8; i++) {
        nonce[4 + i] = (byte) (n >>> (8 * i));
      }
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
      return new IvParameterSpec(nonce);
    }
  };

  // From the specification: keys are 32 bytes, tags 16 bytes, nonces 96 bits (4 zero bytes + n).
  public static final int KEY_LENGTH = 32;
  public static final int TAG_LENGTH = 16;
  static final int NONCE_LENGTH = 12;

  private final String noiseName;
  private final String transformation;
  private final String keyAlgorithm;

  CipherFunction(String noiseName, String transformation, String keyAlgorithm) {
    this.noiseName = noiseName;
    this.transformation = transformation;
    this.keyAlgorithm = keyAlgorithm;
  }

  /** The name used in protocol names, e.g. {@code ChaChaPoly}. */
  public String noiseName() {
    return noiseName;
  }

  String transformation() {
    return transformation;
  }

  String keyAlgorithm() {
    return keyAlgorithm;
  }

  /** Writes n into bytes 4..11 of {@code nonce}; bytes 0..3 stay zero. */
  abstract void encodeNonce(long n, byte[] nonce);

  abstract AlgorithmParameterSpec parameters(byte[] nonce);

  /** The function named {@code name} in a protocol name, or null if we do not implement it. */
  static CipherFunction byNoiseName(String name) {
    for (CipherFunction c : values()) {
      if (c.noiseName.equals(name)) {
        return c;
      }
    }
    return null;
  }
}
