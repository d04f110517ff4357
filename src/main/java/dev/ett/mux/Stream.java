package dev.ett.mux;

import dev.ett.wire.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayDeque;

/** One stream's state on one side of a link; owned and mutated only by its {@link Mux}. */
final class Stream {
  enum State {
    /** Client: OPEN sent. Server: resolving/connecting. */
    OPENING,
    /**
     * Opened toward the client; on the server, maybe still waiting for the first bytes (no socket).
     */
    OPEN,
    CLOSED
  }

  final int id;
  final SendWindow sendWindow;
  final WindowCounter recvWindow;
  final StreamListener listener;
  State state = State.OPENING;
  Channel socket;

  /** Whether we read the socket before OPENED (client -L) or only after (SOCKS). */
  boolean readBeforeOpened;

  /**
   * Bytes read from the socket that the send window did not let us send yet: normally at most one
   * read, but a socket whose peer closed is drained to its end by the transport regardless of
   * AUTO_READ (Netty reads until EOF after RDHUP), so this is a queue.
   */
  final ArrayDeque<ByteBuf> unsent = new ArrayDeque<>(2);

  /**
   * Received DATA not yet handed to the socket: it arrived before the destination connected, or
   * while the socket's outbound buffer was full. Bounded by the window in bytes of memory, not only
   * of payload: small payloads are appended to {@link #collecting} instead of each holding a buffer
   * (and a 64 KiB record, before FrameCodec copied them out: issue 12, item 1). Owned here until
   * written or released by {@code Mux.close}.
   */
  final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>(2);

  /** The last buffer of {@link #inbound} if the mux allocated it to collect small payloads. */
  ByteBuf collecting;

  /** Bytes this stream has charged to the link's buffer budget (held or being written). */
  long charged;

  /** The socket's output is being (or has been) shut after the peer's FIN. */
  boolean outputEnding;

  /** The socket reached EOF: FIN goes out once {@link #unsent} has. */
  boolean socketEof;

  boolean finSent;
  boolean finReceived;
  boolean outputShutdown;
  boolean waitingForLink;

  /** Reading is held off until this System.nanoTime() (bandwidth cap); 0 when not throttled. */
  long throttledUntil;

  ChannelFuture lastWrite;

  /** Bytes received from the peer (DATA in) and sent to it (DATA out). */
  long bytesIn, bytesOut;

  final long openedAt = System.nanoTime();
  Destination requested;
  Destination connected;

  /**
   * Non-null while the server waits for the stream's first bytes (PROTOCOL.md §6.1): OPENED went
   * out, there is no socket yet, every DATA received is held in {@link #inbound} and shown to the
   * judge, no window credit goes back.
   */
  Exit.Judge judge;

  /** The byte bound of that wait. */
  int firstBytesMax;

  /** Queued for the judge to look at once the link's current read is done. */
  boolean judgeDue;

  Stream(int id, int sendCredit, int recvWindow, StreamListener listener) {
    this.id = id;
    this.sendWindow = new SendWindow(sendCredit);
    this.recvWindow = new WindowCounter(recvWindow);
    this.listener = listener;
  }

  boolean readable() {
    return state != State.CLOSED
        && socket != null
        && (state == State.OPEN || readBeforeOpened)
        && !socketEof
        && unsent.isEmpty()
        && sendWindow.available() > 0;
  }

  @Override
  public String toString() {
    return "Stream[" + id + ", " + state + "]";
  }
}
