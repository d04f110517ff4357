package dev.ett.mux;

import dev.ett.wire.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Reads of a stream's socket: sized like Netty's adaptive allocator (small for a quiet socket,
 * growing while reads fill the buffer) but up to exactly one DATA frame's payload.
 *
 * <p>Netty's {@link AdaptiveRecvByteBufAllocator} rounds its maximum down to a power of two, so a
 * maximum of {@link Frame#MAX_DATA} (just under 64 KiB) read at most 32 KiB; a maximum of 64 KiB
 * would split every full read into a full frame and a 24-byte one. Either way twice the records,
 * AEAD calls, syscalls and wake-ups per byte. This handle lets the adaptive one grow to 64 KiB and
 * allocates the smaller of its guess and a frame's payload.
 */
final class FrameSizedReads implements RecvByteBufAllocator {
  static final FrameSizedReads INSTANCE = new FrameSizedReads();

  private final AdaptiveRecvByteBufAllocator adaptive =
      new AdaptiveRecvByteBufAllocator(64, 2048, Integer.highestOneBit(Frame.MAX_DATA) << 1);

  private FrameSizedReads() {}

  @Override
  public Handle newHandle() {
    return new Capped((ExtendedHandle) adaptive.newHandle());
  }

  private static final class Capped implements ExtendedHandle {
    private final ExtendedHandle adaptive;

    Capped(ExtendedHandle adaptive) {
      this.adaptive = adaptive;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
      return alloc.ioBuffer(guess());
    }

    @Override
    public int guess() {
      return Math.min(adaptive.guess(), Frame.MAX_DATA);
    }

    @Override
    public void reset(ChannelConfig config) {
      adaptive.reset(config);
    }

    @Override
    public void incMessagesRead(int numMessages) {
      adaptive.incMessagesRead(numMessages);
    }

    @Override
    public void lastBytesRead(int bytes) {
      // A full frame-sized read neither grows nor shrinks a 64 KiB guess: it is more than half of
      // it.
      adaptive.lastBytesRead(bytes);
    }

    @Override
    public int lastBytesRead() {
      return adaptive.lastBytesRead();
    }

    @Override
    public void attemptedBytesRead(int bytes) {
      adaptive.attemptedBytesRead(bytes);
    }

    @Override
    public int attemptedBytesRead() {
      return adaptive.attemptedBytesRead();
    }

    @Override
    public boolean continueReading() {
      return adaptive.continueReading();
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
      return adaptive.continueReading(maybeMoreDataSupplier);
    }

    @Override
    public void readComplete() {
      adaptive.readComplete();
    }
  }
}
