package dev.ett.mux;

import dev.ett.wire.Destination;

/**
 * Told about every stream's end, for the audit trail and logs. Called on the link's event loop;
 * must not block.
 */
public interface StreamObserver {
  /**
   * @param peer the link's peer name (the client's name on the server)
   * @param requested where the stream was asked to go
   * @param connected the address actually used (server), or null if it never connected
   * @param bytesFromClient bytes carried client → destination
   * @param bytesToClient bytes carried destination → client
   * @param how "fin" (both sides closed cleanly), "reset by peer: ...", "reset: ...", "refused:
   *     ...", "link closed"
   */
  void onStreamEnd(
      String peer,
      int streamId,
      Destination requested,
      Destination connected,
      long bytesFromClient,
      long bytesToClient,
      long durationNanos,
      String how);

  StreamObserver NONE = (peer, id, requested, connected, in, out, d, how) -> {};
}
