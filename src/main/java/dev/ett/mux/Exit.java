package dev.ett.mux;

import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.nio.ByteBuffer;

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

  /**
   * How an open ends. Either {@code connected} or {@code refused}; or, for a stream the policy
   * decides on its first bytes (PROTOCOL.md §6.1), {@code awaitFirstBytes} and later {@code
   * connected} or {@code reset}. Called on the stream's loop.
   */
  interface Callback {
    /**
     * Connected to {@code bound}. After {@link #awaitFirstBytes}: the first bytes were accepted,
     * and the held bytes go to {@code socket} before anything else.
     */
    void connected(Channel socket, Destination bound);

    /** Not opened: REFUSED {@code code}. Never after {@link #awaitFirstBytes}. */
    void refused(RefuseCode code, String reason);

    /**
     * The policy needs the stream's first bytes (PROTOCOL.md §6.1): the mux sends OPENED naming
     * {@code opened} at once, without a socket, and holds the stream's DATA without returning
     * window credit for it. It calls {@code judge} when DATA or the client's FIN came (once per
     * read of the link, however many frames it held; {@code maxBytes} reached shows as {@link
     * HeldBytes#full}), never from within this call: the exit looks at what is held already (0-RTT
     * DATA that came while it resolved) itself once this returns. The exit then answers once with
     * {@link #connected} or {@link #reset}, unless the stream ends first ({@link
     * Judge#onStreamEnd}).
     *
     * @param maxBytes the byte bound, 1..16 KiB and at most the initial window
     * @return the held bytes, to read until the exit answers or the stream ends (at a time bound,
     *     for instance)
     */
    HeldBytes awaitFirstBytes(Destination opened, int maxBytes, Judge judge);

    /**
     * After {@link #awaitFirstBytes}: the stream is not connected. RESET {@code code} ({@link
     * ResetCode#POLICY} refused on its first bytes, {@link ResetCode#UNREACHABLE} accepted but no
     * address connected); the held bytes are discarded.
     */
    void reset(ResetCode code);
  }

  /** The exit's side of a stream waiting for its first bytes; called on the stream's loop. */
  interface Judge {
    /** More bytes came, or the client's FIN, or the byte bound is reached: decide again. */
    void onFirstBytes(HeldBytes held);

    /**
     * The stream ended before the exit answered (the client reset it, the link closed, the buffer
     * budget reset it): forget it, cancel its timer. Its held bytes are freed already.
     */
    void onStreamEnd();
  }

  /** What a stream waiting for its first bytes holds. Read on the stream's loop only. */
  interface HeldBytes {
    /**
     * The first {@code min(size(), maxBytes)} bytes of the stream, read-only, position 0. It may be
     * a view of the mux's own buffers: read it within the call that got it, never keep it.
     */
    ByteBuffer view();

    /** Bytes held so far; may pass {@code maxBytes} (the client may send up to its window). */
    int size();

    /** The client half-closed: no more bytes are coming. */
    boolean fin();

    /** At least {@code maxBytes} are held: the bytes to decide on are all there. */
    boolean full();
  }
}
