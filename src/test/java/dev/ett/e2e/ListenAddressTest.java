package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.client.Client;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import dev.ett.util.Transports;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: a listening port takes connections on exactly the address it was given, as ssh
 * binds -L: {@code 0.0.0.0} is IPv4 only (a connection to {@code [::1]} is refused), {@code [::]}
 * is IPv6 only (ssh sets IPV6_V6ONLY), and {@code *} is every address of both families. The same
 * for -L, -D and the server's --listen. Connections go to 127.0.0.1 and ::1 only.
 */
class ListenAddressTest {
  private Client client;
  private final java.util.List<AutoCloseable> open = new java.util.ArrayList<>();

  @BeforeEach
  void client() {
    // Never started: the fronts only need its event loop to accept on.
    client =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", 1),
                X25519.generate().publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                16));
  }

  @AfterEach
  void close() throws Exception {
    // Listeners first: closing the client stops the event loop they are registered on.
    for (AutoCloseable c : open) {
      c.close();
    }
    client.close();
  }

  @Test
  void forwardOnIpv4AnyRefusesIpv6Connections() throws Exception {
    int p = forward("0.0.0.0:0:h:80");
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isFalse();
  }

  @Test
  void forwardOnIpv6AnyRefusesIpv4Connections() throws Exception {
    int p = forward("[::]:0:h:80");
    assertThat(connects("::1", p)).as("[::1]").isTrue();
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isFalse();
  }

  @Test
  void forwardOnStarTakesBothFamilies() throws Exception {
    int p = forward("*:0:h:80");
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isTrue();
  }

  @Test
  void forwardOnIpv6LoopbackIsIpv6Only() throws Exception {
    int p = forward("[::1]:0:h:80");
    assertThat(connects("::1", p)).as("[::1]").isTrue();
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isFalse();
  }

  @Test
  void proxyPortOnIpv4AnyRefusesIpv6Connections() throws Exception {
    int p = proxy("0.0.0.0:0");
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isFalse();
  }

  @Test
  void proxyPortOnAnEmptyBindTakesBothFamilies() throws Exception {
    int p = proxy(":0");
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isTrue();
  }

  @Test
  void serverListeningOnIpv4AnyRefusesIpv6Connections() throws Exception {
    int p = server(new InetSocketAddress("0.0.0.0", 0));
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isFalse();
  }

  @Test
  void serverListeningOnEveryAddressTakesBothFamilies() throws Exception {
    int p = server(Transports.everyAddress(0));
    assertThat(connects("127.0.0.1", p)).as("127.0.0.1").isTrue();
    assertThat(connects("::1", p)).as("[::1]").isTrue();
  }

  @Test
  void everyAddressPrintsAsAStar() {
    assertThat(Transports.text(Transports.everyAddress(7000))).isEqualTo("*:7000");
    assertThat(Transports.text(new InetSocketAddress("::1", 7000))).isEqualTo("[::1]:7000");
    assertThat(Transports.text(new InetSocketAddress("0.0.0.0", 7000))).isEqualTo("0.0.0.0:7000");
    assertThat(Transports.isEveryAddress(new InetSocketAddress("::", 7000))).isFalse();
  }

  @Test
  void aBindFailureSaysWhyInPlainWords() {
    Exception inUse =
        new java.io.IOException("bind(..) failed with error(-98): Address already in use");
    Exception notHere = new java.net.BindException("Cannot assign requested address");
    InetSocketAddress a = new InetSocketAddress("127.0.0.1", 9000);
    assertThat(Transports.listenFailure(a, "-L 127.0.0.1:9000:host:80", inUse))
        .isEqualTo(
            "cannot listen on 127.0.0.1:9000 (-L 127.0.0.1:9000:host:80): address already in use");
    assertThat(Transports.listenFailure(a, "--listen 127.0.0.1:9000", notHere))
        .isEqualTo(
            "cannot listen on 127.0.0.1:9000 (--listen 127.0.0.1:9000): no such address on this host");
  }

  @Test
  void aTakenPortIsReportedWithTheForwardItCameFrom() throws Exception {
    int p = forward("127.0.0.1:0:h:80");
    ForwardFront again = new ForwardFront(ForwardSpec.parse("127.0.0.1:" + p + ":h:81"), client);
    assertThatThrownBy(again::start)
        .isInstanceOf(java.net.BindException.class)
        .hasMessage(
            "cannot listen on 127.0.0.1:"
                + p
                + " (-L 127.0.0.1:"
                + p
                + ":h:81): address already in use");
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private int forward(String spec) throws Exception {
    ForwardFront f = new ForwardFront(ForwardSpec.parse(spec), client);
    open.add(f);
    return f.start().getPort();
  }

  private int proxy(String spec) throws Exception {
    ProxyFront f =
        new ProxyFront(ProxySpec.parse(spec), client, null, ProxyFront.Limits.defaults());
    open.add(f);
    return f.start().getPort();
  }

  private int server(InetSocketAddress listen) throws Exception {
    Server s =
        new Server(
            new Server.Options(
                listen,
                X25519.generate(),
                AuthorizedFile.parse(
                    "authorized", KeyFile.encode(X25519.generate().publicKey()) + " alice\n"),
                Policy.parse("accept 127.0.0.1:9"),
                null,
                LinkConfig.defaults(),
                16,
                1));
    open.add(s);
    return s.start().getPort();
  }

  /**
   * Whether a TCP connection to HOST:PORT is accepted. Refused is false, and so is a reset during
   * the connect: the port was free on the other family only, and on a busy machine the same number
   * there may belong to a socket of another test that is closing (seen: ECONNRESET from 127.0.0.1).
   */
  private static boolean connects(String host, int port) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5000);
      return true;
    } catch (ConnectException e) {
      return false;
    } catch (java.net.SocketException e) {
      // A port nobody listens on answers the SYN with RST: ConnectException above. A reset here
      // means the listener accepted and then aborted the connection: the front has no link to the
      // server (there is none in these tests) and refuses the stream at once. On a loaded machine
      // that abort can overtake connect()'s own completion. Either way, the address was listening.
      if (String.valueOf(e.getMessage()).contains("reset")) {
        return true;
      }
      throw e;
    }
  }
}
