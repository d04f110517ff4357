package dev.ett.policy;

import java.util.function.LongSupplier;

/**
 * The admission state of one client across all its links: how many streams it has open, and a token
 * bucket for new streams per second. Thread-safe (links run on different event loops); every method
 * is short and never blocks on I/O.
 *
 * <p>Every {@link #tryOpen} that returns {@link Admission#ADMITTED} must be matched by exactly one
 * {@link #release} when the stream ends, whichever way it ends.
 */
public final class ClientLimits {
  /** The outcome of {@link #tryOpen}. */
  public enum Admission {
    ADMITTED,
    /** The client already has {@code maxStreams} streams open. */
    TOO_MANY_STREAMS,
    /** The client opened more than {@code rate} streams per second (after its burst). */
    RATE_EXCEEDED
  }

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final LongSupplier nanoClock;
  private Limits limits;
  private int streams;
  private double tokens;
  private long lastRefill;
  private double byteTokens;
  private long lastByteRefill;

  /**
   * @param limits effective limits (no {@link Limits#INHERIT} fields)
   * @param nanoClock {@link System#nanoTime} outside tests
   */
  public ClientLimits(Limits limits, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.lastRefill = nanoClock.getAsLong();
    this.lastByteRefill = lastRefill;
    setLimits(limits);
    this.tokens = limits.effectiveBurst();
    this.byteTokens = limits.bytesPerSecond();
  }

  /** Applies new limits (after a reload); open streams stay open even if now over the limit. */
  public synchronized void setLimits(Limits l) {
    if (l.maxStreams() < 0 || l.opensPerSecond() < 0 || l.burst() < 0 || l.bytesPerSecond() < 0) {
      throw new IllegalArgumentException(
          "limits: " + l + " (expected: effective limits, nothing inherited)");
    }
    refill();
    this.limits = l;
    tokens = Math.min(tokens, l.effectiveBurst());
  }

  public synchronized Limits limits() {
    return limits;
  }

  /** Counts a new stream if the limits allow it. */
  public synchronized Admission tryOpen() {
    if (limits.maxStreams() > 0 && streams >= limits.maxStreams()) {
      return Admission.TOO_MANY_STREAMS;
    }
    if (limits.opensPerSecond() > 0) {
      refill();
      if (tokens < 1) {
        return Admission.RATE_EXCEEDED;
      }
      tokens -= 1;
    }
    streams++;
    return Admission.ADMITTED;
  }

  /**
   * Counts {@code bytes} carried for this client (either direction) against its bandwidth cap and
   * returns how long, in nanoseconds, the caller should hold off before carrying more (0: go on).
   * The bucket holds one second's worth; going over leaves a debt that the wait pays off, so the
   * long-run rate is the cap and nothing is ever dropped.
   */
  public synchronized long consumeBytes(long bytes) {
    long bps = limits.bytesPerSecond();
    if (bps <= 0) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    long elapsed = now - lastByteRefill;
    lastByteRefill = now;
    if (elapsed > 0) {
      byteTokens = Math.min(bps, byteTokens + (double) elapsed * bps / NANOS_PER_SECOND);
    }
    byteTokens -= bytes;
    return byteTokens >= 0 ? 0 : (long) (-byteTokens * NANOS_PER_SECOND / bps);
  }

  /** An admitted stream ended. */
  public synchronized void release() {
    if (streams <= 0) {
      throw new IllegalStateException("release without an admitted stream");
    }
    streams--;
  }

  public synchronized int openStreams() {
    return streams;
  }

  /** One line for the refusal reason sent to the client and written to the audit trail. */
  public synchronized String describe(Admission a) {
    return switch (a) {
      case ADMITTED -> "admitted";
      case TOO_MANY_STREAMS ->
          "client limit: " + streams + " streams open (limit streams=" + limits.maxStreams() + ")";
      case RATE_EXCEEDED ->
          "client limit: more than "
              + limits.opensPerSecond()
              + " new streams per second (limit rate="
              + limits.opensPerSecond()
              + " burst="
              + limits.effectiveBurst()
              + ")";
    };
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    long elapsed = now - lastRefill;
    lastRefill = now;
    if (limits != null && limits.opensPerSecond() > 0 && elapsed > 0) {
      tokens =
          Math.min(
              limits.effectiveBurst(),
              tokens + (double) elapsed * limits.opensPerSecond() / NANOS_PER_SECOND);
    }
  }
}
