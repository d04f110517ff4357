package dev.ett.mux;

/** Send-side credit of one stream: what the peer has allowed us to send (PROTOCOL.md §6). */
public final class SendWindow {
  /** The largest window a peer may grant (2^31 - 1), as in HTTP/2. */
  public static final long MAX = Integer.MAX_VALUE;

  private long credit;

  public SendWindow(int initial) {
    this.credit = initial;
  }

  public int available() {
    return (int) credit;
  }

  public void consume(int n) {
    if (n < 0 || n > credit) {
      throw new IllegalStateException("send " + n + " with credit " + credit);
    }
    credit -= n;
  }

  /** Adds a WINDOW increment; false if the window would overflow (a protocol error). */
  public boolean onWindowUpdate(int increment) {
    if (increment < 1 || credit + increment > MAX) {
      return false;
    }
    credit += increment;
    return true;
  }
}
