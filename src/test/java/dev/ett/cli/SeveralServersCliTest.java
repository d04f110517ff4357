package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: {@code ett client} as a user types it, with two {@code --server}s (the first
 * down), two pinned keys (the server holds the second) and {@code --links 2}, keeps two links to
 * the server that answers and carries streams through them; the client's metrics count both links.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SeveralServersCliTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void aClientWithTwoServersTwoKeysAndTwoLinksGetsThroughTheOneThatAnswers() throws Exception {
    String clientPub = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    KeyPair serverKey = X25519.generate(), oldKey = X25519.generate();
    int down = freePort(), forwardPort = freePort(), metricsPort = freePort();
    try (TestTarget echo =
        TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO)) {
      Server server =
          new Server(
              new Server.Options(
                  new InetSocketAddress("127.0.0.1", 0),
                  serverKey,
                  AuthorizedFile.parse("authorized", clientPub + " alice\n"),
                  Policy.parse("accept 127.0.0.1:" + echo.address().getPort()),
                  null,
                  LinkConfig.defaults(),
                  256,
                  2));
      int up = server.start().getPort();
      Path keys = dir.resolve("server-keys");
      Files.writeString(keys, KeyFile.encode(serverKey.publicKey()) + "\n");
      ClientCommand c = new ClientCommand();
      Thread ct =
          Thread.ofPlatform()
              .name("test-client")
              .start(
                  () ->
                      Main.execute(
                          c,
                          "client",
                          "--server",
                          "127.0.0.1:" + down,
                          "--server",
                          "127.0.0.1:" + up,
                          "--server-key",
                          KeyFile.encode(oldKey.publicKey()) + "," + keys,
                          "--links",
                          "2",
                          "--key",
                          dir.resolve("client.key").toString(),
                          "--metrics",
                          "127.0.0.1:" + metricsPort,
                          "-L",
                          "127.0.0.1:" + forwardPort + ":127.0.0.1:" + echo.address().getPort()));
      try {
        await(() -> c.stop != null || !ct.isAlive());
        assertThat(ct.isAlive()).isTrue();
        await(() -> server.linkCount() == 2);
        for (int i = 0; i < 6; i++) {
          assertThat(echo(forwardPort, "line " + i)).isEqualTo("line " + i);
        }
        CliTest.Run status = CliTest.run("status", "--metrics", "127.0.0.1:" + metricsPort);
        assertThat(status.out()).as(status.err()).contains("link:     up (2 links)");
      } finally {
        if (c.stop != null) {
          c.stop.request();
        }
        ct.join(WAIT.toMillis());
        server.close();
      }
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return ss.getLocalPort();
    }
  }

  private static String echo(int port, String text) throws java.io.IOException {
    try (Socket sock = new Socket("127.0.0.1", port)) {
      sock.setSoTimeout((int) WAIT.toMillis());
      sock.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
      InputStream in = sock.getInputStream();
      StringBuilder b = new StringBuilder();
      for (int ch; (ch = in.read()) != -1 && ch != '\n'; ) {
        b.append((char) ch);
      }
      return b.toString();
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(20);
    }
  }
}
