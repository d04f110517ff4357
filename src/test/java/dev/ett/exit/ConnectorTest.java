package dev.ett.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class ConnectorTest {
  @Test
  void theTransportTrippingOverAReusedDescriptorIsWorthARetry() {
    assumeTrue(Epoll.isAvailable(), "epoll transport not available");
    assertThat(Connector.isTransportGlitch(new UncheckedIOException(Errors.newIOException("epoll_ctl", -2)))).isTrue();
    assertThat(Connector.isTransportGlitch(new ClosedChannelException())).isTrue();
  }

  @Test
  void answersFromTheNetworkAreNot() {
    assertThat(Connector.isTransportGlitch(new ConnectException("Connection refused"))).isFalse();
    assertThat(Connector.isTransportGlitch(new ConnectTimeoutException("connection timed out"))).isFalse();
    assertThat(Connector.isTransportGlitch(null)).isFalse();
  }
}
