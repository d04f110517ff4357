package dev.ett.noise;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A Diffie-Hellman key pair (spec 4.1, GENERATE_KEYPAIR), both halves raw 32-byte X25519 strings.
 *
 * <p>The record keeps the arrays it is given (no copies, so {@link #destroy()} really zeroes the
 * caller's key); {@link #toString()} shows the public key only.
 */
public record KeyPair(byte[] privateKey, byte[] publicKey) {
  public KeyPair {
    if (privateKey == null || privateKey.length != X25519.KEY_LENGTH) {
      throw new IllegalArgumentException(
          "privateKey: "
              + (privateKey == null ? "null" : privateKey.length + " bytes")
              + " (expected: "
              + X25519.KEY_LENGTH
              + " bytes)");
    }
    if (publicKey == null || publicKey.length != X25519.KEY_LENGTH) {
      throw new IllegalArgumentException(
          "publicKey: "
              + (publicKey == null ? "null" : publicKey.length + " bytes")
              + " (expected: "
              + X25519.KEY_LENGTH
              + " bytes)");
    }
  }

  /** Derives the public half from a raw private key (which this pair then owns). */
  public static KeyPair fromPrivateKey(byte[] privateKey) {
    return new KeyPair(privateKey, X25519.publicKey(privateKey));
  }

  /** Zeroes the private key; the pair must not be used afterwards. */
  public void destroy() {
    Arrays.fill(privateKey, (byte) 0);
  }

  @Override
  public boolean equals(Object o) {
    // Compare public keys only: two pairs with the same public key have the same private key
    // (up to clamping), and a constant-time comparison of secrets is not needed here.
    return o instanceof KeyPair other && Arrays.equals(publicKey, other.publicKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return "KeyPair[publicKey=" + HexFormat.of().formatHex(publicKey) + ", privateKey=<hidden>]";
  }
}
