package dev.ett.server;

import dev.ett.link.HandshakeRejection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The server's unfinished handshakes (PROTOCOL.md §4, server step 1): at most {@code max} at once,
 * and at most {@link #perSource()} — an eighth of them — from one source, so that one source that
 * opens connections and never finishes them cannot keep everyone else out (issue 12, item 3: 256
 * idle connections from one address, reopened as the deadline closed them, kept every real client
 * out). A source is an IPv4 address or an IPv6 /64: one host gets one address, but one IPv6 host
 * (or site) gets a whole /64 to pick from.
 *
 * <p>At the cap a new connection is not refused: the oldest unfinished handshake makes room (its
 * eviction action closes it), preferring one that has not sent its preamble yet — a real client
 * sends it at once, so a silent one is not a client half-way through — and then the oldest of the
 * rest. Eight sources (eight IPv6 /64s are easy to come by) could otherwise fill the cap with idle
 * connections and keep every real client out; now an attacker must open the whole cap's worth of
 * connections within one real client's handshake round trip to push it out. A source at its share
 * is still refused rather than allowed to evict its own oldest: a source could then renew its share
 * as fast as it connects and keep its slots always the youngest, so that the cap's evictions fell
 * on everyone else's (older) ones; refused, its slots age and are the first to go.
 *
 * <p>The count never passes either limit, not even for a moment: the victim's slot is given back
 * and the new one taken in one step under the lock (the victim's socket is closed just after, so
 * the open sockets may pass the cap by the evictions under way, never the count). Thread-safe:
 * accepting threads admit, event loops release.
 */
final class HandshakeSlots {
  /**
   * One source may hold {@code max / SHARE_DIVISOR} (at least 1): eight sources to fill the cap.
   */
  static final int SHARE_DIVISOR = 8;

  private final int max;
  private final int perSource;
  private final Map<Source, Integer> bySource = new HashMap<>();

  /** Slots taken, oldest first: those whose connection has sent nothing, and the others. */
  private final Set<Slot> silent = new LinkedHashSet<>(), spoken = new LinkedHashSet<>();

  private int unfinished;
  private long evicted;

  HandshakeSlots(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    this.max = max;
    this.perSource = Math.max(1, max / SHARE_DIVISOR);
  }

  /** IPv4 address, or IPv6 /64 prefix. */
  private record Source(boolean v6, long bits) {
    static Source of(InetAddress a) {
      byte[] b = a.getAddress();
      if (a instanceof Inet4Address) {
        return new Source(false, Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(b).getInt()));
      }
      java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
      long hi = bb.getLong();
      long lo = bb.getLong();
      if (hi == 0 && (lo >>> 32) == 0xffffL) {
        return new Source(false, lo & 0xffffffffL); // ::ffff:a.b.c.d is a.b.c.d
      }
      return new Source(true, hi);
    }
  }

  /** A slot taken: give it back with {@link #release} (later calls do nothing). */
  final class Slot {
    private final Source source;

    /** Closes the connection when the slot is evicted; runs outside the lock. */
    private final Runnable evict;

    private boolean released;

    private Slot(Source source, Runnable evict) {
      this.source = source;
      this.evict = evict;
    }

    /**
     * Gives the slot back; true if this call did, false if it was already given back or evicted (an
     * evicted connection's close then reports nothing more).
     */
    boolean release() {
      synchronized (HandshakeSlots.this) {
        return free(this);
      }
    }

    /** The connection's preamble arrived: it is evicted only when no silent one is left. */
    void spoke() {
      synchronized (HandshakeSlots.this) {
        if (!released && silent.remove(this)) {
          spoken.add(this);
        }
      }
    }
  }

  /** Under the lock. */
  private boolean free(Slot s) {
    if (s.released) {
      return false;
    }
    s.released = true;
    unfinished--;
    bySource.computeIfPresent(s.source, (k, n) -> n == 1 ? null : n - 1);
    if (!silent.remove(s)) {
      spoken.remove(s);
    }
    return true;
  }

  /** Either a slot, or why there is none. */
  record Admission(Slot slot, HandshakeRejection refusal) {
    Admission {
      if ((slot == null) == (refusal == null)) {
        throw new IllegalArgumentException(
            "slot, refusal: " + slot + ", " + refusal + " (expected: exactly one)");
      }
    }

    boolean admitted() {
      return slot != null;
    }
  }

  /**
   * Takes a slot for a connection from {@code from}; {@code evict} closes that connection if its
   * slot is later evicted to make room at the cap. Refused only over the source's share. At the cap
   * the oldest silent slot (else the oldest slot) is given back and its {@code evict} run, on this
   * thread, before this returns.
   */
  Admission admit(InetAddress from, Runnable evict) {
    Source s = Source.of(from);
    Slot victim = null;
    Slot slot;
    synchronized (this) {
      int held = bySource.getOrDefault(s, 0);
      if (held >= perSource) {
        return new Admission(null, HandshakeRejection.SOURCE_SHARE);
      }
      if (unfinished >= max) {
        victim = (!silent.isEmpty() ? silent : spoken).iterator().next();
        free(victim);
        evicted++;
        held = bySource.getOrDefault(s, 0); // the victim may have been this source's
      }
      slot = new Slot(s, evict);
      bySource.put(s, held + 1);
      silent.add(slot);
      unfinished++;
    }
    if (victim != null) {
      victim.evict.run();
    }
    return new Admission(slot, null);
  }

  /** Slots evicted to make room at the cap, so far. */
  synchronized long evicted() {
    return evicted;
  }

  synchronized int unfinished() {
    return unfinished;
  }

  int perSource() {
    return perSource;
  }

  /** Sources with a handshake under way (the map holds no others). */
  synchronized int sources() {
    return bySource.size();
  }
}
