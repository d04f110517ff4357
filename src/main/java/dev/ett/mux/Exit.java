package dev.ett.mux;

import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * The server's way out (implemented in {@code dev.ett.exit}): resolve, check policy, connect. The
 * mux only needs this much of it.
 */
public interface Exit {
  /**
   * Opens a TCP connection to {@code destination} for {@code client}, registered on {@code loop}
   * with AUTO_READ off, and reports on {@code loop}.
   */
  void open(String client, Destination destination, EventLoop loop, Callback callback);

  interface Callback {
    void connected(Channel socket, Destination bound);

    void refused(RefuseCode code, String reason);
  }
}
