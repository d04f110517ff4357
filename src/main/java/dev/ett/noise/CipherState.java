package dev.ett.noise;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.DestroyFailedException;

/**
 * A Noise CipherState (spec 5.1): a cipher key k (possibly empty) and a 64-bit nonce counter n.
 *
 * <p>Besides the spec's byte[] methods this is the transport hot path, so it also offers {@link
 * #encrypt(ByteBuffer, ByteBuffer)} / {@link #decrypt(ByteBuffer, ByteBuffer)} with empty
 * associated data (transport messages use zero-length AD). One {@link Cipher} and one {@link
 * SecretKeySpec} are kept per CipherState and re-initialised with the next nonce for each message,
 * so the only per-message allocation is the parameter spec the JCA API forces on us.
 *
 * <p>Not thread-safe: one CipherState per direction per connection, used by one thread at a time.
 */
public final class CipherState {
  /**
   * Spec 5.1: "The maximum n value (2^64-1) is reserved for other use. If incrementing n results in
   * 2^64-1, then any further EncryptWithAd() or DecryptWithAd() calls will signal an error to the
   * caller." As a signed long, 2^64-1 is -1.
   */
  private static final long MAX_NONCE = -1L;

  // Spec 4.2: REKEY defaults to ENCRYPT(k, maxnonce, zerolen, zeros), zeros being 32 zero bytes.
  private static final byte[] REKEY_ZEROS = new byte[CipherFunction.KEY_LENGTH];

  private final CipherFunction function;
  private final Cipher cipher;
  // Bytes 0..3 stay zero for both cipher functions; bytes 4..11 are n, re-encoded per message.
  private final byte[] nonceBytes = new byte[CipherFunction.NONCE_LENGTH];

  // Bounce buffer for direct ByteBuffers. The JDK's AES-GCM intrinsics work on byte arrays; on
  // direct memory it runs ~3x slower (measured with CipherSpeed on JDK 25), while two 64 KiB
  // copies cost little. Grows to the largest record seen.
  private byte[] scratchIn = new byte[0];
  private byte[] scratchOut = new byte[0];

  private byte[] k; // null means "empty" (spec: k may be empty)
  private SecretKeySpec keySpec;
  private long n;

  public CipherState(CipherFunction function) {
    if (function == null) {
      throw new IllegalArgumentException("function: null");
    }
    this.function = function;
    try {
      this.cipher = Cipher.getInstance(function.transformation());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + function.transformation(), e);
    }
  }

  /** An independent copy: same function, key and nonce; destroying one leaves the other intact. */
  public CipherState copy() {
    CipherState c = new CipherState(function);
    c.setKey(k);
    c.n = n;
    return c;
  }

  public CipherFunction function() {
    return function;
  }

  /** InitializeKey(key): sets k (copied; null means empty) and n = 0. */
  public void initializeKey(byte[] key) {
    setKey(key);
    n = 0;
  }

  /** HasKey(): true if k is non-empty. */
  public boolean hasKey() {
    return k != null;
  }

  /** SetNonce(nonce): n is unsigned; -1 stands for 2^64-1, which encrypt/decrypt then refuse. */
  public void setNonce(long nonce) {
    n = nonce;
  }

  /** The next nonce (unsigned), e.g. to decide when to rekey. */
  public long nonce() {
    return n;
  }

  /**
   * EncryptWithAd(ad, plaintext): ENCRYPT(k, n++, ad, plaintext), or plaintext itself if k is
   * empty.
   *
   * @throws IllegalStateException once the nonce reached 2^64-1 (the caller must rekey or stop long
   *     before)
   */
  public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
    if (k == null) {
      return plaintext.clone();
    }
    checkNonceForEncrypt();
    try {
      init(Cipher.ENCRYPT_MODE, n);
      if (ad != null && ad.length > 0) {
        cipher.updateAAD(ad);
      }
      byte[] ciphertext = cipher.doFinal(plaintext);
      n++;
      return ciphertext;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(function.noiseName() + " encryption failed", e);
    }
  }

  /**
   * DecryptWithAd(ad, ciphertext): DECRYPT(k, n++, ad, ciphertext), or ciphertext itself if k is
   * empty. Spec 5.1: "If an authentication failure occurs in DECRYPT() then n is not incremented
   * and an error is signaled to the caller."
   *
   * @throws NoiseException on a bad tag, a ciphertext shorter than the tag, or an exhausted nonce
   */
  public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws NoiseException {
    if (k == null) {
      return ciphertext.clone();
    }
    checkNonceForDecrypt();
    if (ciphertext.length < CipherFunction.TAG_LENGTH) {
      throw new NoiseException(
          "ciphertext: " + ciphertext.length + " bytes (expected: >= 16, the tag)");
    }
    try {
      init(Cipher.DECRYPT_MODE, n);
      if (ad != null && ad.length > 0) {
        cipher.updateAAD(ad);
      }
      byte[] plaintext = cipher.doFinal(ciphertext);
      n++;
      return plaintext;
    } catch (AEADBadTagException e) {
      throw new NoiseException("bad MAC", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(function.noiseName() + " decryption failed", e);
    }
  }

  /**
   * Encrypts all of {@code plaintext}'s remaining bytes with empty AD into {@code out} at its
   * position, appending the 16-byte tag. Both buffers may be heap or direct; they may be the same
   * memory (the JCA copies overlapping input first). Positions advance by what was consumed and
   * written; limits and the buffers' ownership are unchanged.
   *
   * @return the number of bytes written: {@code plaintext.remaining() + 16} (or without the 16 if k
   *     is empty)
   * @throws IllegalArgumentException if {@code out} has too little room
   * @throws IllegalStateException once the nonce reached 2^64-1
   */
  public int encrypt(ByteBuffer plaintext, ByteBuffer out) {
    int length = plaintext.remaining();
    int needed = k == null ? length : length + CipherFunction.TAG_LENGTH;
    if (out.remaining() < needed) {
      throw new IllegalArgumentException(
          "out: " + out.remaining() + " bytes remaining (expected: >= " + needed + ")");
    }
    if (k == null) {
      out.put(plaintext);
      return length;
    }
    checkNonceForEncrypt();
    try {
      init(Cipher.ENCRYPT_MODE, n);
      int written;
      if (plaintext.hasArray() && out.hasArray()) {
        written = cipher.doFinal(plaintext, out);
      } else {
        // Separate arrays: with in == out the JDK's GCM allocates and zeroes a fresh output array
        // per call (GCMEngine.overlapDetection), which cost ~10% of a bulk transfer's CPU.
        byte[] result = scratchOut(needed);
        if (plaintext.hasArray()) {
          // Heap input (the record layer assembles plaintext on the heap): no copy in.
          int off = plaintext.arrayOffset() + plaintext.position();
          written = cipher.doFinal(plaintext.array(), off, length, result, 0);
          plaintext.position(plaintext.limit());
        } else {
          byte[] in = scratchIn(length);
          plaintext.get(in, 0, length);
          written = cipher.doFinal(in, 0, length, result, 0);
        }
        out.put(result, 0, written);
      }
      n++;
      return written;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(function.noiseName() + " encryption failed", e);
    }
  }

  /**
   * Decrypts all of {@code ciphertext}'s remaining bytes (a whole message including its tag) with
   * empty AD into {@code out} at its position. On failure neither buffer's position moves and n is
   * not incremented (spec 5.1); {@code out}'s bytes past its position may have been overwritten.
   *
   * @return the number of plaintext bytes written: {@code ciphertext.remaining() - 16}
   * @throws NoiseException on a bad tag, a message shorter than the tag or an exhausted nonce
   * @throws IllegalArgumentException if {@code out} has too little room
   */
  public int decrypt(ByteBuffer ciphertext, ByteBuffer out) throws NoiseException {
    int length = ciphertext.remaining();
    if (k == null) {
      if (out.remaining() < length) {
        throw new IllegalArgumentException(
            "out: " + out.remaining() + " bytes remaining (expected: >= " + length + ")");
      }
      out.put(ciphertext);
      return length;
    }
    checkNonceForDecrypt();
    if (length < CipherFunction.TAG_LENGTH) {
      throw new NoiseException("ciphertext: " + length + " bytes (expected: >= 16, the tag)");
    }
    int needed = length - CipherFunction.TAG_LENGTH;
    if (out.remaining() < needed) {
      throw new IllegalArgumentException(
          "out: " + out.remaining() + " bytes remaining (expected: >= " + needed + ")");
    }
    int inPosition = ciphertext.position();
    int outPosition = out.position();
    try {
      init(Cipher.DECRYPT_MODE, n);
      int written;
      if (ciphertext.hasArray() && out.hasArray()) {
        written = cipher.doFinal(ciphertext, out);
      } else {
        byte[] result = scratchOut(needed);
        if (ciphertext.hasArray()) {
          // Heap input (the record layer's copy of a record that spanned two reads): no copy in.
          int off = ciphertext.arrayOffset() + inPosition;
          written = cipher.doFinal(ciphertext.array(), off, length, result, 0);
          ciphertext.position(ciphertext.limit());
        } else {
          byte[] in = scratchIn(length);
          ciphertext.get(in, 0, length);
          written = cipher.doFinal(in, 0, length, result, 0);
        }
        out.put(result, 0, written);
      }
      n++;
      return written;
    } catch (AEADBadTagException e) {
      ciphertext.position(inPosition);
      out.position(outPosition);
      throw new NoiseException("bad MAC", e);
    } catch (GeneralSecurityException e) {
      ciphertext.position(inPosition);
      out.position(outPosition);
      throw new IllegalStateException(function.noiseName() + " decryption failed", e);
    }
  }

  /**
   * Rekey(): k = REKEY(k). Spec 4.2: the default REKEY "returns the first 32 bytes from ENCRYPT(k,
   * maxnonce, zerolen, zeros)". Spec 5.1 only sets k, so n is left as it is.
   */
  public void rekey() {
    if (k == null) {
      throw new IllegalStateException("rekey() without a key");
    }
    byte[] output;
    try {
      init(Cipher.ENCRYPT_MODE, MAX_NONCE);
      output = cipher.doFinal(REKEY_ZEROS);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(function.noiseName() + " rekey failed", e);
    }
    byte[] newKey = Arrays.copyOf(output, CipherFunction.KEY_LENGTH);
    Arrays.fill(output, (byte) 0);
    setKey(newKey);
    Arrays.fill(newKey, (byte) 0);
  }

  /** Zeroes the key (and the bounce buffer); the CipherState is empty afterwards. */
  public void destroy() {
    setKey(null);
    n = 0;
    Arrays.fill(scratchIn, (byte) 0);
    Arrays.fill(scratchOut, (byte) 0);
  }

  private byte[] scratchIn(int size) {
    if (scratchIn.length < size) {
      Arrays.fill(scratchIn, (byte) 0);
      scratchIn = new byte[size];
    }
    return scratchIn;
  }

  private byte[] scratchOut(int size) {
    if (scratchOut.length < size) {
      Arrays.fill(scratchOut, (byte) 0);
      scratchOut = new byte[size];
    }
    return scratchOut;
  }

  /**
   * A copy of k, for the link layer's own key schedule and for tests; null if empty. The caller
   * owns (and should zero) the copy.
   */
  byte[] key() {
    return k == null ? null : k.clone();
  }

  @Override
  public String toString() {
    return "CipherState[" + function.noiseName() + ", key=" + (k == null ? "empty" : "set") + "]";
  }

  private void setKey(byte[] key) {
    if (key != null && key.length != CipherFunction.KEY_LENGTH) {
      throw new IllegalArgumentException(
          "key: " + key.length + " bytes (expected: " + CipherFunction.KEY_LENGTH + " bytes)");
    }
    if (k != null) {
      Arrays.fill(k, (byte) 0);
    }
    if (keySpec != null) {
      try {
        keySpec.destroy(); // zeroes its copy on JDKs that implement it (22+)
      } catch (DestroyFailedException e) {
        // Older JDKs cannot destroy a SecretKeySpec; nothing more we can do.
      }
    }
    if (key == null) {
      k = null;
      keySpec = null;
    } else {
      k = key.clone();
      keySpec = new SecretKeySpec(k, function.keyAlgorithm());
    }
  }

  private void init(int mode, long nonce) throws GeneralSecurityException {
    function.encodeNonce(nonce, nonceBytes);
    cipher.init(mode, keySpec, function.parameters(nonceBytes));
  }

  private void checkNonceForEncrypt() {
    if (n == MAX_NONCE) {
      throw new IllegalStateException("nonce exhausted (2^64-1 is reserved); rekey or reconnect");
    }
  }

  private void checkNonceForDecrypt() throws NoiseException {
    if (n == MAX_NONCE) {
      throw new NoiseException("nonce exhausted (2^64-1 is reserved)");
    }
  }
}
