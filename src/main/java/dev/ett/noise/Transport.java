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
  private final byte[] chainingKey;

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

  /** A copy of the final chaining key; the caller owns (and should zero) it. */
  public byte[] chainingKey() {
    return chainingKey.clone();
  }

  /** Zeroes both cipher keys and the chaining key. */
  public void destroy() {
    sender.destroy();
    receiver.destroy();
    Arrays.fill(chainingKey, (byte) 0);
  }

  @Override
  public String toString() {
    return "Transport[sender=" + sender + ", receiver=" + receiver + "]";
  }
}
