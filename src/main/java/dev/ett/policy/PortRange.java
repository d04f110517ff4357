package dev.ett.policy;

/** An inclusive TCP port range {@code low~high}; a single port has {@code low == high}. */
public record PortRange(int low, int high) {
  /** Every port; what {@code *} and a missing {@code :PORTS} mean. */
  public static final PortRange ALL = new PortRange(1, 65535);

  public PortRange {
    if (low < 1 || low > 65535) {
      throw new IllegalArgumentException("low: " + low + " (expected: 1~65535)");
    }
    if (high < low || high > 65535) {
      throw new IllegalArgumentException("high: " + high + " (expected: " + low + "~65535)");
    }
  }

  public boolean contains(int port) {
    return port >= low && port <= high;
  }

  @Override
  public String toString() {
    if (equals(ALL)) {
      return "*";
    }
    return low == high ? Integer.toString(low) : low + "-" + high;
  }
}
