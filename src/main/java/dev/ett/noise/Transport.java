package dev.ett.noise;

import java.util.Arrays;

/**
 * The result of a completed handshake, oriented for one side: {@link #sender()} encrypts what we
 * send, {@link #receiver()} decrypts what the peer sends. The initiator sends with c1 and the
 * responder with c2 (spec 5.3). {@link #chainingKey()} is the final ck, from which the link layer
 * derives later key updates.
 */
public final class Transport {
  private final CipherState sender;
  private final CipherState receiver;
  private byte[] chainingKey; // null once taken

  Transport(CipherState sender, CipherState receiver, byte[] chainingKey) {
    this.sender = sender;
    this.receiver = receiver;
    this.chainingKey = chainingKey.clone();
  }

  public CipherState sender() {
    return sender;
  }

  public CipherState receiver() {
    return receiver;
  }

  /**
   * A copy of the final chaining key; the caller owns (and should zero) it.
   *
   * @throws IllegalStateException after {@link #takeChainingKey()}
   */
  public byte[] chainingKey() {
    if (chainingKey == null) {
      throw new IllegalStateException("chainingKey() after takeChainingKey()");
    }
    return chainingKey.clone();
  }

  /**
   * Hands the final chaining key over: returns this transport's own array, which the caller now
   * owns and must zero, and keeps no copy. The link layer takes it this way because it takes the
   * cipher states too and never calls {@link #destroy()}: a copy left here would outlive the link,
   * unzeroed, until the garbage collector happened to reuse the memory.
   *
   * @throws IllegalStateException if already taken
   */
  public byte[] takeChainingKey() {
    if (chainingKey == null) {
      throw new IllegalStateException("takeChainingKey() twice");
    }
    byte[] ck = chainingKey;
    chainingKey = null;
    return ck;
  }

  /** Zeroes both cipher keys and the chaining key (unless it was taken: its taker zeroes it). */
  public void destroy() {
    sender.destroy();
    receiver.destroy();
    if (chainingKey != null) {
      Arrays.fill(chainingKey, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "Transport[sender=" + sender + ", receiver=" + receiver + "]";
  }
}
