package dev.ett.mux;

/**
 * Receive-side credit of one stream (PROTOCOL.md §6), after OkHttp's WindowCounter: how much the
 * peer may still send, and how much the application has consumed but we have not yet returned. Pure
 * accounting; checks its own invariants.
 */
public final class WindowCounter {
  private final int initial;
  private long available;
  private long unacknowledged;

  public WindowCounter(int initial) {
    if (initial < 1) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: >= 1)");
    }
    this.initial = initial;
    this.available = initial;
  }

  /** The peer sent {@code n} bytes; false if that is more than it was allowed. */
  public boolean onReceived(int n) {
    if (n < 0 || n > available) {
      return false;
    }
    available -= n;
    return true;
  }

  /**
   * The application consumed {@code n} bytes. Returns the credit to send back now (0 for none):
   * credit goes back in batches of at least half the initial window, so small transfers cost no
   * extra frames.
   */
  public int onConsumed(int n) {
    unacknowledged += n;
    if (available + unacknowledged > initial) {
      throw new IllegalStateException("consumed more than was received");
    }
    if (unacknowledged >= initial / 2) {
      int credit = (int) unacknowledged;
      available += credit;
      unacknowledged = 0;
      return credit;
    }
    return 0;
  }

  public long available() {
    return available;
  }
}
