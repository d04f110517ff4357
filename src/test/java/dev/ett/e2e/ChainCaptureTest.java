package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.bench.TestTarget;
import dev.ett.wire.Destination;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: someone capturing the client's outgoing traffic (everything between the client
 * and hop 1) learns neither where the streams go nor what they carry.
 *
 * <p>A packet capture (tcpdump on {@code lo}) records the traffic to hop 1's port while an HTTP
 * request goes through a three-hop route to a destination known only by a name in the exit's hosts
 * file. On loopback every address is 127.0.0.1, so "the destination's address is not in the
 * capture" cannot be checked by looking for the address: it is in every IP header. What would
 * reveal the destination in a readable stream is the name (in the OPEN frame) and what the
 * destination says (its HTTP body); the request carries a one-time marker in its path. The test
 * checks that none of these three byte strings is in the hop-1 capture, and, as a control that the
 * capture does see plaintext where there is some, that the marker and the body are in the capture
 * of the exit's connection to the destination (taken at the same time).
 *
 * <p>Skipped (not failed) when tcpdump is missing or may not capture (needs root or CAP_NET_RAW; CI
 * installs it and runs as root).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChainCaptureTest {
  @TempDir Path dir;

  @Test
  void theClientsTrafficToHop1CarriesNeitherTheDestinationNameNorThePayload() throws Exception {
    String tcpdump = findTcpdump();
    assumeTrue(
        tcpdump != null,
        "tcpdump is not installed (apt-get install tcpdump); capture test skipped");
    try (TestTarget http =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.HTTP);
        ChainNet net =
            ChainNet.start(
                dir,
                3,
                "accept 127.0.0.1:" + http.address().getPort(),
                "127.0.0.1 " + ChainEndToEndTest.SECRET + "\n")) {
      int hop1 = net.hop(1).address.getPort();
      int dest = http.address().getPort();
      Path all = dir.resolve("all.pcap");
      Capture capture = Capture.start(tcpdump, all, "tcp port " + hop1 + " or tcp port " + dest);
      String marker = "ett-marker-" + UUID.randomUUID();
      String body;
      try {
        net.connect(); // the handshakes are in the capture too
        AnyForward f = net.front(Destination.ofName(ChainEndToEndTest.SECRET, dest));
        net.awaitRoute();
        body = httpGet(f.address, "/" + marker, ChainEndToEndTest.SECRET);
      } finally {
        capture.stop();
      }
      assertThat(body).contains(TestTarget.HTTP_BODY.trim());

      byte[] toHop1 = filter(tcpdump, all, dir.resolve("hop1.pcap"), "tcp port " + hop1);
      byte[] exit = filter(tcpdump, all, dir.resolve("exit.pcap"), "tcp port " + dest);
      // Control: plaintext is visible where it travels in the clear.
      assertThat(contains(exit, marker))
          .as("the capture sees the exit's plaintext request")
          .isTrue();
      assertThat(contains(exit, TestTarget.HTTP_BODY.trim())).as("... and the response").isTrue();
      // The client's side: three layers of encryption, nothing readable.
      assertThat(toHop1.length).as("bytes captured to/from hop 1").isGreaterThan(2000);
      assertThat(contains(toHop1, ChainEndToEndTest.SECRET))
          .as("destination name in hop-1 traffic")
          .isFalse();
      assertThat(contains(toHop1, marker)).as("request in hop-1 traffic").isFalse();
      assertThat(contains(toHop1, TestTarget.HTTP_BODY.trim()))
          .as("response in hop-1 traffic")
          .isFalse();
    }
  }

  private static String findTcpdump() {
    for (String d :
        List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin")) {
      if (Files.isExecutable(Path.of(d, "tcpdump"))) {
        return d + "/tcpdump";
      }
    }
    return null;
  }

  /**
   * A running tcpdump writing packets to a file as they come: --immediate-mode, or libpcap hands
   * packets over only when a buffer block fills or its 1 s timeout expires, and a capture stopped
   * sooner would be empty.
   */
  private record Capture(Process process, StringBuilder log) {
    static Capture start(String tcpdump, Path file, String filter) throws Exception {
      Process p =
          new ProcessBuilder(
                  tcpdump,
                  "-i",
                  "lo",
                  "-n",
                  "--immediate-mode",
                  "-U",
                  "-s",
                  "0",
                  "-w",
                  file.toString(),
                  filter)
              .redirectErrorStream(true)
              .start();
      StringBuilder log = new StringBuilder();
      CountDownLatch listening = new CountDownLatch(1);
      Thread.ofVirtual()
          .start(
              () -> {
                try (InputStream in = p.getInputStream()) {
                  StringBuilder line = new StringBuilder();
                  for (int c; (c = in.read()) != -1; ) {
                    synchronized (log) {
                      log.append((char) c);
                    }
                    line.append((char) c);
                    if (c == '\n') {
                      if (line.toString().contains("listening on")) {
                        listening.countDown();
                      }
                      line.setLength(0);
                    }
                  }
                } catch (IOException e) {
                  // the process ended
                }
                listening.countDown();
              });
      listening.await(10, TimeUnit.SECONDS);
      if (!p.isAlive()) {
        String why;
        synchronized (log) {
          why = log.toString().trim();
        }
        assumeTrue(false, "tcpdump cannot capture on lo here (" + why + "); capture test skipped");
      }
      return new Capture(p, log);
    }

    void stop() throws InterruptedException {
      Thread.sleep(300); // the last packets (FIN, ACK) reach the file
      process.destroy(); // SIGTERM: tcpdump flushes and exits
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** The packets of {@code in} that match {@code filter}, as a pcap file's bytes. */
  private static byte[] filter(String tcpdump, Path in, Path out, String filter) throws Exception {
    Process p =
        new ProcessBuilder(tcpdump, "-n", "-r", in.toString(), "-w", out.toString(), filter)
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("tcpdump -r: " + output).isZero();
    return Files.readAllBytes(out);
  }

  private static String httpGet(InetSocketAddress front, String path, String host)
      throws IOException {
    try (Socket s = Io.connect(front)) {
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      s.shutdownOutput();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      s.getInputStream().transferTo(got);
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }
}
