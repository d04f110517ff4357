package dev.ett.mux;

import dev.ett.wire.Destination;
import io.netty.channel.EventLoop;
import java.util.Optional;

/**
 * The client's way out for streams the server opens (ROPEN, PROTOCOL.md §10.2): it decides on its
 * own where a listener's stream may go — never simply where the server says — and connects it.
 */
public interface ReverseExit {
  /**
   * Connects the stream for listener {@code listener}, registered on {@code loop} with AUTO_READ
   * off, and reports on {@code loop} through {@code callback} ({@link Exit.Callback#connected} or
   * {@link Exit.Callback#refused}; never the first-bytes methods).
   *
   * @param destination what a proxy listener's stream asks for; empty for a forward listener
   */
  void open(
      int listener, Optional<Destination> destination, EventLoop loop, Exit.Callback callback);
}
