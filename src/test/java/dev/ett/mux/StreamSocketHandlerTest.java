package dev.ett.mux;

import static org.assertj.core.api.Assertions.assertThat;

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
}
