package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.bench.TestTarget;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: a real Prometheus server (Debian's {@code prometheus}, started on loopback
 * with a configuration written here) scrapes an ett server's endpoint and, asked through its HTTP
 * API, has the values of a known transfer: the page is what Prometheus reads, not only what our own
 * parser reads. Skipped when {@code prometheus} is not installed (.ci/run installs it).
 */
@Timeout(120)
class PrometheusScrapeTest {
  @TempDir Path dir;

  @Test
  void prometheusScrapesTheBytesOfAKnownTransfer() throws Exception {
    Path prometheus = onPath("prometheus");
    assumeTrue(
        prometheus != null,
        "prometheus is not installed (Debian: apt-get install prometheus; .ci/run does)");
    try (MetricsEndToEndTest.Endpoints e =
        new MetricsEndToEndTest.Endpoints(Tunnel.start(TestTarget.Mode.ECHO))) {
      e.t.awaitLink(Duration.ofSeconds(10));
      MetricsEndToEndTest.echo(e.t);
      int web = freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: 1s
            scrape_timeout: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: ett
              static_configs:
                - targets: ['127.0.0.1:%d']
          """
              .formatted(e.server.getPort()));
      Path log = dir.resolve("prometheus.log");
      Process p =
          new ProcessBuilder(
                  prometheus.toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + web,
                  "--log.level=warn")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try {
        String api = "http://127.0.0.1:" + web + "/api/v1/query?query=";
        // Prometheus scrapes every second once it is up; wait (bounded) for the first scrape.
        assertThat(await(api, "up{job=\"ett\"}", log)).isEqualTo("1");
        assertThat(await(api, "ett_stream_bytes_total{direction=\"from_client\"}", log))
            .isEqualTo(Integer.toString(MetricsEndToEndTest.BYTES));
        assertThat(await(api, "ett_stream_bytes_total{direction=\"to_client\"}", log))
            .isEqualTo(Integer.toString(MetricsEndToEndTest.BYTES));
        assertThat(
                await(
                    api,
                    "ett_client_stream_bytes_total{client=\"client0\",direction=\"to_client\"}",
                    log))
            .isEqualTo(Integer.toString(MetricsEndToEndTest.BYTES));
        assertThat(await(api, "ett_streams_opened_total", log)).isEqualTo("1");
        assertThat(await(api, "ett_handshakes_total{outcome=\"ok\"}", log)).isEqualTo("1");
        assertThat(await(api, "ett_links", log)).isEqualTo("1");
      } finally {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static final Pattern VALUE = Pattern.compile("\"value\":\\[[0-9.]+,\"([^\"]+)\"\\]");

  /**
   * The value of a one-series instant query once Prometheus has one (it may be starting, or not
   * have scraped yet); at most 30 s, then fails with Prometheus's last answer and its log.
   */
  private static String await(String api, String query, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            MetricsEndToEndTest.HTTP.send(
                HttpRequest.newBuilder(
                        URI.create(api + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        last = r.statusCode() + " " + r.body();
        Matcher m = VALUE.matcher(r.body());
        if (r.statusCode() == 200 && m.find()) {
          return m.group(1);
        }
      } catch (java.io.IOException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "Prometheus had no value for "
            + query
            + " within 30 s; last answer: "
            + last
            + "\nits log:\n"
            + (Files.exists(log) ? Files.readString(log) : "(none)"));
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
