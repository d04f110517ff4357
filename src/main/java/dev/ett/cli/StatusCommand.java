package dev.ett.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ett status}: what a running server or client is doing, read from its metrics endpoint
 * ({@code --metrics}), as a short text table in the manner of {@code wg show}. The endpoint is the
 * one interface: no control socket, nothing to keep in step with it.
 */
@Command(
    name = "status",
    description =
        "Show what a running ett server or client is doing (links, clients, streams, bytes), from its --metrics endpoint.")
final class StatusCommand implements Callable<Integer> {
  static final String DEFAULT_ADDRESS = "127.0.0.1:9469";

  @Option(
      names = "--metrics",
      paramLabel = "HOST:PORT",
      description =
          "The --metrics address of the server or client to ask (default " + DEFAULT_ADDRESS + ").")
  String metrics = DEFAULT_ADDRESS;

  @Option(
      names = "--top",
      paramLabel = "N",
      description = "Clients listed, busiest first (server; default 10).")
  int top = 10;

  @Override
  public Integer call() throws Exception {
    Units.count("--top", top, 0, Integer.MAX_VALUE);
    java.net.InetSocketAddress a = Addrs.hostPort(metrics, "--metrics");
    String host =
        a.isUnresolved()
            ? a.getHostString()
            : new dev.ett.policy.Host.Address(a.getAddress()).toString();
    host = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    String base = "http://" + host + ":" + a.getPort();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String page;
    String health;
    try {
      HttpResponse<String> m = get(http, base + "/metrics");
      if (m.statusCode() != 200) {
        System.err.println("ett status: " + base + "/metrics answered " + m.statusCode());
        return 1;
      }
      page = m.body();
      HttpResponse<String> h = get(http, base + "/healthz");
      health = (h.statusCode() == 200 ? "ok: " : "not ok: ") + h.body().strip();
    } catch (IOException e) {
      System.err.println(
          "ett status: nothing answers at "
              + base
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "); is the server or client running with --metrics "
              + metrics
              + "?");
      return 1;
    }
    System.out.print(render(base, PromText.parse(page), health, top));
    return 0;
  }

  private static HttpResponse<String> get(HttpClient http, String url)
      throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  /** The text {@code ett status} prints for a scrape of {@code base}. */
  static String render(String base, List<PromText.Sample> samples, String health, int top) {
    Series s = new Series(samples);
    String role = s.label("ett_info", "role");
    StringBuilder b = new StringBuilder();
    b.append(role.isEmpty() ? "ett" : role).append(" at ").append(base);
    String version = s.label("ett_info", "version");
    if (!version.isEmpty()) {
      b.append(", ").append(version);
    }
    b.append('\n');
    row(b, "health", health);
    long ok = s.sum("ett_handshakes_total", x -> x.label("outcome").equals("ok"));
    long notOk = s.sum("ett_handshakes_total", x -> !x.label("outcome").equals("ok"));
    if (role.equals("client")) {
      row(
          b,
          "link",
          (s.sum("ett_links") > 1
                  ? "up (" + s.sum("ett_links") + " links)" // --links N, or one draining
                  : s.sum("ett_links") > 0 ? "up" : "down")
              + ", "
              + ok
              + " handshake(s) ok, "
              + notOk
              + " failed, "
              + s.sum("ett_reconnects_total")
              + " reconnect(s)");
    } else {
      row(
          b,
          "links",
          s.sum("ett_links")
              + " up; handshakes: "
              + ok
              + " ok, "
              + notOk
              + " rejected"
              + rejections(s));
    }
    row(
        b,
        "streams",
        s.sum("ett_streams")
            + " open, "
            + s.sum("ett_streams_opened_total")
            + " opened, "
            + s.sum("ett_streams_refused_total")
            + " refused"
            + refusals(s));
    row(
        b,
        "transfer",
        bytes(s.sum("ett_stream_bytes_total", x -> x.label("direction").equals("from_client")))
            + " from client(s), "
            + bytes(s.sum("ett_stream_bytes_total", x -> x.label("direction").equals("to_client")))
            + " to client(s)");
    if (s.has("ett_stream_buffered_bytes")) {
      row(
          b,
          "buffered",
          bytes(s.sum("ett_stream_buffered_bytes"))
              + ", "
              + s.sum("ett_control_frames_queued")
              + " control frame(s) queued");
    }
    if (s.has("ett_audit_events_written_total")) {
      row(
          b,
          "audit",
          s.sum("ett_audit_events_written_total")
              + " written, "
              + s.sum("ett_audit_events_dropped_total")
              + " dropped, "
              + s.sum("ett_audit_events_failed_total")
              + " failed");
    }
    if (role.equals("server")) {
      clients(b, s, top);
    }
    return b.toString();
  }

  /** " (3 unknown_key, 1 silent)": the causes that happened. */
  private static String rejections(Series s) {
    List<String> each = new ArrayList<>();
    for (PromText.Sample x : s.named("ett_handshakes_total")) {
      if (!x.label("outcome").equals("ok") && x.value() > 0) {
        each.add((long) x.value() + " " + x.label("outcome"));
      }
    }
    return each.isEmpty() ? "" : " (" + String.join(", ", each) + ")";
  }

  private static String refusals(Series s) {
    List<String> each = new ArrayList<>();
    for (PromText.Sample x : s.named("ett_streams_refused_total")) {
      if (x.value() > 0) {
        each.add(
            (long) x.value()
                + " "
                + (x.label("answer").equals("reset") ? "reset " : "")
                + x.label("reason"));
      }
    }
    return each.isEmpty() ? "" : " (" + String.join(", ", each) + ")";
  }

  /** The top talkers: clients by bytes carried, with their links and streams. */
  private static void clients(StringBuilder b, Series s, int top) {
    record Row(String name, long links, long streams, long opened, long from, long to) {}
    Map<String, Row> rows = new LinkedHashMap<>();
    for (PromText.Sample x : s.named("ett_client_links")) {
      String n = x.label("client");
      rows.put(
          n,
          new Row(
              n,
              (long) x.value(),
              s.sum("ett_client_streams", y -> y.label("client").equals(n)),
              s.sum("ett_client_streams_opened_total", y -> y.label("client").equals(n)),
              s.sum(
                  "ett_client_stream_bytes_total",
                  y -> y.label("client").equals(n) && y.label("direction").equals("from_client")),
              s.sum(
                  "ett_client_stream_bytes_total",
                  y -> y.label("client").equals(n) && y.label("direction").equals("to_client"))));
    }
    if (rows.isEmpty() || top == 0) {
      return;
    }
    List<Row> sorted = new ArrayList<>(rows.values());
    sorted.sort(
        Comparator.comparingLong((Row r) -> r.from() + r.to()).reversed().thenComparing(Row::name));
    int nameWidth = "client".length();
    for (Row r : sorted.subList(0, Math.min(top, sorted.size()))) {
      nameWidth = Math.max(nameWidth, r.name().length());
    }
    String fmt = "  %-" + nameWidth + "s  %5s  %7s  %8s  %11s  %11s%n";
    b.append('\n')
        .append(
            String.format(
                Locale.ROOT,
                fmt,
                "client",
                "links",
                "streams",
                "opened",
                "from client",
                "to client"));
    for (Row r : sorted.subList(0, Math.min(top, sorted.size()))) {
      b.append(
          String.format(
              Locale.ROOT,
              fmt,
              r.name(),
              r.links(),
              r.streams(),
              r.opened(),
              bytes(r.from()),
              bytes(r.to())));
    }
    if (sorted.size() > top) {
      b.append("  (").append(sorted.size() - top).append(" more; --top N lists more)\n");
    }
  }

  private static void row(StringBuilder b, String key, String value) {
    b.append(String.format(Locale.ROOT, "  %-9s %s%n", key + ":", value));
  }

  /** {@code 512 B}, {@code 1.5 KiB}, {@code 20.0 MiB}: binary units, one decimal. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** The samples by name. */
  private static final class Series {
    private final Map<String, List<PromText.Sample>> byName = new LinkedHashMap<>();

    Series(List<PromText.Sample> samples) {
      for (PromText.Sample x : samples) {
        byName.computeIfAbsent(x.name(), k -> new ArrayList<>()).add(x);
      }
    }

    boolean has(String name) {
      return byName.containsKey(name);
    }

    List<PromText.Sample> named(String name) {
      return byName.getOrDefault(name, List.of());
    }

    long sum(String name) {
      return sum(name, x -> true);
    }

    long sum(String name, Predicate<PromText.Sample> which) {
      double t = 0;
      for (PromText.Sample x : named(name)) {
        if (which.test(x)) {
          t += x.value();
        }
      }
      return Math.round(t);
    }

    String label(String name, String label) {
      List<PromText.Sample> l = named(name);
      return l.isEmpty() ? "" : l.get(0).label(label);
    }
  }
}
