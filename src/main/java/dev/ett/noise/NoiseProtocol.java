package dev.ett.noise;

/**
 * A full Noise protocol name (spec 8), e.g. {@code Noise_IK_25519_AESGCM_SHA256}: pattern, DH,
 * cipher and hash functions. Only Curve25519, AESGCM/ChaChaPoly and SHA256/SHA512 are implemented.
 */
public record NoiseProtocol(HandshakePattern pattern, CipherFunction cipher, HashFunction hash) {
  public static final String DH_25519 = "25519";

  public NoiseProtocol {
    if (pattern == null || cipher == null || hash == null) {
      throw new IllegalArgumentException("pattern, cipher and hash must be non-null");
    }
  }

  /**
   * Parses {@code Noise_<pattern>_<dh>_<cipher>_<hash>}.
   *
   * @throws IllegalArgumentException naming the part that is malformed or unsupported
   */
  public static NoiseProtocol parse(String name) {
    if (name == null) {
      throw new IllegalArgumentException("protocol name: null");
    }
    String[] parts = name.split("_", -1);
    if (parts.length != 5 || !parts[0].equals("Noise")) {
      throw new IllegalArgumentException(
          "protocol name: "
              + name
              + " (expected: Noise_<pattern>_<dh>_<cipher>_<hash>, e.g. Noise_IK_25519_AESGCM_SHA256)");
    }
    HandshakePattern pattern;
    try {
      pattern = HandshakePattern.lookup(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "protocol name: " + name + ": unsupported " + e.getMessage(), e);
    }
    if (!parts[2].equals(DH_25519)) {
      throw new IllegalArgumentException(
          "protocol name: "
              + name
              + ": unsupported DH function "
              + parts[2]
              + " (expected: 25519)");
    }
    CipherFunction cipher = CipherFunction.byNoiseName(parts[3]);
    if (cipher == null) {
      throw new IllegalArgumentException(
          "protocol name: "
              + name
              + ": unsupported cipher "
              + parts[3]
              + " (expected: AESGCM or ChaChaPoly)");
    }
    HashFunction hash = HashFunction.byNoiseName(parts[4]);
    if (hash == null) {
      throw new IllegalArgumentException(
          "protocol name: "
              + name
              + ": unsupported hash "
              + parts[4]
              + " (expected: SHA256 or SHA512)");
    }
    return new NoiseProtocol(pattern, cipher, hash);
  }

  /** The protocol name, e.g. {@code Noise_XX_25519_ChaChaPoly_SHA256}. */
  public String name() {
    return "Noise_"
        + pattern.name()
        + "_"
        + DH_25519
        + "_"
        + cipher.noiseName()
        + "_"
        + hash.noiseName();
  }

  @Override
  public String toString() {
    return name();
  }
}
