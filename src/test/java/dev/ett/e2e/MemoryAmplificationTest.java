package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: one authorized client cannot turn a few bytes of window into the server's
 * whole direct memory (issue 12, item 1), and what it does buffer never costs another client its
 * link.
 *
 * <p>The server runs as its own JVM with the heap {@code bin/ett} gives it ({@code -Xmx64m}, so at
 * most 64 MiB of direct memory), as in the report. The attacker, an authorized client writing raw
 * frames, opens a stream to a destination whose connect hangs (a listener whose accept queue is
 * full: Linux drops the SYN, so the server's connect waits out its timeout), then sends 1,015
 * records, each with a 1-byte DATA for that stream and a ~64 KiB DATA for a stream that does not
 * exist. Before the fix each byte kept its whole 64 KiB record alive in the stream's early-data
 * queue: 1,015 window bytes held 64 MiB, the server ran out of direct memory, and the next client
 * to allocate lost its link. Now a small payload is copied out of its record and the record freed.
 */
@Timeout(120)
class MemoryAmplificationTest {
  private static final int RECORDS = 1015;
  private static final long LEGIT_BYTES = 1 << 20;

  /**
   * What an attack may add to the server's resident memory: the budget's 16 MiB of buffered data at
   * most (the 1-byte attack holds 1,015 bytes now), records in flight (a few MiB of pooled
   * buffers), and the JVM warming up. Before the fix the 1-byte attack pinned 64 MiB (and then ran
   * out).
   */
  private static final long RSS_GROWTH_BOUND = 32L << 20;

  @TempDir Path dir;

  @Test
  void oneByteRecordsToAStuckStreamPinNothingAndAnotherClientKeepsEchoing() throws Exception {
    String log =
        underAttack(
            (ch, hanging) -> {
              ch.eventLoop().submit(() -> ch.writeAndFlush(new Frame.Open(1, hanging))).get();
              // One record each: 1 byte for stream 1 (8 bytes of frame) and the padding frame
              // filling the record's 65,519 bytes of plaintext, for stream 3, never opened.
              int padding = Frame.MAX_RECORD_PLAINTEXT - 2 * Frame.HEADER_LENGTH - 1;
              for (int i = 0; i < RECORDS && ch.isActive(); i++) {
                send(
                    ch,
                    new Frame.Data(1, Unpooled.wrappedBuffer(new byte[] {'x'})),
                    new Frame.Data(3, Unpooled.wrappedBuffer(new byte[padding])));
              }
            });
    assertThat(log).as("server log").doesNotContain("over this link's share");
  }

  /**
   * The budget: a client within its windows but holding more than the server can spare. 96 streams
   * whose connect hangs, each sent its whole 256 KiB window: 24 MiB, for a server whose budget is
   * 16 MiB (a quarter of 64 MiB of direct memory), this link's share of it 8 MiB.
   */
  @Test
  void aClientThatSpendsTheBudgetLosesStreamsNotLinksAndAnotherClientKeepsEchoing()
      throws Exception {
    String log =
        underAttack(
            (ch, hanging) -> {
              for (int id = 1; id < 2 * 96; id += 2) {
                int stream = id;
                send(ch, new Frame.Open(stream, hanging));
                for (int i = 0; i < 4; i++) { // 4 x 65,512: within the 256 KiB window
                  send(
                      ch, new Frame.Data(stream, Unpooled.wrappedBuffer(new byte[Frame.MAX_DATA])));
                }
              }
            });
    assertThat(log).as("server log").contains("over this link's share of the server's budget");
  }

  /**
   * Writes {@code frames} on the attacker's link (one record if they fit), once it can take them.
   */
  private static void send(Channel ch, Frame... frames) throws Exception {
    while (!ch.isWritable() && ch.isActive()) {
      Thread.sleep(1);
    }
    ch.eventLoop()
        .submit(
            () -> {
              for (Frame f : frames) {
                ch.write(f, ch.voidPromise());
              }
              ch.flush();
            })
        .get();
  }

  /** What an attacker does on its link; {@code hanging} is a destination whose connect hangs. */
  private interface Attack {
    void run(Channel attacker, Destination hanging) throws Exception;
  }

  /**
   * Starts the server (its own JVM, -Xmx64m), a legitimate client with a -L forward to an echo
   * target and an attacker, runs {@code attack}, then checks that the legitimate client still
   * echoes 1 MiB intact, that a fresh link comes up, that the attacker's link is still up, that no
   * OutOfMemoryError happened and the server's RSS grew less than the bound. Returns the server's
   * log.
   */
  private String underAttack(Attack attack) throws Exception {
    KeyPair serverKey = X25519.generate();
    KeyPair clientKey = X25519.generate();
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        StuckListener stuck = new StuckListener();
        ServerProcess server =
            ServerProcess.start(
                dir, serverKey, clientKey, echo.address().getPort(), stuck.port())) {
      LinkConfig config = LinkConfig.defaults();
      try (Client legit =
              new Client(
                  new Client.Options(
                      server.address, serverKey.publicKey(), clientKey, Suite.AESGCM, config, 16));
          Client attacker =
              new Client(
                  new Client.Options(
                      server.address,
                      serverKey.publicKey(),
                      clientKey,
                      Suite.AESGCM,
                      config,
                      16))) {
        ForwardFront front =
            new ForwardFront(
                ForwardSpec.parse("127.0.0.1:0:127.0.0.1:" + echo.address().getPort()), legit);
        try {
          InetSocketAddress forward = front.start();
          legit.start().get(10, TimeUnit.SECONDS);
          attacker.start().get(10, TimeUnit.SECONDS);
          echo1MiB(forward); // the JIT and the pools warm up before the baseline
          long before = server.rssBytes();

          Channel ch = attacker.eventLoop().submit(() -> attacker.currentMux().channel()).get();
          attack.run(ch, Destination.of(InetAddress.getLoopbackAddress(), stuck.port()));
          Thread.sleep(1000); // the server takes in the last records

          echo1MiB(forward); // a client whose link is set up already
          try (Client late =
              new Client(
                  new Client.Options(
                      server.address,
                      serverKey.publicKey(),
                      clientKey,
                      Suite.AESGCM,
                      config,
                      16))) {
            late.start().get(10, TimeUnit.SECONDS); // and a fresh link, as in the report
          }
          echo1MiB(forward);
          long after = server.rssBytes();
          System.out.printf(
              "server RSS: %d MiB before the attack, %d MiB after%n", before >> 20, after >> 20);
          assertThat(server.process.isAlive()).as("server still running").isTrue();
          assertThat(server.log()).as("server log").doesNotContain("OutOfMemoryError");
          assertThat(after - before)
              .as("server RSS growth (before %d MiB, after %d MiB)", before >> 20, after >> 20)
              .isLessThan(RSS_GROWTH_BOUND);
          assertThat(ch.isActive()).as("the attacker's link is up").isTrue();
          return server.log();
        } catch (Exception | AssertionError e) {
          throw new AssertionError("failed; the server's log:\n" + server.log(), e);
        } finally {
          front.close();
        }
      }
    }
  }

  /** Echoes 1 MiB of random bytes through the -L port and checks they come back intact. */
  private static void echo1MiB(InetSocketAddress forward) throws Exception {
    try (Socket s = Io.connect(forward)) {
      CompletableFuture<String> got =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  MessageDigest sha = MessageDigest.getInstance("SHA-256");
                  byte[] buf = new byte[64 * 1024];
                  long n = 0;
                  for (int r; n < LEGIT_BYTES && (r = s.getInputStream().read(buf)) != -1; n += r) {
                    sha.update(buf, 0, r);
                  }
                  return HexFormat.of().formatHex(sha.digest()) + " " + n;
                } catch (Exception e) {
                  return "failed: " + e;
                }
              });
      String sent = Io.pushRandom(s, LEGIT_BYTES, System.nanoTime());
      assertThat(got.get(30, TimeUnit.SECONDS))
          .as("echoed bytes")
          .isEqualTo(sent + " " + LEGIT_BYTES);
    }
  }

  /**
   * A loopback listener that never accepts, its accept queue full: Linux drops further SYNs, so a
   * connect to it hangs until the connector's timeout.
   */
  static final class StuckListener implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final List<Socket> fillers = new ArrayList<>();

    StuckListener() throws IOException {
      for (int i = 0; i < 16; i++) {
        Socket s = new Socket();
        fillers.add(s);
        try {
          s.connect(listener.getLocalSocketAddress(), 300);
        } catch (SocketTimeoutException e) {
          return; // the queue is full
        }
      }
      throw new IllegalStateException("the accept queue never filled");
    }

    int port() {
      return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      for (Socket s : fillers) {
        s.close();
      }
      listener.close();
    }
  }

  /** {@code ett server} in a JVM of its own, with bin/ett's heap options. */
  static final class ServerProcess implements AutoCloseable {
    final Process process;
    final InetSocketAddress address;
    private final StringBuffer log = new StringBuffer();

    private ServerProcess(Process process, InetSocketAddress address) {
      this.process = process;
      this.address = address;
    }

    static ServerProcess start(Path dir, KeyPair serverKey, KeyPair clientKey, int... ports)
        throws Exception {
      Path key = dir.resolve("server.key");
      KeyFile.write(key, serverKey.privateKey(), serverKey.publicKey());
      Path authorized = dir.resolve("authorized");
      Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
      List<String> cmd =
          new ArrayList<>(
              ChildJvm.ett(
                  List.of("-Xms8m", "-Xss512k"),
                  "server",
                  "--listen",
                  "127.0.0.1:0",
                  "--key",
                  key.toString(),
                  "--authorized",
                  authorized.toString()));
      cmd.addAll(List.of("--connect-timeout", "60s", "--threads", "2"));
      for (int port : ports) {
        cmd.addAll(List.of("--policy", "accept 127.0.0.1:" + port));
      }
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      ServerProcess server = null;
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder seen = new StringBuilder();
      Pattern listening = Pattern.compile("listening on /?127\\.0\\.0\\.1:(\\d+)");
      for (String line; (line = out.readLine()) != null; ) {
        seen.append(line).append('\n');
        Matcher m = listening.matcher(line);
        if (m.find()) {
          server =
              new ServerProcess(
                  p, new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))));
          break;
        }
      }
      if (server == null) {
        p.destroyForcibly();
        throw new AssertionError("server did not start: " + seen);
      }
      server.log.append(seen);
      ServerProcess s = server;
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  for (String line; (line = out.readLine()) != null; ) {
                    s.log.append(line).append('\n');
                  }
                } catch (IOException e) {
                  // the process ended
                }
              });
      return server;
    }

    long rssBytes() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
        }
      }
      throw new IOException("no VmRSS for " + process.pid());
    }

    String log() {
      return log.toString();
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
