package dev.ett.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.inspect.Starts;
import dev.ett.policy.Host;
import dev.ett.policy.Policy;
import dev.ett.policy.Request;
import dev.ett.policy.StreamStart;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectorTest {
  @Test
  void theTransportTrippingOverAReusedDescriptorIsWorthARetry() {
    assumeTrue(Epoll.isAvailable(), "epoll transport not available");
    assertThat(
            Connector.isTransportGlitch(
                new UncheckedIOException(Errors.newIOException("epoll_ctl", -2))))
        .isTrue();
    assertThat(Connector.isTransportGlitch(new ClosedChannelException())).isTrue();
  }

  @Test
  void answersFromTheNetworkAreNot() {
    assertThat(Connector.isTransportGlitch(new ConnectException("Connection refused"))).isFalse();
    assertThat(Connector.isTransportGlitch(new ConnectTimeoutException("connection timed out")))
        .isFalse();
    assertThat(Connector.isTransportGlitch(null)).isFalse();
  }

  // ---- the per-address decision on a stream's first bytes, shared with ett policy check
  // ----------

  private static final Policy TLS_ONLY = Policy.parse("global", "accept 192.0.2.0/24:443 tls");
  private static final Request REQUESTED = new Request(new Host.Name("www.example.com"), 443);
  private static final List<InetAddress> ADDRESSES =
      List.of(address("192.0.2.1"), address("198.51.100.1"));

  @Test
  void atOpenARuleWithAProtocolWaitsAndOtherAddressesAreDecided() {
    var checked = Connector.check(TLS_ONLY, REQUESTED, ADDRESSES);
    assertThat(checked.get(0).decision().awaiting()).isTrue();
    assertThat(checked.get(1).decision().refused()).isTrue();
    assertThat(Connector.check(TLS_ONLY, REQUESTED, ADDRESSES, StreamStart.NOT_SEEN))
        .isEqualTo(checked);
  }

  @Test
  void onAClientHelloEachAddressIsDecidedAgain() {
    var start = StreamStart.of(ByteBuffer.wrap(Starts.clientHello("www.example.com")), false);
    var checked = Connector.check(TLS_ONLY, REQUESTED, ADDRESSES, start);
    assertThat(checked.get(0).decision().accepted()).isTrue();
    assertThat(checked.get(0).decision().seen().orElseThrow().serverName())
        .contains("www.example.com");
    assertThat(checked.get(1).decision().accepted()).isFalse();
  }

  @Test
  void aStartCutShortByTheClientsFinOrTheTimeBoundSaysHowFarItGot() {
    byte[] hello = Starts.clientHello("www.example.com");
    var cut = Connector.ended(ByteBuffer.wrap(hello, 0, 20).slice(), "within 10 s");
    var d = Connector.check(TLS_ONLY, REQUESTED, ADDRESSES.subList(0, 1), cut).get(0).decision();
    assertThat(d.refused()).isTrue();
    assertThat(d.reason())
        .endsWith("expected a TLS ClientHello, saw only 20 bytes of one within 10 s");
    var none = Connector.ended(ByteBuffer.allocate(0), "before the client's FIN");
    assertThat(
            Connector.check(TLS_ONLY, REQUESTED, ADDRESSES.subList(0, 1), none)
                .get(0)
                .decision()
                .reason())
        .endsWith("saw no data before the client's FIN");
    var banner = Connector.ended(ByteBuffer.wrap(Starts.sshBanner()), "within 10 s");
    assertThat(
            Connector.check(TLS_ONLY, REQUESTED, ADDRESSES.subList(0, 1), banner)
                .get(0)
                .decision()
                .reason())
        .endsWith("saw an SSH banner");
  }

  private static InetAddress address(String a) {
    try {
      return InetAddress.getByName(a);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
