package dev.ett.noise;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;

/**
 * The Noise hash functions (spec 12.5, 12.6) as JCA names. BLAKE2s/BLAKE2b are not in the JDK and
 * not implemented. SHA512 costs nothing extra, so it is here too (it exercises the HASHLEN = 64 key
 * truncation of spec 5.2).
 */
public enum HashFunction {
  SHA256("SHA256", "SHA-256", "HmacSHA256", 32, 64),
  SHA512("SHA512", "SHA-512", "HmacSHA512", 64, 128);

  private final String noiseName;
  private final String digestAlgorithm;
  private final String macAlgorithm;
  private final int hashLength;
  private final int blockLength;

  HashFunction(
      String noiseName,
      String digestAlgorithm,
      String macAlgorithm,
      int hashLength,
      int blockLength) {
    this.noiseName = noiseName;
    this.digestAlgorithm = digestAlgorithm;
    this.macAlgorithm = macAlgorithm;
    this.hashLength = hashLength;
    this.blockLength = blockLength;
  }

  public String noiseName() {
    return noiseName;
  }

  /** HASHLEN. */
  public int hashLength() {
    return hashLength;
  }

  /** BLOCKLEN (used by HMAC; the JCA Mac knows it already, kept for completeness). */
  public int blockLength() {
    return blockLength;
  }

  MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance(digestAlgorithm);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + digestAlgorithm, e);
    }
  }

  Mac newMac() {
    try {
      return Mac.getInstance(macAlgorithm);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + macAlgorithm, e);
    }
  }

  String macAlgorithm() {
    return macAlgorithm;
  }

  static HashFunction byNoiseName(String name) {
    for (HashFunction h : values()) {
      if (h.noiseName.equals(name)) {
        return h;
      }
    }
    return null;
  }
}
