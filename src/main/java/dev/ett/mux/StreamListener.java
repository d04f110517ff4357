package dev.ett.mux;

import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;

/** What a front learns about a stream it opened. Called on the link's event loop. */
public interface StreamListener {
  /** The server connected to {@code bound}; the stream's socket now starts being read. */
  default void onOpened(Destination bound) {}

  /** The server refused; the mux closes nothing: the front answers its application and closes. */
  void onRefused(RefuseCode code, String reason);

  StreamListener NONE = (code, reason) -> {};
}
