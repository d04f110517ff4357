package dev.ett.link;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Refuses a replayed first handshake message while letting several handshakes under one client key
 * start at the same instant (PROTOCOL.md §4, server step 5 and "Replays"). Per client key it keeps
 * the newest timestamp accepted, a floor at or below which everything is refused (at least newest −
 * {@link #WINDOW_SECONDS}), and the (timestamp, ephemeral key) pairs accepted above the floor: a
 * replay carries the recorded message's ephemeral, so it is either still remembered or at or below
 * the floor, since a pair is forgotten only when the floor rises to its timestamp.
 *
 * <p>Only authenticated keys reach it (step 3 checked message 1's MACs, over {@code e} too), so an
 * entry per authorized client at most, each of at most {@link #MAX_PER_KEY} pairs, and {@link
 * #MAX_TOTAL} pairs for all keys together: a client key holder cannot grow it without bound.
 * Thread-safe (one lock; a handshake takes it once).
 */
public final class ReplayGuard {
  /** W: how much older than the newest accepted a timestamp may be (our choice). */
  public static final long WINDOW_SECONDS = 30;

  /** M: pairs remembered per client key; more within W raise that key's floor (our choice). */
  public static final int MAX_PER_KEY = 64;

  /** Pairs remembered for all keys together (our choice: about 1.5 MB). */
  public static final int MAX_TOTAL = 16384;

  /** Length of the ephemeral public key that identifies a message 1. */
  public static final int EPHEMERAL_LENGTH = 32;

  private record Pair(byte[] timestamp, ByteBuffer ephemeral) {}

  /** One client key's memory; pairs in the order accepted. */
  private static final class Seen {
    byte[] newest;
    byte[] floor;
    final ArrayDeque<Pair> pairs = new ArrayDeque<>();
  }

  private final Map<ByteBuffer, Seen> byKey = new HashMap<>();
  private int total;

  /**
   * Returns true and remembers the pair if {@code timestamp} is above the key's floor and {@code
   * ephemeral} (message 1's first 32 bytes) was not accepted before.
   */
  public synchronized boolean accept(byte[] clientKey, byte[] timestamp, byte[] ephemeral) {
    if (timestamp.length != Tai64n.LENGTH || ephemeral.length != EPHEMERAL_LENGTH) {
      return false;
    }
    Seen s = byKey.get(ByteBuffer.wrap(clientKey));
    if (s != null) {
      if (s.floor != null && Tai64n.compare(timestamp, s.floor) <= 0) {
        return false;
      }
      ByteBuffer e = ByteBuffer.wrap(ephemeral);
      for (Pair p : s.pairs) {
        if (p.ephemeral().equals(e)) {
          return false;
        }
      }
    } else {
      s = new Seen();
      byKey.put(ByteBuffer.wrap(clientKey.clone()), s);
    }
    if (s.pairs.size() >= MAX_PER_KEY) {
      forgetOldest(s);
    }
    if (total >= MAX_TOTAL) {
      if (s.pairs.isEmpty()) {
        forgetAll();
      } else {
        forgetOldest(s);
      }
    }
    byte[] t = timestamp.clone();
    if (s.floor == null || Tai64n.compare(t, s.floor) > 0) {
      s.pairs.add(new Pair(t, ByteBuffer.wrap(ephemeral.clone())));
      total++;
    } // else older than the pair just forgotten: the raised floor refuses its replay already
    if (s.newest == null || Tai64n.compare(t, s.newest) > 0) {
      s.newest = t;
      raiseFloor(s, windowBelow(t));
    }
    return true;
  }

  /** How many pairs are remembered now, for all keys (for tests). */
  synchronized int remembered() {
    return total;
  }

  /** Forgets the key's oldest pair and raises its floor to that pair's timestamp. */
  private void forgetOldest(Seen s) {
    byte[] oldest = null;
    for (Pair p : s.pairs) {
      if (oldest == null || Tai64n.compare(p.timestamp(), oldest) < 0) {
        oldest = p.timestamp();
      }
    }
    raiseFloor(s, oldest);
  }

  /** Every key's floor to its newest: only newer handshakes pass until pairs build up again. */
  private void forgetAll() {
    for (Seen s : byKey.values()) {
      raiseFloor(s, s.newest);
    }
  }

  /** floor = max(floor, to), and the pairs at or below it forgotten (they are refused by it). */
  private void raiseFloor(Seen s, byte[] to) {
    if (to == null || (s.floor != null && Tai64n.compare(to, s.floor) <= 0)) {
      return;
    }
    s.floor = to;
    for (Iterator<Pair> it = s.pairs.iterator(); it.hasNext(); ) {
      if (Tai64n.compare(it.next().timestamp(), to) <= 0) {
        it.remove();
        total--;
      }
    }
  }

  /** {@code t} − W, as TAI64N (t's nanoseconds kept); null if that is before TAI64N's origin. */
  private static byte[] windowBelow(byte[] t) {
    long seconds = ByteBuffer.wrap(t).getLong();
    if (seconds < WINDOW_SECONDS) {
      return null;
    }
    byte[] out = t.clone();
    ByteBuffer.wrap(out).putLong(seconds - WINDOW_SECONDS);
    return out;
  }
}
