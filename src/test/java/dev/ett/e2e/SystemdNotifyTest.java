package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: ett run by systemd with Type=notify tells it the truth over a real
 * NOTIFY_SOCKET. The test plays systemd: it binds its own AF_UNIX datagram socket, starts {@code
 * ett server} or {@code ett client} in a JVM of its own with NOTIFY_SOCKET (and WATCHDOG_USEC) in
 * the environment, and reads what arrives. READY=1 must mean the port accepts; SIGHUP must give
 * RELOADING=1 with a CLOCK_MONOTONIC timestamp, then READY=1; SIGTERM STOPPING=1 and status 0; the
 * watchdog pings must keep coming.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SystemdNotifyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private EventLoopGroup group;
  private Channel notifySocket;
  private Path notifyPath;

  /** Every datagram but the watchdog pings, in order of arrival. */
  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

  private final AtomicInteger watchdogPings = new AtomicInteger();
  private final List<Process> children = new ArrayList<>();
  private final StringBuffer output = new StringBuffer();

  @BeforeEach
  void bindNotifySocket() throws Exception {
    Assumptions.assumeTrue(Epoll.isAvailable(), "needs native epoll (Linux) for AF_UNIX datagrams");
    notifyPath = dir.resolve("notify");
    bind(new DomainSocketAddress(notifyPath.toFile()));
  }

  private void bind(DomainSocketAddress address) throws InterruptedException {
    if (notifySocket != null) {
      notifySocket.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    notifySocket =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    String m = p.content().toString(StandardCharsets.UTF_8);
                    if (m.equals("WATCHDOG=1")) {
                      watchdogPings.incrementAndGet();
                    } else {
                      messages.add(m);
                    }
                  }
                })
            .bind(address)
            .sync()
            .channel();
  }

  @AfterEach
  void stop() {
    for (Process p : children) {
      p.destroyForcibly();
    }
    if (notifySocket != null) {
      notifySocket.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aServerIsReadyWhenItsPortAcceptsReloadsOnSighupStopsOnSigtermAndPingsTheWatchdog()
      throws Exception {
    Keys keys = keys();
    Process server =
        start(
            Map.of("NOTIFY_SOCKET", notifyPath.toString(), "WATCHDOG_USEC", "400000"),
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            keys.serverKey.toString(),
            "--authorized",
            keys.authorized.toString(),
            "--policy",
            "accept 127.0.0.1:9",
            "--drain-timeout",
            "1s");

    Map<String, String> ready = next("READY=1");
    Matcher port =
        Pattern.compile("listening on /?127\\.0\\.0\\.1:(\\d+)").matcher(ready.get("STATUS"));
    assertThat(port.find()).as("STATUS names the bound address: %s", ready).isTrue();
    try (Socket s = new Socket()) {
      s.connect(
          new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1))),
          2000); // accepts at once
    }
    assertThat(ready.get("MAINPID")).isEqualTo(Long.toString(server.pid()));
    assertThat(output.toString())
        .as("the log said it listened before READY=1")
        .contains("listening on");

    int before = watchdogPings.get();
    Thread.sleep(1_000); // pings every 200 ms
    assertThat(watchdogPings.get() - before)
        .as("watchdog pings in 1 s at WATCHDOG_USEC=400000")
        .isGreaterThanOrEqualTo(3);

    long sentAfterUsec = System.nanoTime() / 1000;
    kill("-HUP", server);
    Map<String, String> reloading = next("RELOADING=1");
    long receivedUsec = System.nanoTime() / 1000;
    // CLOCK_MONOTONIC is system-wide: the child's timestamp lies between our own two readings.
    assertThat(Long.parseLong(reloading.get("MONOTONIC_USEC")))
        .isBetween(sentAfterUsec, receivedUsec);
    Map<String, String> reloaded = next("READY=1");
    assertThat(reloaded.get("STATUS")).contains("reloaded (SIGHUP)");

    server.destroy(); // SIGTERM
    assertThat(next("STOPPING=1")).containsKey("STATUS");
    assertThat(server.waitFor(20, TimeUnit.SECONDS)).as("the server ended after SIGTERM").isTrue();
    assertThat(server.exitValue()).as("exit status after SIGTERM\n%s", output).isZero();
  }

  @Test
  void aClientIsReadyOnceItsPortsAreBoundAndItsLinkIsUp() throws Exception {
    Keys keys = keys();
    Process server =
        start(
            Map.of(),
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            keys.serverKey.toString(),
            "--authorized",
            keys.authorized.toString(),
            "--policy",
            "accept 127.0.0.1:9");
    String serverPort = awaitOutput("listening on /?127\\.0\\.0\\.1:(\\d+)");
    Process client =
        start(
            Map.of("NOTIFY_SOCKET", notifyPath.toString(), "WATCHDOG_USEC", "400000"),
            "client",
            "--server",
            "127.0.0.1:" + serverPort,
            "--server-key",
            keys.serverPublic,
            "--key",
            keys.clientKey.toString(),
            "-L",
            "127.0.0.1:0:127.0.0.1:9");

    Map<String, String> ready = next("READY=1");
    assertThat(ready.get("STATUS")).startsWith("link up to 127.0.0.1:" + serverPort);
    assertThat(ready.get("MAINPID")).isEqualTo(Long.toString(client.pid()));
    String front = awaitOutput("forwarding /?127\\.0\\.0\\.1:(\\d+)");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(front)), 2000);
    }
    int before = watchdogPings.get();
    Thread.sleep(1_000);
    assertThat(watchdogPings.get() - before)
        .as("the client pings the watchdog too")
        .isGreaterThanOrEqualTo(3);

    client.destroy();
    assertThat(next("STOPPING=1")).containsKey("STATUS");
    assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue()).isZero();
    server.destroy();
  }

  @Test
  void aClientWhoseServerIsDownIsReadyWithItsPortsBoundAndSaysTheLinkIsDown() throws Exception {
    // systemd's own NOTIFY_SOCKET is often abstract ("@/org/freedesktop/systemd1/notify/..."):
    // "@" in the variable, NUL in the address.
    String name = "ett-test-notify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    bind(new DomainSocketAddress("\0" + name));
    Keys keys = keys();
    int closedPort;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = ss.getLocalPort(); // nothing listens here once closed: the link is refused
    }
    Process client =
        start(
            Map.of("NOTIFY_SOCKET", "@" + name),
            "client",
            "--server",
            "127.0.0.1:" + closedPort,
            "--server-key",
            keys.serverPublic,
            "--key",
            keys.clientKey.toString(),
            "-L",
            "127.0.0.1:0:127.0.0.1:9");

    Map<String, String> ready = next("READY=1");
    assertThat(ready.get("STATUS"))
        .startsWith("link down (")
        .contains("retrying; 1 port(s) accepting");
    String front = awaitOutput("forwarding /?127\\.0\\.0\\.1:(\\d+)");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(front)), 2000);
    }
    client.destroy();
    assertThat(next("STOPPING=1")).isNotEmpty();
    assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue()).isZero();
  }

  // --- helpers ---

  private record Keys(Path serverKey, String serverPublic, Path clientKey, Path authorized) {}

  private Keys keys() throws Exception {
    KeyPair serverKey = X25519.generate();
    KeyPair clientKey = X25519.generate();
    Path sk = dir.resolve("server.key");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Path ck = dir.resolve("client.key");
    KeyFile.write(ck, clientKey.privateKey(), clientKey.publicKey());
    Path authorized = dir.resolve("authorized");
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    return new Keys(sk, KeyFile.encode(serverKey.publicKey()), ck, authorized);
  }

  /**
   * Starts Main in a JVM of its own with the test classpath; its output goes to {@link #output}.
   */
  private Process start(Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(ChildJvm.ett(args)).redirectErrorStream(true);
    Map<String, String> e = pb.environment();
    for (String v : List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")) {
      e.remove(v); // the test's own service manager, if any, is not the child's
    }
    e.putAll(new HashMap<>(env));
    Process p = pb.start();
    children.add(p);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try {
                for (String line; (line = out.readLine()) != null; ) {
                  output.append(line).append('\n');
                }
              } catch (java.io.IOException ignored) {
                // the child ended
              }
            });
    return p;
  }

  /** Waits for a line of the children's output to match; returns group 1. */
  private String awaitOutput(String regex) throws InterruptedException {
    Pattern pattern = Pattern.compile(regex);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = pattern.matcher(output);
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no output matched /" + regex + "/:\n" + output);
  }

  /** The next notification (watchdog pings aside), which must carry {@code first}; as a map. */
  private Map<String, String> next(String first) throws InterruptedException {
    String m = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(m)
        .as("a notification with %s within %s; output:\n%s", first, WAIT, output)
        .isNotNull();
    assertThat(m.split("\n")[0]).as("notification %s", m).isEqualTo(first);
    Map<String, String> fields = new HashMap<>();
    for (String line : m.split("\n")) {
      int eq = line.indexOf('=');
      assertThat(eq).as("a KEY=VALUE line in %s", m).isPositive();
      fields.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return fields;
  }

  private static void kill(String signal, Process p) throws Exception {
    Process k = new ProcessBuilder("kill", signal, Long.toString(p.pid())).inheritIO().start();
    assertThat(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0)
        .as("kill %s %s", signal, p.pid())
        .isTrue();
  }
}
