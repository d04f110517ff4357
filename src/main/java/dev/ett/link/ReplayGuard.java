package dev.ett.link;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Refuses a first handshake message whose timestamp is not newer than the last one accepted from
 * the same client key (PROTOCOL.md §4, server step 5). Only authenticated keys reach it, so it
 * holds at most one entry per authorized client. Thread-safe.
 */
public final class ReplayGuard {
  private final Map<ByteBuffer, byte[]> latest = new HashMap<>();

  /** Returns true and records {@code timestamp} if it is strictly newer than any seen for key. */
  public synchronized boolean accept(byte[] clientKey, byte[] timestamp) {
    if (timestamp.length != Tai64n.LENGTH) {
      return false;
    }
    ByteBuffer k = ByteBuffer.wrap(clientKey.clone());
    byte[] last = latest.get(k);
    if (last != null && Tai64n.compare(timestamp, last) <= 0) {
      return false;
    }
    latest.put(k, timestamp.clone());
    return true;
  }
}
