package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.LinkConfig;
import dev.ett.policy.Limits;
import dev.ett.testing.LogCapture;
import java.io.DataInputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: the audit trail and the log say a client connected only when it proved that it
 * holds the keys. Message 1 recorded on the wire and replayed to a restarted server (whose replay
 * guard, kept in memory, starts empty) still gets message 2, but no "link up" line and no link_up
 * event; the replay shows only as a rejected handshake with the replayer's address.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplayAfterRestartTest {
  /** Preamble, length and IK message 1 (PROTOCOL.md §2, §4). */
  private static final int FIRST_FLIGHT = 8 + 2 + 112;

  @Test
  void aReplayedMessageOneAfterARestartWritesNoLinkUp(@TempDir Path dir) throws Exception {
    try (LogCapture log = new LogCapture();
        PolicyTunnel t = new PolicyTunnel(dir)) {
      t.config = LinkConfig.defaults().withHandshakeTimeout(Duration.ofSeconds(2));
      t.writeAuthorized("alice");
      t.startServer(List.of("reject *:*"), Limits.UNLIMITED);
      byte[] recorded;
      try (TamperingProxy wire = new TamperingProxy(t.serverAddress)) {
        t.serverAddress = wire.address();
        t.awaitLink("alice");
        t.nthEvent("link_up", 0);
        synchronized (wire.clientBytes) {
          recorded = Arrays.copyOf(wire.clientBytes.toByteArray(), FIRST_FLIGHT);
        }
        t.closeClient("alice");
      }

      // The restart: the same key, a new process.
      t.server.close();
      t.audit.close();
      t.startServer(List.of("reject *:*"), Limits.UNLIMITED);
      int before = log.lines().size();
      String replayer;
      try (Socket s = Io.connect(t.serverAddress)) {
        replayer = "127.0.0.1:" + s.getLocalPort();
        s.getOutputStream().write(recorded);
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readUnsignedShort();
        in.readFully(
            new byte[length]); // message 2: the server cannot tell yet, and it is useless without
        // alice's keys
        s.setSoTimeout(10_000);
        assertThat(in.read())
            .as("closed at the handshake deadline, nothing more said")
            .isEqualTo(-1);
      }
      String rejected = log.await(l -> l.contains("rejected handshakes"), Duration.ofSeconds(5));
      assertThat(rejected)
          .contains("1 no valid record after message 2")
          .contains("last from " + replayer);
      assertThat(log.lines().subList(before, log.lines().size()))
          .noneMatch(l -> l.contains("link up: "));
      assertThat(t.count("link_up")).as("only alice's real link before the restart").isEqualTo(1);

      // Alice herself still gets in after the replay, and is reported at once.
      t.awaitLink("alice");
      Map<String, Object> up = t.nthEvent("link_up", 1);
      assertThat(up.get("remote")).isNotEqualTo(replayer);
    }
  }

  @Test
  void aClientThatOpensNoStreamIsReportedUpAtOnce(@TempDir Path dir) throws Exception {
    // The server takes a link up on the client's first record: the client sends one (a PING) at
    // once, rather than when it first opens a stream or after a keepalive period of silence.
    try (PolicyTunnel t = new PolicyTunnel(dir)) {
      t.config =
          LinkConfig.defaults().withHandshakeTimeout(Duration.ofSeconds(2)); // keepalive: 15 s
      t.writeAuthorized("alice");
      t.startServer(List.of("reject *:*"), Limits.UNLIMITED);
      t.awaitLink("alice");
      long t0 = System.nanoTime();
      t.nthEvent("link_up", 0);
      // At once: well before the 15 s keepalive would have sent a first record (a loaded CI
      // machine can take a second or two, so the bound is not tighter than the point it makes).
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      Thread.sleep(t.config.handshakeTimeout().toMillis() + 500);
      assertThat(t.count("link_down")).as("the link outlives the handshake deadline").isZero();
    }
  }
}
