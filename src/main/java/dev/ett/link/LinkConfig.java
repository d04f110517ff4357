package dev.ett.link;

import java.time.Duration;

/**
 * The tunables of one link, on either side. Defaults are PROTOCOL.md §6 and §7; every one can be
 * changed from the command line.
 */
public record LinkConfig(
    int initialWindow,
    int maxStreams,
    int maxPendingOpens,
    Duration keepalive,
    long rekeyBytes,
    Duration rekeyInterval,
    Duration handshakeTimeout,
    Duration connectTimeout,
    int maxQueuedAnswers) {

  /** The smallest initial stream window a peer may announce (P1, P2; PROTOCOL.md §4, §6). */
  public static final int MIN_WINDOW = 16 * 1024;

  /**
   * The largest initial window and the largest a window may grow to: 2^31 - 1. The fields are u32
   * on the wire, but a larger value is refused, not clamped, as HTTP/2 refuses a window above it
   * (RFC 9113 §6.5.2, §6.9.1): the same bound then holds for the handshake's windows and for WINDOW
   * increments, and a window always fits an int.
   */
  public static final int MAX_WINDOW = Integer.MAX_VALUE;

  /** The smallest rekey volume: below it, a REKEY would follow nearly every record. */
  public static final long MIN_REKEY_BYTES = 4096;

  /** Whether {@code window}, a u32 from P1 or P2, is in MIN_WINDOW..MAX_WINDOW. */
  public static boolean validWindow(long window) {
    return window >= MIN_WINDOW && window <= MAX_WINDOW;
  }

  public LinkConfig {
    if (initialWindow < MIN_WINDOW) {
      throw new IllegalArgumentException(
          "initialWindow: " + initialWindow + " (expected: >= " + MIN_WINDOW + ")");
    }
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams: " + maxStreams + " (expected: >= 1)");
    }
    if (maxPendingOpens < 1) {
      throw new IllegalArgumentException(
          "maxPendingOpens: " + maxPendingOpens + " (expected: >= 1)");
    }
    if (rekeyBytes < MIN_REKEY_BYTES) {
      throw new IllegalArgumentException(
          "rekeyBytes: " + rekeyBytes + " (expected: >= " + MIN_REKEY_BYTES + ")");
    }
    if (maxQueuedAnswers < 1) {
      throw new IllegalArgumentException(
          "maxQueuedAnswers: " + maxQueuedAnswers + " (expected: >= 1)");
    }
    requirePositive("keepalive", keepalive);
    requirePositive("rekeyInterval", rekeyInterval);
    requirePositive("handshakeTimeout", handshakeTimeout);
    requirePositive("connectTimeout", connectTimeout);
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
    }
  }

  public static LinkConfig defaults() {
    return new LinkConfig(
        256 * 1024,
        1024,
        128,
        Duration.ofSeconds(15),
        1L << 30,
        Duration.ofSeconds(120),
        Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        10_000);
  }

  public LinkConfig withInitialWindow(int v) {
    return new LinkConfig(
        v,
        maxStreams,
        maxPendingOpens,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        connectTimeout,
        maxQueuedAnswers);
  }

  public LinkConfig withMaxStreams(int v) {
    return new LinkConfig(
        initialWindow,
        v,
        maxPendingOpens,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        connectTimeout,
        maxQueuedAnswers);
  }

  public LinkConfig withMaxPendingOpens(int v) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        v,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        connectTimeout,
        maxQueuedAnswers);
  }

  public LinkConfig withKeepalive(Duration v) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        maxPendingOpens,
        v,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        connectTimeout,
        maxQueuedAnswers);
  }

  public LinkConfig withRekey(long bytes, Duration interval) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        maxPendingOpens,
        keepalive,
        bytes,
        interval,
        handshakeTimeout,
        connectTimeout,
        maxQueuedAnswers);
  }

  public LinkConfig withHandshakeTimeout(Duration v) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        maxPendingOpens,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        v,
        connectTimeout,
        maxQueuedAnswers);
  }

  /**
   * A peer that makes us answer (PONG, REFUSED) faster than it reads gets its link closed once this
   * many answers wait unsent (PING/OPEN floods from a peer that never reads).
   */
  public LinkConfig withMaxQueuedAnswers(int v) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        maxPendingOpens,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        connectTimeout,
        v);
  }

  public LinkConfig withConnectTimeout(Duration v) {
    return new LinkConfig(
        initialWindow,
        maxStreams,
        maxPendingOpens,
        keepalive,
        rekeyBytes,
        rekeyInterval,
        handshakeTimeout,
        v,
        maxQueuedAnswers);
  }
}
