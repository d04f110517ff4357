package dev.ett.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ett.audit.AuditLog;
import dev.ett.audit.AuditTee;
import dev.ett.audit.AuditWriter;
import dev.ett.client.Client;
import dev.ett.config.AuthorizedClient;
import dev.ett.link.HandshakeRejection;
import dev.ett.mux.Mux;
import dev.ett.server.Server;
import dev.ett.util.Health;
import dev.ett.util.Log;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The metrics endpoint ({@code --metrics}): the series of a server or a client, registered with the
 * official Prometheus Java client and served by its HTTP server, with {@code /healthz} beside
 * {@code /metrics}. docs/operations.md, "Metrics", lists every series.
 *
 * <p>Nothing here runs on the data path. Every ett series is read when scraped, from counts the
 * code keeps anyway (the mux's per-link counts, read on each link's own event loop; the server's
 * handshake and decision counts; the audit writer's); only the resolver's histogram is observed as
 * lookups end, once per DNS lookup. One scrape reads the links once: the series of a scrape share
 * one reading, taken at most {@link #READING_AGE} before.
 *
 * <p>Cardinality is bounded by the operator's files, not by peers: per-client series carry the
 * authorized file's names only (at most {@link #MAX_CLIENT_SERIES}, the busiest; the rest summed as
 * {@code client="other"}), policy decisions the policy's name and the rule's index (bounded in
 * Server), refusals the codes of the protocol.
 */
public final class Metrics {
  private Metrics() {}

  /** Per-client series at most; past it the quieter clients are summed as "other". */
  static final int MAX_CLIENT_SERIES = 500;

  /** How long one reading of the links serves the series of a scrape. */
  static final Duration READING_AGE = Duration.ofMillis(100);

  /** How long a scrape waits for an event loop to answer (a wedged one keeps its last answer). */
  static final Duration LOOP_WAIT = Duration.ofSeconds(2);

  /** Both directions, named from the client's side on both ends so that the two ends agree. */
  static final String FROM_CLIENT = "from_client", TO_CLIENT = "to_client";

  /** One reading shared by the series of a scrape. */
  static final class Reading<T> {
    private final Supplier<T> read;
    private final LongSupplier nanoClock;
    private T value;
    private long at;

    Reading(Supplier<T> read) {
      this(read, System::nanoTime);
    }

    /** With a clock of the test's ({@link System#nanoTime} otherwise). */
    Reading(Supplier<T> read, LongSupplier nanoClock) {
      this.read = read;
      this.nanoClock = nanoClock;
    }

    synchronized T get() {
      long now = nanoClock.getAsLong();
      if (value == null || now - at > READING_AGE.toNanos()) {
        value = read.get();
        at = now;
      }
      return value;
    }

    /**
     * A value derived from this reading: it follows the reading's current value (recomputed once
     * each time that value is replaced), never a cache of its own, so that the series of a scrape
     * read from either always agree.
     */
    <R> Supplier<R> map(Function<? super T, ? extends R> f) {
      return new Supplier<>() {
        private T from;
        private R derived;

        @Override
        public synchronized R get() {
          T v = Reading.this.get();
          if (v != from) {
            derived = f.apply(v);
            from = v;
          }
          return derived;
        }
      };
    }
  }

  // ---- server ----------------------------------------------------------------------------------

  public static PrometheusRegistry server(Server server, AuditLog audit) {
    PrometheusRegistry r = new PrometheusRegistry();
    Reading<Server.Activity> now = new Reading<>(() -> server.activity(LOOP_WAIT));
    info(r, "server");
    gauge(r, "ett_links", "Links up (authenticated).", cb -> cb.call(now.get().links()));
    // At most ServerHandshake.MAX_KEYS series, plus dropped keys while links under them last.
    gauge(
        r,
        "ett_server_key_links",
        "Links up by the server key their client pinned (fingerprint): 0 for a key nobody uses.",
        "server_key",
        cb -> server.linksByServerKey().forEach((fp, n) -> cb.call(n, fp)));
    CounterWithCallback.builder()
        .name("ett_handshakes_total")
        .help(
            "Handshakes by outcome: ok (the link came up), or why the server closed the connection before.")
        .labelNames("outcome")
        .callback(
            cb -> {
              cb.call(server.handshakesConfirmed(), "ok");
              for (HandshakeRejection why : HandshakeRejection.values()) {
                cb.call(server.handshakesRejected(why), why.name().toLowerCase(Locale.ROOT));
              }
            })
        .register(r);
    links(r, () -> now.get().all());
    CounterWithCallback.builder()
        .name("ett_policy_decisions_total")
        .help(
            "Exit policy decisions, by policy (global, client NAME), deciding rule (its 1-based index, none) and outcome.")
        .labelNames("policy", "rule", "outcome")
        .callback(
            cb ->
                server.decisions().forEach((k, n) -> cb.call(n, k.policy(), k.rule(), k.outcome())))
        .register(r);
    Histogram lookups =
        Histogram.builder()
            .name("ett_resolver_lookup_seconds")
            .help(
                "DNS lookups of the exit (names not in --hosts), by outcome: ok, not_found, timeout.")
            .labelNames("outcome")
            .classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .withoutExemplars()
            .register(r);
    server.setLookupTimer((outcome, nanos) -> lookups.labelValues(outcome).observe(nanos / 1e9));
    gauge(
        r,
        "ett_stream_buffered_bytes",
        "Stream data the server holds for slow readers, all links (see --window).",
        cb -> cb.call(server.bufferedBytes()));
    counter(
        r,
        "ett_proxy_checks_total",
        "With --proxy-protocol: connections from the load balancer that carried no client (its health checks).",
        cb -> cb.call(server.proxyChecks()));
    // Summed over the sinks (a file and a syslog collector): the totals ett status shows.
    List<AuditWriter> writers = AuditTee.writers(audit);
    if (!writers.isEmpty()) {
      counter(
          r,
          "ett_audit_events_written_total",
          "Audit events written to the audit sinks.",
          cb -> cb.call(writers.stream().mapToLong(AuditWriter::written).sum()));
      counter(
          r,
          "ett_audit_events_dropped_total",
          "Audit events dropped: a sink was slower than the events (or unreachable longer than its queue lasts).",
          cb -> cb.call(writers.stream().mapToLong(AuditWriter::dropped).sum()));
      counter(
          r,
          "ett_audit_events_failed_total",
          "Audit events lost to write errors of a sink.",
          cb -> cb.call(writers.stream().mapToLong(AuditWriter::failed).sum()));
    }
    Supplier<List<Map.Entry<String, Server.ClientActivity>>> clients =
        now.map(a -> namedClients(server, a));
    gauge(
        r,
        "ett_client_links",
        "Links up per client (authorized file names).",
        "client",
        cb -> clients.get().forEach(e -> cb.call(e.getValue().links(), e.getKey())));
    gauge(
        r,
        "ett_client_streams",
        "Streams open per client.",
        "client",
        cb -> clients.get().forEach(e -> cb.call(e.getValue().counts().streamsOpen(), e.getKey())));
    CounterWithCallback.builder()
        .name("ett_client_streams_opened_total")
        .help("Streams opened per client.")
        .labelNames("client")
        .callback(
            cb ->
                clients
                    .get()
                    .forEach(e -> cb.call(e.getValue().counts().streamsOpened(), e.getKey())))
        .register(r);
    CounterWithCallback.builder()
        .name("ett_client_stream_bytes_total")
        .help(
            "Stream payload per client and direction (from_client: toward destinations; to_client: back).")
        .labelNames("client", "direction")
        .callback(
            cb ->
                clients
                    .get()
                    .forEach(
                        e -> {
                          cb.call(e.getValue().counts().bytesFromClient(), e.getKey(), FROM_CLIENT);
                          cb.call(e.getValue().counts().bytesToClient(), e.getKey(), TO_CLIENT);
                        }))
        .register(r);
    directMemory(r);
    JvmMetrics.builder().register(r);
    return r;
  }

  /**
   * The current authorized clients' activity (a client without links shows zeros, so its series
   * exists from start), the busiest {@link #MAX_CLIENT_SERIES} by name, the rest summed as "other".
   * Names of clients no longer authorized are dropped: their series end with them.
   */
  static List<Map.Entry<String, Server.ClientActivity>> namedClients(
      Server server, Server.Activity a) {
    List<Map.Entry<String, Server.ClientActivity>> all = new ArrayList<>();
    for (AuthorizedClient c : server.config().authorized().clients()) {
      all.add(
          Map.entry(
              c.name(),
              a.byClient().getOrDefault(c.name(), new Server.ClientActivity(0, Mux.NO_COUNTS))));
    }
    if (all.size() <= MAX_CLIENT_SERIES) {
      return all;
    }
    all.sort(
        Comparator.comparingLong(
                (Map.Entry<String, Server.ClientActivity> e) ->
                    e.getValue().counts().bytesFromClient() + e.getValue().counts().bytesToClient())
            .reversed());
    List<Map.Entry<String, Server.ClientActivity>> kept =
        new ArrayList<>(all.subList(0, MAX_CLIENT_SERIES - 1));
    Server.ClientActivity other = new Server.ClientActivity(0, Mux.NO_COUNTS);
    for (Map.Entry<String, Server.ClientActivity> e :
        all.subList(MAX_CLIENT_SERIES - 1, all.size())) {
      other =
          new Server.ClientActivity(
              other.links() + e.getValue().links(), Mux.sum(other.counts(), e.getValue().counts()));
    }
    kept.add(Map.entry("other", other));
    return kept;
  }

  // ---- client ----------------------------------------------------------------------------------

  public static PrometheusRegistry client(Client client) {
    return client(client::activity);
  }

  /** A client's series from its links' activity, summed over {@code --links} (ClientCommand). */
  public static PrometheusRegistry client(
      java.util.function.Function<Duration, Client.Activity> activity) {
    PrometheusRegistry r = new PrometheusRegistry();
    Reading<Client.Activity> now = new Reading<>(() -> activity.apply(LOOP_WAIT));
    info(r, "client");
    gauge(
        r,
        "ett_links",
        "Links up to the servers (1 while up, N with --links N; one more while an old one drains after a"
            + " GOAWAY or a --failback).",
        cb -> cb.call(now.get().links()));
    CounterWithCallback.builder()
        .name("ett_handshakes_total")
        .help("Attempts to set up a link, by outcome: ok, or failed (connect or handshake).")
        .labelNames("outcome")
        .callback(
            cb -> {
              cb.call(now.get().linksEstablished(), "ok");
              cb.call(now.get().failedAttempts(), "failed");
            })
        .register(r);
    counter(
        r,
        "ett_reconnects_total",
        "Links that came up after the first one (the link was lost and set up again).",
        cb -> cb.call(Math.max(0, now.get().linksEstablished() - 1)));
    links(r, () -> now.get().counts());
    directMemory(r);
    JvmMetrics.builder().register(r);
    return r;
  }

  /** Netty's direct memory (its buffers are not in jvm_buffer_pool_*: Netty frees them itself). */
  private static void directMemory(PrometheusRegistry r) {
    if (io.netty.util.internal.PlatformDependent.usedDirectMemory() >= 0) {
      gauge(
          r,
          "ett_direct_memory_used_bytes",
          "Direct memory held by Netty's buffers (pooled ones included), of -XX:MaxDirectMemorySize.",
          cb -> cb.call(io.netty.util.internal.PlatformDependent.usedDirectMemory()));
    }
  }

  // ---- both ------------------------------------------------------------------------------------

  /** The series both ends have, from the links' counts. */
  private static void links(PrometheusRegistry r, Supplier<Mux.Counts> counts) {
    gauge(r, "ett_streams", "Streams open now.", cb -> cb.call(counts.get().streamsOpen()));
    counter(
        r,
        "ett_streams_opened_total",
        "Streams opened (OPENED sent or received).",
        cb -> cb.call(counts.get().streamsOpened()));
    CounterWithCallback.builder()
        .name("ett_streams_refused_total")
        .help(
            "Streams not opened, by answer and reason: refused (REFUSED, its code; sent by a server, received by"
                + " a client) or reset (a server's RESET after OPENED on a stream judged on its first bytes).")
        .labelNames("answer", "reason")
        .callback(
            cb -> {
              Mux.Counts c = counts.get();
              for (RefuseCode code : RefuseCode.values()) {
                cb.call(c.refused()[code.ordinal()], "refused", code.name());
              }
              for (ResetCode code : ResetCode.values()) {
                long n = c.resetAfterOpened()[code.ordinal()];
                if (n > 0 || code == ResetCode.POLICY || code == ResetCode.UNREACHABLE) {
                  cb.call(n, "reset", code.name());
                }
              }
            })
        .register(r);
    CounterWithCallback.builder()
        .name("ett_stream_bytes_total")
        .help(
            "Stream payload carried, by direction: from_client (toward destinations) or to_client (back).")
        .labelNames("direction")
        .callback(
            cb -> {
              Mux.Counts c = counts.get();
              cb.call(c.bytesFromClient(), FROM_CLIENT);
              cb.call(c.bytesToClient(), TO_CLIENT);
            })
        .register(r);
    gauge(
        r,
        "ett_control_frames_queued",
        "Answers (PONG, REFUSED, RESET) queued while a link's socket is not writable (limit: --max-queued-answers).",
        cb -> cb.call(counts.get().queuedControlFrames()));
  }

  private static void info(PrometheusRegistry r, String role) {
    GaugeWithCallback.builder()
        .name("ett_info")
        .help("Always 1: what this process is (role server or client) and its version.")
        .labelNames("role", "version")
        .callback(cb -> cb.call(1, role, Main.VERSION))
        .register(r);
  }

  private static void gauge(
      PrometheusRegistry r,
      String name,
      String help,
      java.util.function.Consumer<GaugeWithCallback.Callback> cb) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb).register(r);
  }

  private static void gauge(
      PrometheusRegistry r,
      String name,
      String help,
      String label,
      java.util.function.Consumer<GaugeWithCallback.Callback> cb) {
    GaugeWithCallback.builder().name(name).help(help).labelNames(label).callback(cb).register(r);
  }

  private static void counter(
      PrometheusRegistry r,
      String name,
      String help,
      java.util.function.Consumer<CounterWithCallback.Callback> cb) {
    CounterWithCallback.builder().name(name).help(help).callback(cb).register(r);
  }

  // ---- the endpoint ----------------------------------------------------------------------------

  /**
   * Serves {@code /metrics} (the registry, Prometheus text format) and {@code /healthz} (200 or 503
   * with one line saying why) on {@code address}, from one daemon thread: a scrape is rare and
   * small, and the service's event loops never serve it.
   */
  public static HTTPServer serve(
      InetSocketAddress address, PrometheusRegistry registry, Supplier<Health> health)
      throws IOException {
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            run -> {
              Thread t = new Thread(run, "ett-metrics");
              t.setDaemon(true);
              return t;
            });
    try {
      HTTPServer http =
          HTTPServer.builder()
              .inetAddress(address.getAddress())
              .port(address.getPort())
              .registry(registry)
              .registerHealthHandler(false)
              .defaultHandler(new Other(health))
              .executorService(thread)
              .buildAndStart();
      Log.info(
          "metrics on http://"
              + hostText(address.getAddress())
              + ":"
              + http.getPort()
              + "/metrics and /healthz");
      return http;
    } catch (IOException | RuntimeException e) {
      thread.shutdownNow();
      throw e;
    }
  }

  /** {@code 127.0.0.1}, {@code [::1]}: RFC 5952, bracketed. */
  private static String hostText(java.net.InetAddress a) {
    return new dev.ett.policy.Host.Address(a).toString();
  }

  /** Everything but /metrics: /healthz, else 404 naming the two paths. */
  private static final class Other implements HttpHandler {
    private final Supplier<Health> health;

    Other(Supplier<Health> health) {
      this.health = health;
    }

    @Override
    public void handle(HttpExchange x) throws IOException {
      try (x) {
        int status;
        String body;
        if (x.getRequestURI().getPath().equals("/healthz")) {
          Health h = health.get();
          status = h.ok() ? 200 : 503;
          body = h.text() + "\n";
        } else {
          status = 404;
          body = "not found: try /metrics or /healthz\n";
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        x.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head ? -1 : b.length);
        if (!head) {
          try (OutputStream out = x.getResponseBody()) {
            out.write(b);
          }
        }
      }
    }
  }

  /** Stops the endpoint (null: none), waiting a moment for a scrape in progress. */
  static void stop(HTTPServer http) {
    if (http != null) {
      http.close();
    }
  }
}
