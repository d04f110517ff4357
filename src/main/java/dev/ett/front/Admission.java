package dev.ett.front;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A {@code -D} port's connection cap and its lists of connections still reading their request (see
 * {@link ProxyFront}'s class comment for the rules): which connection may stay, and which is closed
 * to make room.
 *
 * <p>Threading: with {@code --links N} the port's connections live on N event loops (each accepted
 * socket is registered on the loop of the link that will carry its stream), so this state is shared
 * by them all and every method takes this object's lock. A lock rather than one owning loop: the
 * decisions are a few set operations, and the alternative (deciding on one loop, then moving the
 * socket to its link's loop) would re-register live sockets between loops, which Netty supports
 * poorly, or hop between loops for every event. A connection holds a <i>slot</i> from its admission
 * to its close; a slot taken to make room passes to the newcomer at once, under the lock, so the
 * count never goes over the cap even while the evicted socket's close is still on its way to its
 * own loop.
 *
 * @param <C> a connection (a socket); compared by identity
 */
final class Admission<C> {
  /**
   * What became of a new connection.
   *
   * @param evicted the connection whose slot it took (the caller closes it), or null
   * @param evictions connections closed to make room since the start, this one's eviction included
   */
  record Verdict<T>(boolean admitted, T evicted, long evictions) {}

  private final int max;

  /** Connections holding a slot. */
  private final Set<C> holders = new HashSet<>();

  /**
   * Connections still reading their request, oldest first: those that sent nothing, and the others.
   */
  private final Set<C> silent = new LinkedHashSet<>(), talking = new LinkedHashSet<>();

  private long evicted;

  Admission(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    this.max = max;
  }

  /**
   * A new connection: admitted with a free slot; else admitted with the slot of the oldest
   * connection still reading its request, one that has sent nothing first (returned: the caller
   * closes it); else refused (every connection carries a stream). An admitted connection counts as
   * silent until {@link #spoke}.
   */
  synchronized Verdict<C> admit(C c) {
    C evict = null;
    if (holders.size() >= max) {
      Set<C> from = !silent.isEmpty() ? silent : talking;
      if (from.isEmpty()) {
        return new Verdict<>(false, null, evicted);
      }
      evict = from.iterator().next();
      from.remove(evict);
      holders.remove(evict); // its slot is the newcomer's; its close releases nothing
      evicted++;
    }
    holders.add(c);
    silent.add(c);
    return new Verdict<>(true, evict, evicted);
  }

  /** The connection sent its first bytes: it moves behind the silent ones (if still reading). */
  synchronized void spoke(C c) {
    if (silent.remove(c)) {
      talking.add(c);
    }
  }

  /**
   * The connection's request is complete and its socket goes to a stream: it can no longer be
   * closed to make room. False if it was closed to make room meanwhile (or is closed): the caller
   * must not hand it off.
   */
  synchronized boolean handOff(C c) {
    silent.remove(c);
    talking.remove(c);
    return holders.contains(c);
  }

  /** The connection closed: its slot (if it still held one) is free. */
  synchronized void closed(C c) {
    silent.remove(c);
    talking.remove(c);
    holders.remove(c);
  }

  /** Connections holding a slot now. */
  synchronized int connections() {
    return holders.size();
  }
}
