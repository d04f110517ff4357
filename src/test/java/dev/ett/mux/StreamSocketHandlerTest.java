package dev.ett.mux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.wire.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import org.junit.jupiter.api.Test;

class StreamSocketHandlerTest {
  /**
   * Under load the epoll transport can hand a socket that is still connecting a stale read event
   * (its descriptor number was just freed by another socket in the same batch of events). The read
   * fails with ENOTCONN. Closing the socket then made the connect fail with a
   * ClosedChannelException and the stream was refused; the connect's own outcome must decide.
   */
  @Test
  void aStaleReadOnASocketStillConnectingDoesNotCloseIt() {
    EmbeddedChannel connecting = new Connecting();
    StreamSocketHandler.install(connecting);
    connecting.pipeline().fireExceptionCaught(new NotYetConnectedException());
    assertThat(connecting.isOpen()).isTrue();
    connecting.close();
  }

  /** A socket whose connect has not completed yet. */
  private static final class Connecting extends EmbeddedChannel {
    @Override
    public boolean isActive() {
      return false;
    }
  }

  @Test
  void aReadErrorOnAConnectedSocketClosesIt() {
    EmbeddedChannel connected = new EmbeddedChannel();
    StreamSocketHandler.install(connected);
    connected.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
    assertThat(connected.isOpen()).isFalse();
  }

  /**
   * A busy socket is read a whole DATA frame's payload at a time. Netty's adaptive allocator rounds
   * its maximum down to a power of two, so a maximum of MAX_DATA (just under 64 KiB) read 32 KiB:
   * twice the reads, records, syscalls and wake-ups per byte.
   */
  @Test
  void aBusySocketIsReadOneFullFrameAtATimeAndAQuietOneInSmallReads() {
    EmbeddedChannel socket = new EmbeddedChannel();
    StreamSocketHandler.install(socket);
    RecvByteBufAllocator.Handle reads = socket.config().getRecvByteBufAllocator().newHandle();
    assertThat(reads)
        .isInstanceOf(RecvByteBufAllocator.ExtendedHandle.class); // the epoll transport needs one
    for (int i = 0; i < 20; i++) {
      read(socket, reads, Integer.MAX_VALUE);
    }
    assertThat(reads.guess()).isEqualTo(Frame.MAX_DATA);
    assertThat(read(socket, reads, Integer.MAX_VALUE)).isEqualTo(Frame.MAX_DATA);
    for (int i = 0; i < 20; i++) {
      read(socket, reads, 100);
    }
    assertThat(reads.guess()).isLessThanOrEqualTo(1024);
    socket.close();
  }

  /**
   * One read of at most {@code available} bytes into the buffer the handle allocates; returns its
   * size.
   */
  private static int read(
      EmbeddedChannel socket, RecvByteBufAllocator.Handle reads, int available) {
    reads.reset(socket.config());
    ByteBuf buf = reads.allocate(UnpooledByteBufAllocator.DEFAULT);
    int size = buf.writableBytes();
    reads.attemptedBytesRead(size);
    reads.lastBytesRead(Math.min(size, available));
    reads.incMessagesRead(1);
    reads.readComplete();
    buf.release();
    return size;
  }
}
