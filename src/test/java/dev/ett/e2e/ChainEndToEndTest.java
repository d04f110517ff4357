package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.wire.Destination;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: a client whose route passes through three ett servers (two relays and the
 * exit) carries streams whole and in order, each relay learns only its neighbours, a relay whose
 * policy does not allow the next hop refuses the route with a message naming both hops, and the
 * route comes back by itself when a middle hop dies and returns.
 *
 * <p>Everything runs on loopback, where every address is 127.0.0.1: hops and the client are told
 * apart by port, and the destination is reached by a name only the exit's hosts file knows.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChainEndToEndTest {
  static final String SECRET = "secret-intranet.ett-test";

  @TempDir Path dir;

  private static String exitRule(TestTarget t) {
    return "accept 127.0.0.1:" + t.address().getPort();
  }

  private static String hostsLine() {
    return "127.0.0.1 " + SECRET + "\n";
  }

  @Test
  void hundredMegabytesCrossThreeHopsWithMatchingSha256() throws Exception {
    try (TestTarget sink =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.SINK);
        ChainNet net = ChainNet.start(dir, 3, exitRule(sink), hostsLine())) {
      net.connect();
      AnyForward f = net.front(Destination.ofName(SECRET, sink.address().getPort()));
      net.awaitRoute();
      try (Socket s = Io.connect(f.address)) {
        String sent = Io.pushRandom(s, 100L << 20, 7);
        assertThat(Io.readLine(s)).isEqualTo(sent);
      }
    }
  }

  @Test
  void twoHundredConcurrentStreamsThroughThreeHopsEachEchoTheirOwnBytes() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net = ChainNet.start(dir, 3, exitRule(echo), hostsLine());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      net.connect();
      AnyForward f = net.front(Destination.ofName(SECRET, echo.address().getPort()));
      net.awaitRoute();
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        int seed = i;
        results.add(pool.submit(() -> echoes(f.address, 32 * 1024 + seed * 311, seed)));
      }
      for (Future<Boolean> r : results) {
        assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @Test
  void relaysSeeOnlyTheirNeighboursAndOnlyTheExitSeesTheDestination() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net = ChainNet.start(dir, 3, exitRule(echo), hostsLine())) {
      net.connect();
      AnyForward f = net.front(Destination.ofName(SECRET, echo.address().getPort()));
      net.awaitRoute();
      assertThat(echoes(f.address, 1000, 1)).isTrue();
      String client = net.clientAddressAtHop1();
      String hop2 = "127.0.0.1:" + net.hop(2).address.getPort();
      String hop3 = "127.0.0.1:" + net.hop(3).address.getPort();
      String destination = SECRET + ":" + echo.address().getPort();
      String destinationAddress = "127.0.0.1:" + echo.address().getPort();

      // Hop 1: the client's link, and one stream, to hop 2.
      Map<String, Object> up1 = first(net.hop(1).events(), "link_up");
      assertThat(up1.get("remote")).isEqualTo(client);
      assertThat(streamsOf(net.hop(1).events()))
          .allSatisfy(e -> assertThat(e.get("requested")).isEqualTo(hop2));
      assertThat(streamsOf(net.hop(1).events())).isNotEmpty();
      // Hop 2: a link from hop 1 (not the client's address), one stream, to hop 3.
      Map<String, Object> up2 = first(net.hop(2).events(), "link_up");
      assertThat(up2.get("remote")).isNotEqualTo(client);
      assertThat(streamsOf(net.hop(2).events())).isNotEmpty();
      assertThat(streamsOf(net.hop(2).events()))
          .allSatisfy(e -> assertThat(e.get("requested")).isEqualTo(hop3));
      // Neither relay's trail has the destination in any field.
      for (int n = 1; n <= 2; n++) {
        String trail = net.hop(n).rawTrail();
        assertThat(trail)
            .as("hop %d's trail", n)
            .doesNotContain(SECRET)
            .doesNotContain(destinationAddress);
      }
      // Hop 3: a link from hop 2 (never the client's address), the destination as asked and
      // resolved.
      Map<String, Object> up3 = first(net.hop(3).events(), "link_up");
      assertThat(up3.get("remote")).isNotEqualTo(client).isNotEqualTo(up2.get("remote"));
      assertThat(net.hop(3).rawTrail()).doesNotContain(client);
      Map<String, Object> opened = first(net.hop(3).events(), "stream_opened");
      assertThat(opened.get("requested")).isEqualTo(destination);
      assertThat(opened.get("resolved")).isEqualTo(destinationAddress);
      // Every hop knows the client by its key alone: that is what authorizes it.
      for (int n = 1; n <= 3; n++) {
        assertThat(first(net.hop(n).events(), "link_up").get("client")).isEqualTo("alice");
      }
    }
  }

  @Test
  void aRelayWhosePolicyDoesNotAllowTheNextHopRefusesTheRouteNamingBothHops() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net = ChainNet.start(dir, 3, exitRule(echo), hostsLine())) {
      // Hop 2 lets alice reach only some other port, not hop 3.
      net.hop(2).setAliceRules("accept 127.0.0.1:9");
      net.connect();
      AnyForward f = net.front(Destination.ofName(SECRET, echo.address().getPort()));
      String expected =
          net.hop(2).name()
              + " refused the route to "
              + net.hop(3).name()
              + ": not allowed by policy";
      assertThat(readFirstByte(f.address)).isEqualTo(-1);
      assertThat(f.nextRefusal().reason()).contains("no link to the server: " + expected);
      assertThat(net.chain.lastFailure()).startsWith(expected);
      assertThat(net.chain.layer(1).linksEstablished()).as("hop 1's link stays up").isEqualTo(1);
      Map<String, Object> refused = first(net.hop(2).events(), "stream_refused");
      assertThat(refused.get("end")).isEqualTo("policy");
      assertThat(net.hop(3).events()).noneMatch(e -> "link_up".equals(e.get("event")));
    }
  }

  @Test
  void theRouteComesBackWhenTheMiddleHopIsKilledAndRestarted() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net = ChainNet.start(dir, 3, exitRule(echo), hostsLine())) {
      net.connect();
      AnyForward f = net.front(Destination.ofName(SECRET, echo.address().getPort()));
      net.awaitRoute();
      assertThat(echoes(f.address, 10_000, 1)).isTrue();
      int innerLinks = net.chain.innermost().linksEstablished();

      net.hop(2).stop();
      // While hop 2 is down the route fails, and says which hop.
      PolicyTunnel.await(() -> net.chain.lastFailure().contains(net.hop(2).name()));
      assertThat(net.chain.lastFailure()).contains("refused the route to " + net.hop(2).name());
      Thread.sleep(1500);
      net.hop(2).restart();
      long restarted = System.nanoTime();
      PolicyTunnel.await(() -> net.chain.innermost().linksEstablished() > innerLinks);
      long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
      System.out.println("chain: route back " + recoveredMs + " ms after hop 2 restarted");
      assertThat(recoveredMs).as("recovery after hop 2 restarted, ms").isLessThan(5_000);
      assertThat(echoes(f.address, 100_000, 2)).isTrue();
      assertThat(net.chain.lastFailure()).isEmpty();
    }
  }

  /** Sends {@code size} seeded bytes and half-closes; true if exactly they come back. */
  static boolean echoes(InetSocketAddress front, int size, int seed) throws Exception {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    try (Socket s = Io.connect(front)) {
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      s.getOutputStream().write(data);
                      s.shutdownOutput();
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  });
      byte[] back = s.getInputStream().readAllBytes();
      writer.join();
      return Arrays.equals(back, data);
    }
  }

  static int readFirstByte(InetSocketAddress a) throws IOException {
    try (Socket s = Io.connect(a)) {
      s.getOutputStream().write("ping".getBytes());
      return s.getInputStream().read();
    } catch (SocketException e) {
      return -1;
    }
  }

  static Map<String, Object> first(List<Map<String, Object>> events, String type) {
    return events.stream()
        .filter(e -> type.equals(e.get("event")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + events));
  }

  static List<Map<String, Object>> streamsOf(List<Map<String, Object>> events) {
    return events.stream()
        .filter(e -> String.valueOf(e.get("event")).startsWith("stream_"))
        .toList();
  }
}
