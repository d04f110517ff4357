package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ett.audit.SyslogTarget;
import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import dev.ett.wire.Destination;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: an {@code ett server} with {@code --audit FILE --audit syslog://...} sends
 * every audit event to a real rsyslog (imtcp on loopback, a config written here, in the
 * foreground), in order, with the event's name as MSGID and the file's JSON line as MSG; and a
 * restart of rsyslog in the middle of the run loses nothing: the events of the links and streams
 * made while it is down arrive once it is back, after the ones before, and no {@code audit_gap} is
 * needed. The same over TLS (rsyslog's gtls driver) with the collector's certificate checked
 * against a CA file.
 *
 * <p>The file trail the same server writes is the oracle: what rsyslog received must be exactly its
 * lines, in its order.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RsyslogAuditTest {
  private static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stopEverything() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyEventReachesRsyslogInOrderAcrossARestart() throws Exception {
    assumeTrue(Files.isExecutable(RSYSLOGD), "rsyslogd is not installed (Debian: rsyslog)");
    Rsyslog rsyslog = new Rsyslog(dir.resolve("rsyslog"), freePort(), null);
    rsyslog.start();
    runAcrossARestart(rsyslog, "syslog://127.0.0.1:" + rsyslog.port);
  }

  @Test
  void overTlsTheCollectorsCertificateIsCheckedAndEveryEventArrives() throws Exception {
    Rsyslog rsyslog = tlsRsyslog();
    runAcrossARestart(
        rsyslog,
        "syslog+tls://127.0.0.1:" + rsyslog.port,
        "--audit-syslog-ca",
        dir.resolve("pki/ca.pem").toString());
  }

  @Test
  void aTlsCollectorWithTheWrongNameOrAnUnknownCaIsNotSentAnything() throws Exception {
    Rsyslog rsyslog = tlsRsyslog();
    Path pki = dir.resolve("pki");
    Path otherCa = Files.createDirectories(dir.resolve("other"));
    run(
        otherCa,
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
            + " -addext subjectAltName=IP:127.0.0.1 -keyout ca.key -out ca.pem");
    int port = rsyslog.port;
    // The right CA and the address the certificate names: connects.
    SyslogTarget good = SyslogTarget.parse("syslog+tls://127.0.0.1:" + port, pki.resolve("ca.pem"));
    good.connect(good.tlsContext()).close();
    // The right CA, but "localhost" is not in the certificate (only IP:127.0.0.1).
    SyslogTarget wrongName =
        SyslogTarget.parse("syslog+tls://localhost:" + port, pki.resolve("ca.pem"));
    assertThatThrownBy(() -> wrongName.connect(wrongName.tlsContext()))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("localhost");
    // Another CA (a self-signed certificate that even names 127.0.0.1).
    SyslogTarget wrongCa =
        SyslogTarget.parse("syslog+tls://127.0.0.1:" + port, otherCa.resolve("ca.pem"));
    assertThatThrownBy(() -> wrongCa.connect(wrongCa.tlsContext()))
        .isInstanceOf(SSLHandshakeException.class);
    // The JDK's own trust store does not know the test CA either.
    SyslogTarget noCa = SyslogTarget.parse("syslog+tls://127.0.0.1:" + port, null);
    assertThatThrownBy(() -> noCa.connect(noCa.tlsContext()))
        .isInstanceOf(SSLHandshakeException.class);
    rsyslog.stop();
    assertThat(rsyslog.received()).isEmpty();
  }

  /** An rsyslogd with gtls (a certificate for IP 127.0.0.1 signed by pki/ca.pem), started. */
  private Rsyslog tlsRsyslog() throws Exception {
    assumeTrue(Files.isExecutable(RSYSLOGD), "rsyslogd is not installed (Debian: rsyslog)");
    assumeTrue(hasGtls(), "rsyslog's gtls driver is not installed (Debian: rsyslog-gnutls)");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
    Path pki = Files.createDirectories(dir.resolve("pki"));
    makeCertificates(pki);
    Rsyslog rsyslog = new Rsyslog(dir.resolve("rsyslog"), freePort(), pki);
    rsyslog.start();
    return rsyslog;
  }

  /** rsyslog's modules live in /usr/lib/MULTIARCH/rsyslog on Debian. */
  private static boolean hasGtls() throws IOException {
    try (var dirs = Files.list(Path.of("/usr/lib"))) {
      return dirs.anyMatch(d -> Files.exists(d.resolve("rsyslog/lmnsd_gtls.so")));
    }
  }

  /**
   * Links and streams before, during and after an rsyslog restart; then what rsyslog received is
   * compared with the file trail.
   */
  private void runAcrossARestart(Rsyslog rsyslog, String target, String... more) throws Exception {
    TestTarget echo = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
    closeables.add(echo);
    int echoPort = echo.address().getPort();
    KeyPair serverKey = X25519.generate();
    KeyPair clientKey = X25519.generate();
    Path sk = dir.resolve("server.key");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Path authorized = dir.resolve("authorized");
    Files.writeString(authorized, KeyFile.encode(clientKey.publicKey()) + " alice\n");
    Path trail = dir.resolve("audit.jsonl");
    List<String> args =
        new ArrayList<>(
            List.of(
                "server",
                "--listen",
                "127.0.0.1:0",
                "--key",
                sk.toString(),
                "--authorized",
                authorized.toString(),
                "--policy",
                "accept 127.0.0.1:" + echoPort,
                "--audit",
                trail.toString(),
                "--audit",
                target,
                "--audit-syslog-facility",
                "local3"));
    args.addAll(List.of(more));
    Path serverLog = dir.resolve("server.log");
    Process server =
        new ProcessBuilder(ChildJvm.ett(args.toArray(String[]::new)))
            .redirectErrorStream(true)
            .redirectOutput(serverLog.toFile())
            .start();
    processes.add(server);
    Matcher listening = awaitLine(serverLog, "listening on /?127\\.0\\.0\\.1:(\\d+)");
    InetSocketAddress serverAddress =
        new InetSocketAddress("127.0.0.1", Integer.parseInt(listening.group(1)));

    // 1. Rsyslog up: a link with three streams, then its end.
    session(serverAddress, serverKey, clientKey, echoPort, 3);
    await(() -> count(trail, "link_down") == 1, "link_down 1 in the file", serverLog);
    await(() -> lines(trail).size() == rsyslog.received().size(), "rsyslog got phase 1", serverLog);

    // 2. Rsyslog stopped (and its port closed): two links with two streams each.
    rsyslog.stop();
    session(serverAddress, serverKey, clientKey, echoPort, 2);
    session(serverAddress, serverKey, clientKey, echoPort, 2);
    await(() -> count(trail, "link_down") == 3, "link_down 3 in the file", serverLog);

    // 3. Rsyslog back: one more link.
    rsyslog.start();
    session(serverAddress, serverKey, clientKey, echoPort, 1);
    await(() -> count(trail, "link_down") == 4, "link_down 4 in the file", serverLog);
    await(
        () -> rsyslog.received().size() >= lines(trail).size(),
        "rsyslog got everything",
        serverLog);

    List<String> file = lines(trail);
    List<String[]> got = rsyslog.received();
    assertThat(got.stream().map(m -> m[1]).toList())
        .as("rsyslog's messages, in order: the file's lines, none lost, none twice, no gap")
        .containsExactlyElementsOf(file);
    for (String[] m : got) {
      assertThat(m[0]).as("MSGID of " + m[1]).isEqualTo(event(m[1]));
    }
    assertThat(file.stream().map(RsyslogAuditTest::event).toList())
        .as("the run's events")
        .startsWith(
            "link_up",
            "stream_opened",
            "stream_closed",
            "stream_opened",
            "stream_closed",
            "stream_opened",
            "stream_closed",
            "link_down",
            "link_up")
        .hasSize(4 * 2 + 2 * (3 + 2 + 2 + 1));
  }

  /** A client's link with {@code streams} echo round trips, one after the other, then its end. */
  private static void session(
      InetSocketAddress server, KeyPair serverKey, KeyPair clientKey, int echoPort, int streams)
      throws Exception {
    Client client =
        new Client(
            new Client.Options(
                server, serverKey.publicKey(), clientKey, Suite.AESGCM, LinkConfig.defaults(), 64));
    try {
      client.start().get(20, TimeUnit.SECONDS);
      AnyForward front = new AnyForward(client, Destination.ofName("127.0.0.1", echoPort));
      front.start();
      try (front) {
        for (int i = 0; i < streams; i++) {
          try (Socket s = Io.connect(front.address)) {
            s.getOutputStream().write(("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(Io.readLine(s)).isEqualTo("hello " + i);
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
          }
        }
      }
    } finally {
      client.close();
    }
  }

  /** A real rsyslogd in the foreground: imtcp on 127.0.0.1:port, MSGID and MSG to a file. */
  private final class Rsyslog {
    final Path home;
    final int port;
    final Path pki;
    final Path out;
    Process process;
    int starts;

    Rsyslog(Path home, int port, Path pki) throws IOException {
      this.home = Files.createDirectories(home);
      this.port = port;
      this.pki = pki;
      this.out = home.resolve("received.log");
      Files.createDirectories(home.resolve("work"));
      String tls =
          pki == null
              ? ""
              : "global(defaultNetstreamDriverCAFile=\"%s\" defaultNetstreamDriverCertFile=\"%s\" defaultNetstreamDriverKeyFile=\"%s\")\n"
                  .formatted(
                      pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server.key"));
      String module =
          pki == null
              ? "module(load=\"imtcp\")\n"
              : "module(load=\"imtcp\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\""
                  + " streamDriver.authMode=\"anon\")\n";
      Files.writeString(
          home.resolve("rsyslog.conf"),
          "global(workDirectory=\""
              + home.resolve("work")
              + "\" maxMessageSize=\"64k\")\n"
              + tls
              + module
              + "template(name=\"ett\" type=\"string\" string=\"%msgid% %msg%\\n\")\n"
              + "input(type=\"imtcp\" address=\"127.0.0.1\" port=\""
              + port
              + "\")\n"
              + "action(type=\"omfile\" file=\""
              + out
              + "\" template=\"ett\")\n");
    }

    void start() throws Exception {
      starts++;
      process =
          new ProcessBuilder(
                  RSYSLOGD.toString(),
                  "-n",
                  "-f",
                  home.resolve("rsyslog.conf").toString(),
                  "-i",
                  home.resolve("rsyslogd.pid").toString())
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(home.resolve("rsyslogd.log").toFile()))
              .start();
      processes.add(process);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        assertThat(process.isAlive())
            .as("rsyslogd running; its output: " + Files.readString(home.resolve("rsyslogd.log")))
            .isTrue();
        try (Socket s = new Socket("127.0.0.1", port)) {
          return;
        } catch (IOException e) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError("rsyslogd did not listen on " + port, e);
          }
          Thread.sleep(50);
        }
      }
    }

    void stop() throws Exception {
      process.destroy(); // SIGTERM: rsyslog writes what it has and closes its connections
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("rsyslogd stopped").isTrue();
    }

    /** Each message received so far: {MSGID, MSG}. */
    List<String[]> received() {
      List<String[]> got = new ArrayList<>();
      for (String line : lines(out)) {
        int sp = line.indexOf(' ');
        got.add(new String[] {line.substring(0, sp), line.substring(sp + 1)});
      }
      return got;
    }
  }

  /** A CA, and a certificate for 127.0.0.1 (IP SAN) that it signs, made with openssl. */
  private static void makeCertificates(Path pki) throws Exception {
    run(
        pki,
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ett-test-ca"
            + " -keyout ca.key -out ca.pem");
    run(
        pki,
        "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out"
            + " server.csr");
    Files.writeString(pki.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    run(
        pki,
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
            + " -extfile san.ext -out server.pem");
  }

  private static void run(Path dir, String command) throws Exception {
    Process p =
        new ProcessBuilder(command.split(" "))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("openssl.log").toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as(command + ": " + Files.readString(dir.resolve("openssl.log")))
        .isZero();
  }

  private static String event(String json) {
    try {
      Map<?, ?> m = JSON.readValue(json, Map.class);
      return (String) m.get("event");
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  private static long count(Path trail, String event) {
    return lines(trail).stream().filter(l -> event.equals(event(l))).count();
  }

  private static List<String> lines(Path file) {
    try {
      if (!Files.exists(file)) {
        return List.of();
      }
      String text = Files.readString(file);
      // Only whole lines: a writer may be in the middle of one.
      int end = text.lastIndexOf('\n');
      return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Matcher awaitLine(Path log, String regex) throws Exception {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = p.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        return m;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no line matching " + regex + " in:\n" + Files.readString(log));
  }

  private static void await(BooleanSupplier condition, String what, Path serverLog)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out waiting for: "
                + what
                + "; server's output:\n"
                + Files.readString(serverLog));
      }
      Thread.sleep(50);
    }
  }
}
