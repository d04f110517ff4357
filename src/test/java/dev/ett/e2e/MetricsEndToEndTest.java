package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.cli.Main;
import dev.ett.cli.Metrics;
import dev.ett.cli.PromText;
import dev.ett.client.Client;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: the metrics endpoint of a server and of a client says what a known transfer
 * did (bytes each way, streams opened and refused, handshakes, policy decisions, per-client
 * series), {@code /healthz} follows the listener and the link, and {@code ett status} prints it.
 */
@Timeout(60)
class MetricsEndToEndTest {
  static final int BYTES = 100_000;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A server and a client of a tunnel to an echo target, each with its metrics endpoint. */
  static final class Endpoints implements AutoCloseable {
    final Tunnel t;
    final HTTPServer server, client;

    Endpoints(Tunnel t) throws Exception {
      this.t = t;
      InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
      this.server =
          Metrics.serve(
              any, Metrics.server(t.server, dev.ett.audit.AuditLog.NONE), t.server::health);
      this.client = Metrics.serve(any, Metrics.client(t.client), t.client::health);
    }

    @Override
    public void close() {
      server.close();
      client.close();
      t.close();
    }
  }

  /**
   * Sends {@code BYTES} random bytes through the -L forward to the echo target and reads them back.
   */
  static void echo(Tunnel t) throws Exception {
    byte[] data = new byte[BYTES];
    new Random(14).nextBytes(data);
    try (Socket s = Io.connect(t.forward)) {
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      s.getOutputStream().write(data);
                      s.shutdownOutput();
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  });
      byte[] back = Io.readFully(s.getInputStream(), BYTES);
      assertThat(back).isEqualTo(data);
      assertThat(s.getInputStream().read())
          .isEqualTo(-1); // the echo half-closes after us: the stream ends
      writer.join(10_000);
    }
  }

  @Test
  void bothEndsCountAKnownTransferAndARefusedStream() throws Exception {
    try (Endpoints e = new Endpoints(Tunnel.start(TestTarget.Mode.ECHO))) {
      e.t.awaitLink(Duration.ofSeconds(10));
      echo(e.t);
      // A stream the policy refuses (nothing listens on port 1; the policy accepts only the
      // target's port).
      try (ForwardFront refused =
          new ForwardFront(ForwardSpec.parse("127.0.0.1:0:127.0.0.1:1"), e.t.client)) {
        try (Socket s = Io.connect(refused.start())) {
          InputStream in = s.getInputStream();
          try {
            assertThat(in.read()).isEqualTo(-1);
          } catch (java.net.SocketException reset) {
            // refused streams end with a reset toward the application: fine too
          }
        }
      }
      for (HTTPServer end : List.of(e.server, e.client)) {
        List<PromText.Sample> m =
            scrapeUntil(
                end,
                x ->
                    value(x, "ett_streams") == 0
                        && value(x, "ett_streams_refused_total", "reason", "POLICY") == 1);
        assertThat(value(m, "ett_stream_bytes_total", "direction", "from_client")).isEqualTo(BYTES);
        assertThat(value(m, "ett_stream_bytes_total", "direction", "to_client")).isEqualTo(BYTES);
        assertThat(value(m, "ett_streams_opened_total")).isEqualTo(1);
        assertThat(value(m, "ett_streams_refused_total", "answer", "refused", "reason", "POLICY"))
            .isEqualTo(1);
        assertThat(value(m, "ett_links")).isEqualTo(1);
        assertThat(value(m, "ett_handshakes_total", "outcome", "ok")).isEqualTo(1);
        assertThat(value(m, "ett_control_frames_queued")).isZero();
        assertThat(m).anyMatch(x -> x.name().startsWith("jvm_memory_used_bytes"));
      }
      List<PromText.Sample> s = scrape(e.server);
      assertThat(value(s, "ett_info", "role", "server")).isEqualTo(1);
      assertThat(value(s, "ett_client_links", "client", "client0")).isEqualTo(1);
      assertThat(
              value(
                  s,
                  "ett_client_stream_bytes_total",
                  "client",
                  "client0",
                  "direction",
                  "from_client"))
          .isEqualTo(BYTES);
      assertThat(
              value(
                  s,
                  "ett_client_stream_bytes_total",
                  "client",
                  "client0",
                  "direction",
                  "to_client"))
          .isEqualTo(BYTES);
      assertThat(value(s, "ett_client_streams_opened_total", "client", "client0")).isEqualTo(1);
      assertThat(
              value(
                  s,
                  "ett_policy_decisions_total",
                  "policy",
                  "policy",
                  "rule",
                  "1",
                  "outcome",
                  "accepted"))
          .isEqualTo(1);
      assertThat(
              value(
                  s,
                  "ett_policy_decisions_total",
                  "policy",
                  "policy",
                  "rule",
                  "none",
                  "outcome",
                  "refused"))
          .isEqualTo(1);
      assertThat(value(s, "ett_stream_buffered_bytes")).isZero();
      List<PromText.Sample> c = scrape(e.client);
      assertThat(value(c, "ett_info", "role", "client")).isEqualTo(1);
      assertThat(value(c, "ett_reconnects_total")).isZero();
      assertThat(c)
          .noneMatch(x -> x.name().startsWith("ett_client_")); // per-client series are the server's

      String out = status(e.server);
      assertThat(out)
          .startsWith("server at http://127.0.0.1:")
          .contains("health:   ok: listening on 127.0.0.1:")
          .contains("links:    1 up; handshakes: 1 ok, 0 rejected")
          .contains("streams:  0 open, 1 opened, 1 refused (1 POLICY)")
          .contains("transfer: 97.7 KiB from client(s), 97.7 KiB to client(s)")
          .containsPattern("\n  client0 +1 +0 +1 +97.7 KiB +97.7 KiB\n");
      assertThat(status(e.client))
          .startsWith("client at http://127.0.0.1:")
          .contains("link:     up, 1 handshake(s) ok, 0 failed, 0 reconnect(s)");

      // The link ends: its counts stay in the totals (counters never go back), its gauges go.
      e.t.front.close();
      e.t.front = null;
      e.t.client.close();
      List<PromText.Sample> after = scrapeUntil(e.server, x -> value(x, "ett_links") == 0);
      assertThat(value(after, "ett_links")).isZero();
      assertThat(value(after, "ett_client_links", "client", "client0")).isZero();
      assertThat(value(after, "ett_stream_bytes_total", "direction", "from_client"))
          .isEqualTo(BYTES);
      assertThat(
              value(
                  after,
                  "ett_client_stream_bytes_total",
                  "client",
                  "client0",
                  "direction",
                  "to_client"))
          .isEqualTo(BYTES);
      assertThat(value(after, "ett_streams_opened_total")).isEqualTo(1);
      assertThat(value(after, "ett_streams_refused_total", "reason", "POLICY")).isEqualTo(1);
      assertThat(healthz(e.client)).isEqualTo("503 link down");
      e.t.client = null; // closed: not for Tunnel.close again
    }
  }

  @Test
  void healthzFollowsTheClientsLinkAndTheServersListenerAndReconnectsAreCounted() throws Exception {
    try (Endpoints e = new Endpoints(Tunnel.start(TestTarget.Mode.ECHO))) {
      e.t.awaitLink(Duration.ofSeconds(10));
      assertThat(healthz(e.client))
          .isEqualTo("200 link up to 127.0.0.1:" + e.t.serverAddress.getPort());
      assertThat(healthz(e.server))
          .isEqualTo(
              "200 listening on 127.0.0.1:" + e.t.serverAddress.getPort() + ", 1 link(s) up");
      e.t.stopServer();
      e.t.server = null; // stopped: not for Tunnel.close again
      assertThat(healthz(e.server)).isEqualTo("503 not listening");
      String down = awaitHealthz(e.client, h -> h.startsWith("503 "));
      assertThat(down).startsWith("503 link down");
      assertThat(value(scrape(e.client), "ett_links")).isZero();
      assertThat(get(e.client, "/nothing").statusCode()).isEqualTo(404);
      // The server comes back on its address: the client reconnects (its backoff is short so far).
      e.t.startServer(e.t.serverAddress);
      assertThat(awaitHealthz(e.client, h -> h.startsWith("200 "))).startsWith("200 link up");
      List<PromText.Sample> m = scrape(e.client);
      assertThat(value(m, "ett_reconnects_total")).isEqualTo(1);
      assertThat(value(m, "ett_handshakes_total", "outcome", "ok")).isEqualTo(2);
      assertThat(value(m, "ett_links")).isEqualTo(1);
    }
  }

  @Test
  void aStreamRefusedOnItsFirstBytesIsAResetAndAnUnknownKeyARejectedHandshake() throws Exception {
    try (Endpoints e =
        new Endpoints(
            Tunnel.start(TestTarget.Mode.ECHO, "accept 127.0.0.1 http", LinkConfig.defaults()))) {
      e.t.awaitLink(Duration.ofSeconds(10));
      try (Socket s = Io.connect(e.t.forward)) {
        s.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
        try {
          assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (java.net.SocketException reset) {
          // the stream's RESET reaches the application as a reset
        }
      }
      List<PromText.Sample> m =
          scrapeUntil(
              e.server,
              x ->
                  value(x, "ett_streams_refused_total", "answer", "reset", "reason", "POLICY")
                      == 1);
      assertThat(value(m, "ett_streams_refused_total", "answer", "reset", "reason", "POLICY"))
          .isEqualTo(1);
      assertThat(value(m, "ett_streams_refused_total", "answer", "refused")).isZero();
      assertThat(value(m, "ett_policy_decisions_total", "outcome", "refused")).isEqualTo(1);
      assertThat(value(m, "ett_policy_decisions_total", "outcome", "accepted")).isZero();

      // A client whose key the server does not know: closed silently, counted by cause.
      Client stranger =
          new Client(
              new Client.Options(
                  e.t.serverAddress,
                  e.t.serverKey.publicKey(),
                  X25519.generate(),
                  Suite.AESGCM,
                  LinkConfig.defaults(),
                  16));
      try {
        stranger.start();
        assertThat(stranger.firstAttempt().get(10, java.util.concurrent.TimeUnit.SECONDS))
            .isFalse();
      } finally {
        stranger.close();
      }
      m =
          scrapeUntil(
              e.server, x -> value(x, "ett_handshakes_total", "outcome", "unknown_key") == 1);
      assertThat(value(m, "ett_handshakes_total", "outcome", "unknown_key")).isEqualTo(1);
      assertThat(value(m, "ett_handshakes_total", "outcome", "ok")).isEqualTo(1);
    }
  }

  @Test
  void statusSaysWhenNothingAnswers() throws Exception {
    int port;
    try (java.net.ServerSocket free =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    String[] r = runStatus("--metrics", "127.0.0.1:" + port);
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).startsWith("ett status: nothing answers at http://127.0.0.1:" + port);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  static HttpResponse<String> get(HTTPServer end, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + end.getPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static List<PromText.Sample> scrape(HTTPServer end) throws Exception {
    HttpResponse<String> r = get(end, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return PromText.parse(r.body());
  }

  /**
   * Scrapes until {@code done} holds (the server's side of a stream ends just after the client's);
   * at most 10 s.
   */
  static List<PromText.Sample> scrapeUntil(HTTPServer end, Predicate<List<PromText.Sample>> done)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<PromText.Sample> m = scrape(end);
    while (!done.test(m) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      m = scrape(end);
    }
    return m;
  }

  static String healthz(HTTPServer end) throws Exception {
    HttpResponse<String> r = get(end, "/healthz");
    return r.statusCode() + " " + r.body().strip();
  }

  static String awaitHealthz(HTTPServer end, Predicate<String> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String h = healthz(end);
    while (!done.test(h) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      h = healthz(end);
    }
    return h;
  }

  /**
   * The value of the one sample named {@code name} with these label pairs (among others); 0 if
   * none.
   */
  static long value(List<PromText.Sample> m, String name, String... labels) {
    double v = 0;
    int found = 0;
    for (PromText.Sample x : m) {
      if (!x.name().equals(name)) {
        continue;
      }
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) {
        all &= x.label(labels[i]).equals(labels[i + 1]);
      }
      if (all) {
        v += x.value();
        found++;
      }
    }
    assertThat(found)
        .as("samples of %s %s", name, List.of(labels))
        .isLessThanOrEqualTo(labels.length == 0 ? 1 : Integer.MAX_VALUE);
    return Math.round(v);
  }

  static String status(HTTPServer end) {
    String[] r = runStatus("--metrics", "127.0.0.1:" + end.getPort());
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    return r[1];
  }

  /** {@code ett status ...} in this JVM: {exit status, stdout, stderr}. */
  static synchronized String[] runStatus(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      String[] all = new String[args.length + 1];
      all[0] = "status";
      System.arraycopy(args, 0, all, 1, args.length);
      int status = Main.run(all);
      return new String[] {
        Integer.toString(status),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8)
      };
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
