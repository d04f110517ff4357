package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.testing.LogCapture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
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
 * Goal of this test: a server and a client started from configuration files alone (in this JVM,
 * through the same entry point as the command line) carry a stream; editing the server's file
 * changes its policy at once, and a change that needs a restart (threads) is logged once, naming
 * the key, while the server runs on with the old value.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void serverAndClientFromConfigFilesCarryAStreamAndAPolicyEditTakesEffect() throws Exception {
    CliTest.run("keygen", dir.resolve("server.key").toString());
    String serverPub = Files.readString(dir.resolve("server.key.pub")).trim();
    String clientPub = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    Files.writeString(dir.resolve("authorized"), clientPub + " alice\n");
    int serverPort = freePort();
    int forwardPort = freePort();
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        LogCapture log = new LogCapture()) {
      int echoPort = echo.address().getPort();
      Path serverToml = dir.resolve("server.toml");
      String server =
          """
          role = "server"
          listen = "127.0.0.1:%d"
          key = "server.key"
          authorized = "authorized"
          threads = 1
          policy = ["accept 127.0.0.1:%d"]
          """;
      Files.writeString(serverToml, server.formatted(serverPort, echoPort));
      Path clientToml =
          Files.writeString(
              dir.resolve("client.toml"),
              """
              role = "client"
              server = "127.0.0.1:%d"
              server-key = "%s"
              key = "client.key"
              forward = ["127.0.0.1:%d:127.0.0.1:%d"]
              """
                  .formatted(serverPort, serverPub, forwardPort, echoPort));

      ServerCommand s = new ServerCommand();
      ClientCommand c = new ClientCommand();
      Thread st =
          Thread.ofPlatform()
              .name("test-server")
              .start(() -> Main.execute(s, "server", "--config", serverToml.toString()));
      Thread ct = null;
      try {
        await(() -> s.stop != null || !st.isAlive());
        assertThat(st.isAlive())
            .as("server running; log:\n" + String.join("\n", log.lines()))
            .isTrue();
        ct =
            Thread.ofPlatform()
                .name("test-client")
                .start(() -> Main.execute(c, "client", "--config", clientToml.toString()));
        await(() -> c.stop != null);

        assertThat(echo(forwardPort, "through the tunnel")).isEqualTo("through the tunnel");

        // The policy no longer allows the echo port, and threads changes (restart only).
        Files.writeString(
            serverToml, server.replace("threads = 1", "threads = 2").formatted(serverPort, 9));
        await(() -> log.lines().stream().anyMatch(l -> l.contains("reloaded")));
        await(() -> echoOrNull(forwardPort) == null);
        String warn = log.await(l -> l.contains("restart to apply"), WAIT);
        assertThat(warn).contains("WARN threads changed in " + serverToml + ": restart to apply");
        assertThat(s.threads).isEqualTo(1);

        // A second edit with the same threads says nothing more about it; the policy is back.
        Files.writeString(
            serverToml,
            server.replace("threads = 1", "threads = 2").formatted(serverPort, echoPort));
        await(() -> "again".equals(echoOrNull(forwardPort)));
        assertThat(log.lines().stream().filter(l -> l.contains("restart to apply"))).hasSize(1);

        // A broken edit keeps the running configuration.
        Files.writeString(serverToml, server.formatted(serverPort, echoPort) + "treads = 3\n");
        log.await(
            l ->
                l.contains(
                    "reload (server.toml changed) failed, keeping the previous configuration: "
                        + serverToml
                        + ":7: unknown key 'treads' (did you mean 'threads'?)"),
            WAIT);
        assertThat(echo(forwardPort, "still")).isEqualTo("still");
      } finally {
        if (c.stop != null) {
          c.stop.request();
        }
        if (ct != null) {
          ct.join(WAIT.toMillis());
        }
        await(() -> s.stop != null || !st.isAlive());
        if (s.stop != null) {
          s.stop.request();
        }
        st.join(WAIT.toMillis());
      }
    }
  }

  /**
   * Goal: the rotation steps of docs/operations.md through the config file alone: keys = [...]
   * added by an edit is taken at once (no "restart to apply"), a client pinned to the new key
   * carries a stream, and an edit that drops the old key is logged with the links still under it.
   */
  @Test
  void editingKeysInTheServerFileAddsAndDropsAServerKeyWithoutARestart() throws Exception {
    CliTest.run("keygen", dir.resolve("old.key").toString());
    String newPub = CliTest.run("keygen", dir.resolve("new.key").toString()).out().trim();
    String clientPub = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    Files.writeString(dir.resolve("authorized"), clientPub + " alice\n");
    int serverPort = freePort();
    int forwardPort = freePort();
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        LogCapture log = new LogCapture()) {
      int echoPort = echo.address().getPort();
      Path serverToml = dir.resolve("server.toml");
      String server =
          """
          role = "server"
          listen = "127.0.0.1:%d"
          %s
          authorized = "authorized"
          policy = ["accept 127.0.0.1:%d"]
          """;
      Files.writeString(serverToml, server.formatted(serverPort, "key = \"old.key\"", echoPort));
      Path clientToml =
          Files.writeString(
              dir.resolve("client.toml"),
              """
              role = "client"
              server = "127.0.0.1:%d"
              server-key = "%s"
              key = "client.key"
              forward = ["127.0.0.1:%d:127.0.0.1:%d"]
              """
                  .formatted(serverPort, newPub, forwardPort, echoPort));
      ServerCommand s = new ServerCommand();
      ClientCommand c = new ClientCommand();
      Thread st =
          Thread.ofPlatform()
              .name("test-server")
              .start(() -> Main.execute(s, "server", "--config", serverToml.toString()));
      Thread ct = null;
      try {
        await(() -> s.stop != null || !st.isAlive());
        assertThat(st.isAlive()).isTrue();

        Files.writeString(
            serverToml,
            server.formatted(serverPort, "keys = [\"new.key\", \"old.key\"]", echoPort));
        String added = log.await(l -> l.contains("server keys now"), WAIT);
        assertThat(added).contains("; added ");
        ct =
            Thread.ofPlatform()
                .name("test-client")
                .start(() -> Main.execute(c, "client", "--config", clientToml.toString()));
        await(() -> c.stop != null);
        assertThat(echo(forwardPort, "pinned to the new key")).isEqualTo("pinned to the new key");

        Files.writeString(
            serverToml, server.formatted(serverPort, "keys = [\"new.key\"]", echoPort));
        String dropped = log.await(l -> l.contains("dropped"), WAIT);
        assertThat(dropped).contains("(0 links up under it keep running)").contains("(1 links)");
        assertThat(echo(forwardPort, "still")).isEqualTo("still");
        assertThat(log.lines()).noneMatch(l -> l.contains("restart to apply"));
      } finally {
        if (c.stop != null) {
          c.stop.request();
        }
        if (ct != null) {
          ct.join(WAIT.toMillis());
        }
        await(() -> s.stop != null || !st.isAlive());
        if (s.stop != null) {
          s.stop.request();
        }
        st.join(WAIT.toMillis());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return ss.getLocalPort();
    }
  }

  private static String echo(int port, String text) throws IOException {
    try (Socket sock = new Socket("127.0.0.1", port)) {
      sock.setSoTimeout((int) WAIT.toMillis());
      sock.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      InputStream in = sock.getInputStream();
      byte[] buf = new byte[text.length()];
      int n = 0;
      while (n < buf.length) {
        int r = in.read(buf, n, buf.length - n);
        if (r < 0) {
          return null; // closed: the stream was refused
        }
        n += r;
      }
      return new String(buf, StandardCharsets.UTF_8);
    } catch (SocketException e) {
      return null; // reset: refused
    }
  }

  private static String echoOrNull(int port) {
    try {
      return echo(port, "again");
    } catch (IOException e) {
      return null;
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(50);
    }
  }
}
