package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.client.Links;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: on a proxy port at its cap, connections that carry streams are never closed to
 * make room — only ones still without a complete request, silent ones first — and when every
 * connection carries a stream, a new one is closed at accept. A silent connection is closed after 3
 * s even when the request deadline is longer. With {@code --links 2} the port's connections live on
 * both links' loops, and the cap holds across them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyFrontAdmissionTest {
  /** Requests handed off, their sockets held open as a stream would hold them. */
  private final List<FrontFuzzing.Open> handedOff = new CopyOnWriteArrayList<>();

  private ProxyFront front(Client client, ProxyFront.Limits limits) {
    return new ProxyFront(
        new ProxySpec("127.0.0.1", 0),
        client,
        (destination, socket, listener, zeroRtt) ->
            handedOff.add(new FrontFuzzing.Open(destination, listener, zeroRtt)),
        null,
        limits);
  }

  private static Client.Options options() {
    return new Client.Options(
        new InetSocketAddress("127.0.0.1", 9),
        X25519.generate().publicKey(),
        X25519.generate(),
        Suite.AESGCM,
        LinkConfig.defaults(),
        16);
  }

  private static Client client() {
    return new Client(options());
  }

  private static Socket connect(InetSocketAddress a) throws IOException {
    Socket s = new Socket();
    s.connect(a, 3000);
    return s;
  }

  private static void request(Socket s) throws IOException {
    s.getOutputStream().write(HexFormat.of().parseHex("050100" + "05010001" + "c0000201" + "0050"));
  }

  private static boolean openAfter(Socket s, int ms) throws IOException {
    s.setSoTimeout(ms);
    try {
      return s.getInputStream().read() != -1;
    } catch (SocketTimeoutException stillOpen) {
      return true;
    } catch (IOException reset) {
      return false;
    }
  }

  private void awaitHandedOff(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (handedOff.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(handedOff).hasSize(n);
  }

  @Test
  void connectionsCarryingStreamsAreNeverClosedToMakeRoom() throws Exception {
    Client client = client();
    ProxyFront front = front(client, new ProxyFront.Limits(2, Duration.ofSeconds(10)));
    try {
      InetSocketAddress a = front.start();
      try (Socket streaming = connect(a);
          Socket silent = connect(a)) {
        request(streaming);
        awaitHandedOff(1);
        try (Socket next = connect(a)) {
          assertThat(openAfter(silent, 2000)).as("the silent one made room").isFalse();
          request(next);
          awaitHandedOff(2);
          try (Socket over = connect(a)) {
            assertThat(openAfter(over, 2000))
                .as("nothing to make room: closed at accept")
                .isFalse();
          }
          assertThat(openAfter(streaming, 200)).isTrue();
          assertThat(openAfter(next, 200)).isTrue();
        }
      }
    } finally {
      front.close();
      client.close();
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterThreeSeconds() throws Exception {
    Client client = client();
    ProxyFront front = front(client, new ProxyFront.Limits(16, Duration.ofSeconds(10)));
    try {
      InetSocketAddress a = front.start();
      try (Socket silent = connect(a);
          Socket talking = connect(a)) {
        talking.getOutputStream().write(new byte[] {5}); // the start of a greeting
        long t0 = System.nanoTime();
        silent.setSoTimeout(6000);
        assertThat(silent.getInputStream().read()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0))
            .isBetween(Duration.ofMillis(2500), Duration.ofMillis(5000));
        assertThat(openAfter(talking, 100)).as("it spoke: the request deadline applies").isTrue();
      }
    } finally {
      front.close();
      client.close();
    }
  }

  private Links twoLinks;

  /**
   * A proxy port capped at 4 connections on two links never started: no link is up, so new sockets
   * go to the two links' loops in turn.
   */
  private ProxyFront onTwoLinks(ProxyFront.StreamOpener opener) {
    Client.Options options = options();
    twoLinks = new Links(2, (k, group) -> new Client(options, group, false));
    return new ProxyFront(
        new ProxySpec("127.0.0.1", 0),
        twoLinks.primary(),
        opener,
        null,
        new ProxyFront.Limits(4, Duration.ofSeconds(10)));
  }

  @AfterEach
  void closeLinks() {
    if (twoLinks != null) {
      twoLinks.close();
    }
  }

  @Test
  void theCapHoldsForConnectionsOnTheLoopsOfTwoLinks() throws Exception {
    Set<io.netty.channel.EventLoop> loops = ConcurrentHashMap.newKeySet();
    List<io.netty.channel.Channel> streams = new CopyOnWriteArrayList<>();
    ProxyFront front =
        onTwoLinks(
            (destination, socket, listener, zeroRtt) -> {
              loops.add(socket.eventLoop());
              streams.add(socket);
            });
    List<Socket> sockets = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      InetSocketAddress a = front.start();
      for (int i = 0; i < 4; i++) {
        sockets.add(connect(a));
        awaitConnections(front, i + 1); // one at a time: two loops may admit in either order
      }
      // Silent ones on both loops: the oldest make room for new ones, whichever loop each is on.
      sockets.add(connect(a));
      assertThat(openAfter(sockets.get(0), 2000)).isFalse();
      sockets.add(connect(a));
      assertThat(openAfter(sockets.get(1), 2000)).isFalse();
      for (Socket s : sockets.subList(2, 6)) {
        request(s);
      }
      awaitStreams(streams, 4);
      assertThat(loops).as("the streams' sockets live on both links' loops").hasSize(2);
      assertThat(front.connections()).isEqualTo(4);

      // At the cap with every connection carrying a stream, new ones from 8 threads at once are
      // all closed at accept, whichever loop each lands on.
      List<Future<Boolean>> over = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        over.add(
            pool.submit(
                () -> {
                  try (Socket s = connect(a)) {
                    request(s);
                    return openAfter(s, 3000);
                  }
                }));
      }
      for (Future<Boolean> f : over) {
        assertThat(f.get()).as("closed at accept").isFalse();
      }
      assertThat(streams).hasSize(4);
      assertThat(front.connections()).isEqualTo(4);
      for (Socket s : sockets.subList(2, 6)) {
        assertThat(openAfter(s, 100)).as("streams are never closed to make room").isTrue();
      }
    } finally {
      pool.shutdownNow();
      for (Socket s : sockets) {
        s.close();
      }
      front.close();
    }
  }

  @Test
  void connectionsRacingForTheCapOnTwoLoopsNeverExceedIt() throws Exception {
    List<io.netty.channel.Channel> streams = new CopyOnWriteArrayList<>();
    ProxyFront front = onTwoLinks((destination, socket, listener, zeroRtt) -> streams.add(socket));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Socket> sockets = new CopyOnWriteArrayList<>();
    try {
      InetSocketAddress a = front.start();
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 48; i++) {
        all.add(
            pool.submit(
                () -> {
                  Socket s = connect(a);
                  sockets.add(s);
                  request(s);
                  return null;
                }));
      }
      for (Future<?> f : all) {
        f.get();
      }
      // Every connection ends handed off or closed (to make room, or at accept). The writes above
      // can all be done before the front has accepted any (0 == 0 then): wait for a hand-off too.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((streams.isEmpty() || front.connections() != streams.size())
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(front.connections()).isEqualTo(streams.size());
      assertThat(streams.size()).as("streams handed off").isBetween(1, 4);
    } finally {
      pool.shutdownNow();
      for (Socket s : sockets) {
        s.close();
      }
      front.close();
    }
  }

  private static void awaitConnections(ProxyFront front, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (front.connections() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(front.connections()).isEqualTo(n);
  }

  private static void awaitStreams(List<?> streams, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (streams.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(streams).hasSize(n);
  }
}
