package dev.ett.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise SymmetricState (spec 5.2): a CipherState plus the chaining key ck and the handshake hash
 * h. Used only during the handshake; {@link #split()} hands over to two transport CipherStates.
 */
public final class SymmetricState {
  private static final byte[] ZEROLEN = new byte[0];

  private final HashFunction hash;
  private final MessageDigest digest;
  private final Mac mac;
  private final CipherState cipherState;

  private byte[] chainingKey; // ck
  private byte[] handshakeHash; // h

  public SymmetricState(CipherFunction cipher, HashFunction hash) {
    this.hash = hash;
    this.digest = hash.newDigest();
    this.mac = hash.newMac();
    this.cipherState = new CipherState(cipher);
  }

  private SymmetricState(SymmetricState from) {
    this.hash = from.hash;
    this.digest = hash.newDigest();
    this.mac = hash.newMac();
    this.cipherState = from.cipherState.copy();
    this.chainingKey = from.chainingKey == null ? null : from.chainingKey.clone();
    this.handshakeHash = from.handshakeHash == null ? null : from.handshakeHash.clone();
  }

  /** An independent copy of ck, h and the cipher state. */
  public SymmetricState copy() {
    return new SymmetricState(this);
  }

  /**
   * InitializeSymmetric(protocol_name): "If protocol_name is less than or equal to HASHLEN bytes in
   * length, sets h equal to protocol_name with zero bytes appended to make HASHLEN bytes. Otherwise
   * sets h = HASH(protocol_name). Sets ck = h. Calls InitializeKey(empty)."
   */
  public void initializeSymmetric(String protocolName) {
    byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
    if (name.length <= hash.hashLength()) {
      handshakeHash = Arrays.copyOf(name, hash.hashLength());
    } else {
      handshakeHash = digest.digest(name);
    }
    chainingKey = handshakeHash.clone();
    cipherState.initializeKey(null);
  }

  /**
   * MixKey(input_key_material): "Sets ck, temp_k = HKDF(ck, input_key_material, 2). If HASHLEN is
   * 64, then truncates temp_k to 32 bytes. Calls InitializeKey(temp_k)."
   */
  public void mixKey(byte[] inputKeyMaterial) {
    byte[][] out = hkdf(chainingKey, inputKeyMaterial, 2);
    replaceChainingKey(out[0]);
    initializeKeyTruncated(cipherState, out[1]);
  }

  /** MixHash(data): "Sets h = HASH(h || data)." */
  public void mixHash(byte[] data) {
    digest.update(handshakeHash);
    digest.update(data);
    handshakeHash = digest.digest();
  }

  /**
   * MixKeyAndHash(input_key_material), used for "psk" tokens: "Sets ck, temp_h, temp_k = HKDF(ck,
   * input_key_material, 3). Calls MixHash(temp_h). If HASHLEN is 64, then truncates temp_k to 32
   * bytes. Calls InitializeKey(temp_k)."
   */
  public void mixKeyAndHash(byte[] inputKeyMaterial) {
    byte[][] out = hkdf(chainingKey, inputKeyMaterial, 3);
    replaceChainingKey(out[0]);
    mixHash(out[1]);
    initializeKeyTruncated(cipherState, out[2]);
  }

  /** GetHandshakeHash(): a copy of h. */
  public byte[] getHandshakeHash() {
    return handshakeHash.clone();
  }

  /** A copy of the chaining key ck; the caller owns and should zero it. */
  public byte[] chainingKey() {
    return chainingKey.clone();
  }

  /** Whether the inner CipherState has a key (decides if "s" is sent encrypted). */
  public boolean hasKey() {
    return cipherState.hasKey();
  }

  /**
   * EncryptAndHash(plaintext): "Sets ciphertext = EncryptWithAd(h, plaintext), calls
   * MixHash(ciphertext), and returns ciphertext."
   */
  public byte[] encryptAndHash(byte[] plaintext) {
    byte[] ciphertext = cipherState.encryptWithAd(handshakeHash, plaintext);
    mixHash(ciphertext);
    return ciphertext;
  }

  /**
   * DecryptAndHash(ciphertext): "Sets plaintext = DecryptWithAd(h, ciphertext), calls
   * MixHash(ciphertext), and returns plaintext."
   */
  public byte[] decryptAndHash(byte[] ciphertext) throws NoiseException {
    byte[] plaintext = cipherState.decryptWithAd(handshakeHash, ciphertext);
    mixHash(ciphertext);
    return plaintext;
  }

  /**
   * Split(): "Sets temp_k1, temp_k2 = HKDF(ck, zerolen, 2). If HASHLEN is 64, then truncates
   * temp_k1 and temp_k2 to 32 bytes. Creates two new CipherState objects c1 and c2. Calls
   * c1.InitializeKey(temp_k1) and c2.InitializeKey(temp_k2). Returns the pair (c1, c2)."
   */
  public CipherPair split() {
    byte[][] out = hkdf(chainingKey, ZEROLEN, 2);
    CipherState c1 = new CipherState(cipherState.function());
    CipherState c2 = new CipherState(cipherState.function());
    initializeKeyTruncated(c1, out[0]);
    initializeKeyTruncated(c2, out[1]);
    return new CipherPair(c1, c2);
  }

  /** The two CipherStates of Split(): c1 carries initiator-to-responder traffic, c2 the reverse. */
  public record CipherPair(CipherState c1, CipherState c2) {}

  /** Zeroes ck and the cipher key. h is not secret (spec 11.2 lets it be used for binding). */
  public void destroy() {
    if (chainingKey != null) {
      Arrays.fill(chainingKey, (byte) 0);
    }
    cipherState.destroy();
  }

  @Override
  public String toString() {
    return "SymmetricState[" + cipherState.function().noiseName() + ", " + hash.noiseName() + "]";
  }

  private void replaceChainingKey(byte[] next) {
    Arrays.fill(chainingKey, (byte) 0);
    chainingKey = next;
  }

  private static void initializeKeyTruncated(CipherState c, byte[] tempKey) {
    // Keys are 32 bytes; with a 64-byte hash "truncates temp_k to 32 bytes".
    byte[] key = Arrays.copyOf(tempKey, CipherFunction.KEY_LENGTH);
    c.initializeKey(key);
    Arrays.fill(key, (byte) 0);
    Arrays.fill(tempKey, (byte) 0);
  }

  /**
   * HKDF(chaining_key, input_key_material, num_outputs) of spec 4.3:
   *
   * <pre>
   * temp_key = HMAC-HASH(chaining_key, input_key_material)
   * output1 = HMAC-HASH(temp_key, byte(0x01))
   * output2 = HMAC-HASH(temp_key, output1 || byte(0x02))
   * output3 = HMAC-HASH(temp_key, output2 || byte(0x03))   (only if num_outputs == 3)
   * </pre>
   */
  private byte[][] hkdf(byte[] ck, byte[] inputKeyMaterial, int numOutputs) {
    byte[] tempKey = hmac(ck, inputKeyMaterial, null);
    byte[][] outputs = new byte[numOutputs][];
    byte[] previous = ZEROLEN;
    for (int i = 0; i < numOutputs; i++) {
      outputs[i] = hmac(tempKey, previous, (byte) (i + 1));
      previous = outputs[i];
    }
    Arrays.fill(tempKey, (byte) 0);
    return outputs;
  }

  private byte[] hmac(byte[] key, byte[] data, Byte suffix) {
    SecretKeySpec keySpec = new SecretKeySpec(key, hash.macAlgorithm());
    try {
      mac.init(keySpec);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(hash.macAlgorithm() + " refused a key", e);
    }
    mac.update(data);
    if (suffix != null) {
      mac.update(suffix);
    }
    byte[] result = mac.doFinal();
    try {
      keySpec.destroy();
    } catch (javax.security.auth.DestroyFailedException e) {
      // Older JDKs cannot destroy a SecretKeySpec.
    }
    return result;
  }
}
