package dev.ett.noise;

/**
 * A Noise operation failed because of what the peer sent: a bad MAC, a truncated or oversized
 * message, a low-order public key. Callers that have not yet authenticated the peer drop the
 * message silently; the message of this exception never contains key material.
 */
public final class NoiseException extends Exception {
  public NoiseException(String message) {
    super(message);
  }

  public NoiseException(String message, Throwable cause) {
    super(message, cause);
  }
}
