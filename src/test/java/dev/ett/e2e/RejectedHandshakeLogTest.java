package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.testing.LogCapture;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: PROTOCOL.md §4 says handshake failures are logged with the remote address. The
 * peer hears nothing, but the operator reads why and from where (rate-limited: the counts of each
 * cause over a minute, with the address of the last one).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RejectedHandshakeLogTest {
  @Test
  void aConnectionThatIsNotAHandshakeIsLoggedWithItsAddress() throws Exception {
    try (LogCapture log = new LogCapture();
        Tunnel t = Tunnel.start(TestTarget.Mode.ECHO)) {
      t.awaitLink(Duration.ofSeconds(10));
      String from;
      try (Socket s = Io.connect(t.serverAddress)) {
        from = "127.0.0.1:" + s.getLocalPort();
        s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(s.getInputStream().read()).as("closed without a word").isEqualTo(-1);
      }
      String line = log.await(l -> l.contains("rejected handshakes"), Duration.ofSeconds(5));
      assertThat(line)
          .endsWith(
              "rejected handshakes: 1 not a handshake (bad preamble, record or message 1); last from "
                  + from);
    }
  }
}
