package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: connections that never send a byte, kept open and reopened as they are closed,
 * cannot keep a real client out — neither of the server's unfinished-handshake slots
 * (--max-handshakes: one source address gets only its share, and at the cap the oldest silent
 * handshake makes room, so ten addresses filling the cap keep no one out) nor of a client's -D port
 * (every application comes from 127.0.0.1 there: the oldest unfinished request makes room instead).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PreAuthSlotsTest {
  private static final int ATTEMPTS = 6;

  @Test
  void anAddressHoldingIdleConnectionsCannotKeepAnotherAddressFromConnecting() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      // 300 idle connections from 127.0.0.2, more than the whole cap of 256, each reopened a
      // quarter second after the server closes it.
      try (IdleFlood attacker =
          new IdleFlood(
              InetAddress.getByName("127.0.0.2"), t.serverAddress, 300, Duration.ofMillis(250))) {
        attacker.awaitFirstRound(Duration.ofSeconds(20));
        Thread.sleep(300);
        assertThat(t.server.unfinishedHandshakes()).isLessThanOrEqualTo(256);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < ATTEMPTS; i++) {
          String failure = connectOnce(t);
          if (failure != null) {
            failures.add("attempt " + i + ": " + failure);
          }
          Thread.sleep(
              600); // spread over the silent-connection deadline: the attacker reopens meanwhile
        }
        assertThat(failures).as("failed attempts of the real client from 127.0.0.1").isEmpty();
        assertThat(attacker.connects.get()).as("attacker connections made").isGreaterThan(300);
      }
    }
  }

  @Test
  void tenAddressesHoldingTheWholeCapInIdleConnectionsCannotKeepAnotherAddressFromConnecting()
      throws Exception {
    int cap = 64; // --max-handshakes; one address's share: 8
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO, null, LinkConfig.defaults(), cap)) {
      t.awaitLink(Duration.ofSeconds(10));
      // 10 addresses, 12 idle connections each (120, nearly twice the cap, more than each share),
      // each reopened 50 ms after the server closes it: without eviction the cap stays full.
      List<IdleFlood> attackers = new ArrayList<>();
      try {
        for (int a = 2; a <= 11; a++) {
          attackers.add(
              new IdleFlood(
                  InetAddress.getByName("127.0.0." + a),
                  t.serverAddress,
                  12,
                  Duration.ofMillis(50)));
        }
        for (IdleFlood attacker : attackers) {
          attacker.awaitFirstRound(Duration.ofSeconds(20));
        }
        Thread.sleep(300);
        List<String> failures = new ArrayList<>();
        int mostUnfinished = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < ATTEMPTS && System.nanoTime() < deadline; i++) {
          mostUnfinished = Math.max(mostUnfinished, t.server.unfinishedHandshakes());
          String failure = connectOnce(t);
          if (failure != null) {
            failures.add("attempt " + i + ": " + failure);
          }
          mostUnfinished = Math.max(mostUnfinished, t.server.unfinishedHandshakes());
          Thread.sleep(600);
        }
        assertThat(failures).as("failed attempts of the real client from 127.0.0.1").isEmpty();
        assertThat(mostUnfinished).as("unfinished handshakes seen").isLessThanOrEqualTo(cap);
        assertThat(t.server.handshakesEvicted())
            .as("idle connections evicted at the cap")
            .isPositive();
      } finally {
        for (IdleFlood attacker : attackers) {
          attacker.close();
        }
      }
    }
  }

  @Test
  void fourThousandIdleSocketsOnTheProxyPortDoNotKeepAnApplicationOut() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      ProxyFront front =
          new ProxyFront(
              new ProxySpec("127.0.0.1", 0), t.client, null, ProxyFront.Limits.defaults());
      try {
        InetSocketAddress proxy = front.start();
        int cap = ProxyFront.Limits.DEFAULT_MAX_CONNECTIONS;
        try (IdleFlood attacker =
            new IdleFlood(
                InetAddress.getLoopbackAddress(), proxy, cap + 100, Duration.ofMillis(250))) {
          attacker.awaitFirstRound(Duration.ofSeconds(30));
          Thread.sleep(300);
          List<String> failures = new ArrayList<>();
          for (int i = 0; i < ATTEMPTS; i++) {
            try {
              socks5Echo(proxy, t.target.address().getPort(), "hello " + i);
            } catch (IOException | AssertionError e) {
              failures.add("attempt " + i + ": " + e);
            }
            Thread.sleep(300);
          }
          assertThat(failures).as("failed attempts of a real application").isEmpty();
        }
      } finally {
        front.close();
      }
    }
  }

  /** A SOCKS5 CONNECT to 127.0.0.1:port without authentication, then one line echoed. */
  private static void socks5Echo(InetSocketAddress proxy, int port, String line)
      throws IOException {
    try (Socket s = new Socket()) {
      s.connect(proxy, 3000);
      s.setSoTimeout(4000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      s.getOutputStream().write(HexFormat.of().parseHex("050100"));
      byte[] method = new byte[2];
      in.readFully(method);
      assertThat(HexFormat.of().formatHex(method)).isEqualTo("0500");
      s.getOutputStream()
          .write(HexFormat.of().parseHex("05010001" + "7f000001" + String.format("%04x", port)));
      byte[] reply = new byte[10];
      in.readFully(reply);
      assertThat(reply[1]).as("SOCKS5 reply code").isZero();
      byte[] sent = (line + "\n").getBytes(StandardCharsets.US_ASCII);
      s.getOutputStream().write(sent);
      byte[] back = new byte[sent.length];
      in.readFully(back);
      assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo(line + "\n");
    }
  }

  /**
   * One link of the real client from 127.0.0.1: null once it is up within 5 s, else its failure.
   */
  private static String connectOnce(Tunnel t) throws Exception {
    try (Client real =
        new Client(
            new Client.Options(
                t.serverAddress,
                t.serverKey.publicKey(),
                t.clientKey,
                Suite.AESGCM,
                LinkConfig.defaults(),
                16))) {
      try {
        real.start().get(5, TimeUnit.SECONDS);
        return null;
      } catch (java.util.concurrent.TimeoutException e) {
        return real.lastFailure();
      }
    }
  }
}
