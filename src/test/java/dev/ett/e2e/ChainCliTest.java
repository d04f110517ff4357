package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.config.KeyFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: {@code ett connect --via ... --via ... --server ...} (a separate process, as
 * ssh's ProxyCommand runs it) carries a stream through three hops, and a route that a relay refuses
 * ends with one line naming the hop that refused and the one it would not reach.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChainCliTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  @Test
  void connectThroughTwoRelaysEchoesStandardInput() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net =
            ChainNet.start(dir, 3, "accept 127.0.0.1:" + echo.address().getPort(), hosts())) {
      Run r =
          connect(
              net,
              "hello through three hops\n",
              ChainEndToEndTest.SECRET,
              echo.address().getPort());
      assertThat(r.err()).doesNotContain("ett:");
      assertThat(r.out()).isEqualTo("hello through three hops\n");
      assertThat(r.status()).isZero();
    }
  }

  @Test
  void aRefusedRouteEndsWithOneLineNamingTheHops() throws Exception {
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net =
            ChainNet.start(dir, 3, "accept 127.0.0.1:" + echo.address().getPort(), hosts())) {
      net.hop(1).setAliceRules("accept 127.0.0.1:9");
      Run r = connect(net, "hello\n", ChainEndToEndTest.SECRET, echo.address().getPort());
      assertThat(r.status()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err())
          .contains(
              "ett: no link to the server: "
                  + net.hop(1).name()
                  + " refused the route to "
                  + net.hop(2).name()
                  + ": not allowed by policy");
    }
  }

  @Test
  void aMalformedViaIsOneLine() throws Exception {
    Path key = dir.resolve("alice.key");
    byte[] priv = new byte[32];
    priv[0] = 1;
    KeyFile.write(key, priv, dev.ett.noise.KeyPair.fromPrivateKey(priv.clone()).publicKey());
    String k = KeyFile.encode(new byte[32]);
    Run r =
        run(
            "",
            "connect",
            "--via",
            "127.0.0.1:7000",
            "--server",
            "127.0.0.1:7001",
            "--server-key",
            k,
            "--key",
            key.toString(),
            "h",
            "1");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("ett: --via 127.0.0.1:7000: expected HOST:PORT=PUBKEY");
  }

  private static String hosts() {
    return "127.0.0.1 " + ChainEndToEndTest.SECRET + "\n";
  }

  private Run connect(ChainNet net, String stdin, String host, int port) throws Exception {
    Path key = dir.resolve("alice.key");
    KeyFile.write(key, net.alice.privateKey(), net.alice.publicKey(), true);
    List<String> args = new ArrayList<>(List.of("connect"));
    for (int n = 1; n < net.hops.size(); n++) {
      args.add("--via");
      args.add(
          "127.0.0.1:"
              + net.hop(n).address.getPort()
              + "="
              + KeyFile.encode(net.hop(n).key.publicKey()));
    }
    ChainNet.HopServer last = net.hop(net.hops.size());
    args.addAll(
        List.of(
            "--server",
            "127.0.0.1:" + last.address.getPort(),
            "--server-key",
            KeyFile.encode(last.key.publicKey()),
            "--key",
            key.toString(),
            host,
            String.valueOf(port)));
    return run(stdin, args.toArray(String[]::new));
  }

  /** Runs {@code ett ARGS} in a new JVM with this test's class path. */
  private static Run run(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.ett.cli.Main");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          "ett "
              + String.join(" ", args)
              + " did not end; stderr: "
              + new String(err.getNow(new byte[0])));
    }
    return new Run(
        p.exitValue(),
        new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8),
        new String(err.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(java.io.InputStream in) {
    try {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
