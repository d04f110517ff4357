package dev.ett.route;

import java.util.List;

/**
 * The servers a client's streams pass through, in order: the client links to hop 1, through it to
 * hop 2, and so on; streams to destinations leave from the last hop. A route of one hop is the
 * plain client-server case.
 */
public record Route(List<Hop> hops) {
  /** More layers only add latency and CPU: each is a full link inside the one before. */
  public static final int MAX_HOPS = 8;

  public Route {
    if (hops == null || hops.isEmpty()) {
      throw new IllegalArgumentException("hops: none (expected: 1~" + MAX_HOPS + ")");
    }
    if (hops.size() > MAX_HOPS) {
      throw new IllegalArgumentException(
          "hops: " + hops.size() + " (expected: 1~" + MAX_HOPS + ")");
    }
    hops = List.copyOf(hops);
    for (int i = 1; i < hops.size(); i++) {
      if (hops.get(i).equals(hops.get(i - 1))) {
        throw new IllegalArgumentException(
            "hops "
                + i
                + " and "
                + (i + 1)
                + ": both "
                + hops.get(i)
                + " (expected: a different server)");
      }
    }
  }

  public int size() {
    return hops.size();
  }

  /** Hop {@code n}, counted from 1 as in messages. */
  public Hop hop(int n) {
    return hops.get(n - 1);
  }

  /** {@code hop n (host:port)}, how messages name a hop. */
  public String name(int n) {
    return "hop " + n + " (" + hop(n) + ")";
  }

  @Override
  public String toString() {
    return String.join(" -> ", hops.stream().map(Hop::toString).toList());
  }
}
