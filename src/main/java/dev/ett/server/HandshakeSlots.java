package dev.ett.server;

import dev.ett.link.HandshakeRejection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The server's unfinished handshakes (PROTOCOL.md §4, server step 1): at most {@code max} at once,
 * and at most {@link #perSource()} — an eighth of them — from one source, so that one source that
 * opens connections and never finishes them cannot keep everyone else out (issue 12, item 3: 256
 * idle connections from one address, reopened as the deadline closed them, kept every real client
 * out). A source is an IPv4 address or an IPv6 /64: one host gets one address, but one IPv6 host
 * (or site) gets a whole /64 to pick from. The count never passes either limit, not even for a
 * moment. Thread-safe: accepting threads admit, event loops release.
 */
final class HandshakeSlots {
  /** One source may hold {@code max / SHARE_DIVISOR} (at least 1): eight sources to fill the cap. */
  static final int SHARE_DIVISOR = 8;

  private final int max;
  private final int perSource;
  private final Map<Source, Integer> bySource = new HashMap<>();
  private int unfinished;

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
    private boolean released;

    private Slot(Source source) {
      this.source = source;
    }

    void release() {
      synchronized (HandshakeSlots.this) {
        if (released) {
          return;
        }
        released = true;
        unfinished--;
        bySource.computeIfPresent(source, (k, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  /** Either a slot, or why there is none. */
  record Admission(Slot slot, HandshakeRejection refusal) {
    Admission {
      if ((slot == null) == (refusal == null)) {
        throw new IllegalArgumentException("slot, refusal: " + slot + ", " + refusal + " (expected: exactly one)");
      }
    }

    boolean admitted() {
      return slot != null;
    }
  }

  synchronized Admission admit(InetAddress from) {
    if (unfinished >= max) {
      return new Admission(null, HandshakeRejection.CAP);
    }
    Source s = Source.of(from);
    int held = bySource.getOrDefault(s, 0);
    if (held >= perSource) {
      return new Admission(null, HandshakeRejection.SOURCE_SHARE);
    }
    bySource.put(s, held + 1);
    unfinished++;
    return new Admission(new Slot(s), null);
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
