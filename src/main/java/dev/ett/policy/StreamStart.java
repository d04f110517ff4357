package dev.ett.policy;

import dev.ett.inspect.FirstBytes;
import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the exit has seen of a stream's first client bytes when it decides: the input of a rule with
 * a protocol qualifier ({@code accept *:443 tls}). A rule without one never asks.
 */
public interface StreamStart {
  /**
   * What the bytes are, given that they should start {@code expected}: {@link Inspection.NeedMore}
   * while there are not enough to tell (never once the bytes are {@linkplain #of complete}).
   */
  Inspection as(Protocol expected);

  /** Nothing seen yet: every qualified rule waits. What a decision at OPEN time sees. */
  StreamStart NOT_SEEN = expected -> new Inspection.NeedMore();

  /**
   * The bytes between {@code bytes}' position and limit, from the stream's first on (read, never
   * copied or moved, see {@link FirstBytes}); each protocol is inspected once.
   *
   * @param complete no more bytes will come before the decision: the byte or time bound was
   *     reached, or the client half-closed; then no answer is NeedMore
   */
  static StreamStart of(ByteBuffer bytes, boolean complete) {
    Objects.requireNonNull(bytes, "bytes");
    Map<Protocol, Inspection> seen = new EnumMap<>(Protocol.class);
    return expected -> seen.computeIfAbsent(expected, p -> FirstBytes.inspect(p, bytes, complete));
  }
}
