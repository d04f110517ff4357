package dev.ett.noise;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * The Noise DH functions for Curve25519 (spec 12.1) on top of the JDK's XDH provider, working on
 * the raw 32-byte strings Noise puts on the wire.
 *
 * <p>The JDK has no "raw bytes in, raw bytes out" X25519, so keys are converted: a private key is
 * the RFC 7748 scalar string (the provider clamps it), a public key is the little-endian
 * u-coordinate, whose top bit "MUST" be masked (RFC 7748 section 5).
 */
public final class X25519 {
  // From the specification (spec 12.1: DHLEN = 32).
  public static final int KEY_LENGTH = 32;

  private static final BigInteger BASE_POINT_U = BigInteger.valueOf(9);
  private static final SecureRandom RANDOM = new SecureRandom();

  // KeyFactory and KeyAgreement are not thread-safe, and getInstance() costs a provider lookup.
  private static final ThreadLocal<KeyFactory> KEY_FACTORY =
      ThreadLocal.withInitial(() -> newInstance(() -> KeyFactory.getInstance("X25519")));
  private static final ThreadLocal<KeyAgreement> KEY_AGREEMENT =
      ThreadLocal.withInitial(() -> newInstance(() -> KeyAgreement.getInstance("X25519")));

  private X25519() {}

  /** GENERATE_KEYPAIR(): a fresh random key pair. */
  public static KeyPair generate() {
    byte[] privateKey = new byte[KEY_LENGTH];
    RANDOM.nextBytes(privateKey);
    return new KeyPair(privateKey, publicKey(privateKey));
  }

  /** The public key of {@code privateKey}: X25519(k, 9). */
  public static byte[] publicKey(byte[] privateKey) {
    checkLength("privateKey", privateKey);
    try {
      return agree(privateKey, BASE_POINT_U);
    } catch (GeneralSecurityException e) {
      // The base point has large prime order, so this is a provider problem, not bad input.
      throw new IllegalStateException("X25519 base point multiplication failed", e);
    }
  }

  /**
   * DH(key_pair, public_key): the shared secret of our private key and the peer's public key.
   *
   * @throws NoiseException if the result is all zeros, i.e. the peer sent a low-order point. Spec
   *     12.1 lets implementations reject that, and we do: it would make the "ee"/"es" mix
   *     contribute nothing the peer did not choose.
   */
  public static byte[] dh(byte[] privateKey, byte[] publicKey) throws NoiseException {
    checkLength("privateKey", privateKey);
    checkLength("publicKey", publicKey);
    byte[] shared;
    try {
      shared = agree(privateKey, toU(publicKey));
    } catch (GeneralSecurityException e) {
      throw new NoiseException("X25519 rejected the peer public key (low order point?)", e);
    }
    int acc = 0;
    for (byte b : shared) {
      acc |= b;
    }
    if (acc == 0) {
      throw new NoiseException("X25519 result is all zeros (low order peer public key)");
    }
    return shared;
  }

  private static byte[] agree(byte[] privateKey, BigInteger u) throws GeneralSecurityException {
    KeyFactory factory = KEY_FACTORY.get();
    PrivateKey priv =
        factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey));
    PublicKey pub = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
    KeyAgreement agreement = KEY_AGREEMENT.get();
    agreement.init(priv);
    agreement.doPhase(pub, true);
    return agreement.generateSecret();
  }

  /** Little-endian bytes to the u-coordinate, with the top bit masked (RFC 7748 section 5). */
  private static BigInteger toU(byte[] publicKey) {
    byte[] bigEndian = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH; i++) {
      bigEndian[i] = publicKey[KEY_LENGTH - 1 - i];
    }
    bigEndian[0] &= 0x7f;
    return new BigInteger(1, bigEndian);
  }

  private static void checkLength(String what, byte[] key) {
    if (key == null || key.length != KEY_LENGTH) {
      throw new IllegalArgumentException(
          what
              + ": "
              + (key == null ? "null" : key.length + " bytes")
              + " (expected: "
              + KEY_LENGTH
              + " bytes)");
    }
  }

  private interface Factory<T> {
    T create() throws GeneralSecurityException;
  }

  private static <T> T newInstance(Factory<T> factory) {
    try {
      return factory.create();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no X25519 provider", e);
    }
  }
}
