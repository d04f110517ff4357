package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.config.KeyFile;
import dev.ett.policy.Limits;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: after real transfers, a refusal, resets from either side, a connect timeout
 * and a link's end, every line of the audit file parses and says who went where, when, by which
 * rule, how many bytes each way and how it ended — and no line holds a key.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditEndToEndTest {

  @Test
  void theTrailRecordsLinksStreamsRulesBytesAndEnds(@TempDir Path dir) throws Exception {
    try (TestTarget sink =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.SINK);
        ServerSocket resetter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        PolicyTunnel t = new PolicyTunnel(dir)) {
      int sinkPort = sink.address().getPort();
      int resetPort = resetter.getLocalPort();
      int fullPort = full.getLocalPort();
      Thread.ofVirtual().start(() -> resetEveryConnection(resetter));
      // A listener that never accepts, with its accept queue filled: the kernel drops further
      // SYNs, so the server's connect can only time out.
      List<Socket> fillers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), fullPort), 300);
        } catch (java.io.IOException e) {
          // the queue is already full
        }
        fillers.add(s);
      }

      t.config = t.config.withConnectTimeout(Duration.ofMillis(500));
      t.writeAuthorized("alice");
      t.startServer(
          List.of("accept 127.0.0.1:" + sinkPort + "," + resetPort + "," + fullPort, "reject *:*"),
          Limits.UNLIMITED);
      Instant before = Instant.now().minusSeconds(1);
      t.awaitLink("alice");

      // 1. A transfer that ends cleanly both ways.
      AnyForward toSink = t.front("alice", Destination.ofName("127.0.0.1", sinkPort));
      try (Socket s = Io.connect(toSink.address)) {
        String sha = Io.pushRandom(s, 100_000, 7);
        assertThat(Io.readLine(s)).isEqualTo(sha);
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
      // 2. A refusal by a reject rule.
      t.front("alice", Destination.ofName("127.0.0.1", 9)).assertRefused(RefuseCode.POLICY);
      // 3. The client's application resets its connection.
      try (Socket s = Io.connect(toSink.address)) {
        s.getOutputStream().write(new byte[1000]);
        t.nthEvent("stream_opened", 1);
        s.setSoLinger(true, 0);
      }
      // 4. The destination resets.
      AnyForward toResetter = t.front("alice", Destination.ofName("127.0.0.1", resetPort));
      try (Socket s = Io.connect(toResetter.address)) {
        s.getOutputStream().write("x".getBytes());
        InputStream in = s.getInputStream();
        try {
          assertThat(in.read()).isEqualTo(-1);
        } catch (java.net.SocketException e) {
          // reset: what the application should see
        }
      }
      // 5. Connecting times out.
      t.front("alice", Destination.ofName("127.0.0.1", fullPort))
          .assertRefused(RefuseCode.TIMED_OUT);
      // 6. The link goes down.
      t.closeClient("alice");
      Map<String, Object> down = t.awaitEvent(PolicyTunnel.event("link_down", "client", "alice"));

      String fingerprint = KeyFile.fingerprint(t.key("alice").publicKey());
      Map<String, Object> up = t.nthEvent("link_up", 0);
      assertThat(up.keySet())
          .containsExactly(
              "time", "event", "link", "client", "fingerprint", "remote", "suite", "server_key");
      assertThat(up)
          .containsEntry("client", "alice")
          .containsEntry("fingerprint", fingerprint)
          .containsEntry("link", 1L)
          .containsEntry("suite", "Noise_IK_25519_AESGCM_SHA256");
      assertThat((String) up.get("remote")).contains("127.0.0.1:");
      assertThat(Instant.parse((String) up.get("time"))).isAfter(before).isBefore(Instant.now());

      String sinkText = "127.0.0.1:" + sinkPort;
      Map<String, Object> opened = t.nthEvent("stream_opened", 0);
      assertThat(opened.keySet())
          .containsExactly(
              "time",
              "event",
              "link",
              "client",
              "stream",
              "requested",
              "resolved",
              "source",
              "rule",
              "direction");
      // The server's own end of the connection: what a next hop's link_up would call its remote.
      assertThat((String) opened.get("source")).startsWith("127.0.0.1:").isNotEqualTo(sinkText);
      assertThat(opened)
          .containsEntry("client", "alice")
          .containsEntry("stream", 1L)
          .containsEntry("requested", sinkText)
          .containsEntry("resolved", sinkText)
          .containsEntry(
              "rule",
              "accepted by global rule 1 'accept 127.0.0.1:"
                  + sinkPort
                  + ","
                  + resetPort
                  + ","
                  + fullPort
                  + "'");

      Map<String, Object> transfer = t.nthEvent("stream_closed", 0);
      assertThat(transfer.keySet())
          .containsExactly(
              "time",
              "event",
              "link",
              "client",
              "stream",
              "requested",
              "resolved",
              "rule",
              "bytes_from_client",
              "bytes_to_client",
              "duration_ms",
              "end",
              "by",
              "detail",
              "direction");
      assertThat(transfer)
          .containsEntry("stream", 1L)
          .containsEntry("requested", sinkText)
          .containsEntry("resolved", sinkText)
          .containsEntry("rule", opened.get("rule"))
          .containsEntry("bytes_from_client", 100_000L)
          .containsEntry("bytes_to_client", 65L)
          .containsEntry("end", "fin")
          .containsEntry("by", null);
      assertThat((Long) transfer.get("duration_ms")).isBetween(0L, 30_000L);

      Map<String, Object> refused = t.nthEvent("stream_refused", 0);
      assertThat(refused.keySet())
          .containsExactly(
              "time",
              "event",
              "link",
              "client",
              "stream",
              "requested",
              "resolved",
              "rule",
              "end",
              "code",
              "reason");
      assertThat(refused)
          .containsEntry("stream", 3L)
          .containsEntry("requested", "127.0.0.1:9")
          .containsEntry("resolved", "127.0.0.1:9")
          .containsEntry("end", "policy")
          .containsEntry("code", "POLICY")
          .containsEntry("rule", "refused by global rule 2 'reject *:*'");

      Map<String, Object> clientReset = t.nthEvent("stream_closed", 1);
      assertThat(clientReset)
          .containsEntry("stream", 5L)
          .containsEntry("end", "reset")
          .containsEntry("by", "client")
          .containsEntry("bytes_from_client", 1000L);

      Map<String, Object> destinationReset = t.nthEvent("stream_closed", 2);
      assertThat(destinationReset)
          .containsEntry("stream", 7L)
          .containsEntry("requested", "127.0.0.1:" + resetPort)
          .containsEntry("end", "reset")
          .containsEntry("by", "destination");

      Map<String, Object> timeout = t.nthEvent("stream_refused", 1);
      assertThat(timeout)
          .containsEntry("stream", 9L)
          .containsEntry("end", "timeout")
          .containsEntry("code", "TIMED_OUT")
          .containsEntry("resolved", "127.0.0.1:" + fullPort);
      assertThat((String) timeout.get("rule")).startsWith("accepted by global rule 1");

      assertThat(down)
          .containsEntry("link", 1L)
          .containsEntry("fingerprint", fingerprint)
          .containsEntry("reason", "closed");

      // Never a key: neither the client's nor the server's public key appears anywhere.
      String all = Files.readString(t.auditFile);
      assertThat(all)
          .doesNotContain(KeyFile.encode(t.key("alice").publicKey()))
          .doesNotContain(KeyFile.encode(t.serverKey.publicKey()));
      assertThat(Files.getPosixFilePermissions(t.auditFile))
          .hasSize(2); // rw------- (owner read+write)
      fillers.forEach(
          s -> {
            try {
              s.close();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
    }
  }

  private static void resetEveryConnection(ServerSocket ss) {
    try {
      while (true) {
        Socket s = ss.accept();
        s.getInputStream().read();
        s.setSoLinger(true, 0);
        s.close();
      }
    } catch (java.io.IOException e) {
      // closed at the end of the test
    }
  }
}
