package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.client.Links;
import dev.ett.client.ServerList;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: with {@code --links 2}, the streams of a {@code -D} proxy port spread over
 * both links as {@code -L} streams do (each SOCKS5 connection on the link that is up and carries
 * the fewest streams), and when a link dies its share goes to the other at once: every new SOCKS5
 * connection gets through, and the streams on the surviving link go on. Two real servers on
 * loopback, one link to each, so each server's stream count shows which link carried what.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyLinksTest {
  private final KeyPair clientKey = X25519.generate(), serverKey = X25519.generate();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<Server> servers = new ArrayList<>();
  private TestTarget target;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    for (Server s : servers) {
      s.close();
    }
  }

  /** Servers and the address each listens on. */
  private final java.util.Map<Server, InetSocketAddress> addresses = new java.util.HashMap<>();

  private Server startServer() throws Exception {
    Server s =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                serverKey,
                AuthorizedFile.parse(
                    "authorized", KeyFile.encode(clientKey.publicKey()) + " client\n"),
                Policy.parse("accept 127.0.0.1:" + target.address().getPort()),
                null,
                LinkConfig.defaults(),
                256,
                2));
    addresses.put(s, s.start());
    servers.add(s);
    return s;
  }

  private ServerList.Server entry(Server s, byte[] key) {
    InetSocketAddress a = addresses.get(s);
    return new ServerList.Server(a, "127.0.0.1:" + a.getPort(), List.of(key));
  }

  private static long opened(Server s) {
    return s.activity(Duration.ofSeconds(5)).all().streamsOpened();
  }

  private static void await(String what, java.util.function.BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 15 s: " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void socksStreamsSpreadOverTwoLinksAndALostLinksShareGoesToTheOther() throws Exception {
    target = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
    closing.add(target);
    Server a = startServer(), b = startServer();
    ServerList list =
        new ServerList(
            List.of(entry(a, serverKey.publicKey()), entry(b, serverKey.publicKey())),
            ServerList.Order.ORDERED);
    Links links =
        new Links(
            2,
            (k, group) -> {
              ServerList.Server first = list.servers().get(0);
              Client c =
                  new Client(
                      new Client.Options(
                          first.address(),
                          first.keys().get(0),
                          clientKey,
                          Suite.AESGCM,
                          LinkConfig.defaults(),
                          1024),
                      group,
                      false);
              c.setServers(list, k, Duration.ZERO);
              return c;
            });
    closing.add(links);
    ProxyFront front =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0), links.primary(), null, ProxyFront.Limits.defaults());
    InetSocketAddress proxy = front.start();
    closing.add(front);
    links.start();
    await("link 1 on a, link 2 on b", () -> a.linkCount() == 1 && b.linkCount() == 1);

    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        Socket s = socks5(proxy);
        held.add(s);
        echo(s, "held " + i);
      }
      // Each new connection went to the link with fewer streams: they alternate.
      assertThat(opened(a)).as("streams through a").isEqualTo(3);
      assertThat(opened(b)).as("streams through b").isEqualTo(3);

      b.close();
      servers.remove(b);
      Client onB = links.all().get(1);
      // Until the client has seen the loss, a stream may still be sent on the dying link.
      await("the client saw b's link go", () -> !onB.health().ok() || a.linkCount() == 2);
      for (int i = 0; i < 12; i++) {
        try (Socket s = socks5(proxy)) {
          echo(s, "after the loss of b " + i); // none refused: they go to a's link
        }
      }
      assertThat(opened(a)).as("streams through a").isEqualTo(3 + 12);
      // The streams on a's link were not touched.
      echo(held.get(0), "still here");
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private Socket socks5(InetSocketAddress proxy) throws IOException {
    return Io.socks5(proxy, target.address().getPort());
  }

  private static void echo(Socket s, String line) throws IOException {
    s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    assertThat(Io.readLine(s)).isEqualTo(line);
  }
}
