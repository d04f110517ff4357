package dev.ett.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ett.audit.trail.Stats;
import dev.ett.audit.trail.Trace;
import dev.ett.audit.trail.Trail;
import dev.ett.audit.trail.TrailReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ett audit}: questions about audit trails (docs/audit.md), asked of the files, offline. The
 * reading and joining are in {@link dev.ett.audit.trail}; this is options and printing.
 */
@Command(
    name = "audit",
    description = "Questions about audit trails: who reached a destination, and totals.",
    subcommands = {AuditCommand.TraceCommand.class, AuditCommand.StatsCommand.class})
final class AuditCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a subcommand is required (audit trace, audit stats)");
  }

  private static final String FILES =
      "One server's audit trail. Its rotated files (gzip'd or not, in any order) go in one"
          + " argument, joined by commas: audit.jsonl.2.gz,audit.jsonl.1,audit.jsonl.";

  /**
   * Reads each argument as one trail; lines that cannot be read are counted on standard error,
   * never fatal (the trail may come from a crashed or newer server).
   */
  static List<Trail> read(List<String> args, PrintStream err) {
    List<Trail> trails = new ArrayList<>();
    for (String a : args) {
      List<Path> parts = new ArrayList<>();
      for (String p : a.split(",", -1)) {
        if (!p.isEmpty()) {
          parts.add(Path.of(p));
        }
      }
      try {
        Trail t = TrailReader.read(a, parts);
        if (t.skipped().total() > 0) {
          err.println("ett: " + a + ": " + t.skipped().describe());
        }
        trails.add(t);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new UncheckedIOException(e.getFile() + ": no such file", e);
      } catch (IOException e) {
        throw new UncheckedIOException(a + ": " + e.getMessage(), e);
      }
    }
    return trails;
  }

  private static String json(Object o) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code ett audit trace --at TIME DEST[:PORT] FILE...}: each stream to the destination around
   * that time, with the link, client, fingerprint, remote address, bytes and rule, followed back
   * through the trails of the other hops (see {@link Trace}).
   */
  @Command(
      name = "trace",
      description = {
        "Which client reached DEST around TIME: for each stream, the link, client, fingerprint,"
            + " remote address, bytes and rule.",
        "Given the trails of several hops of a chain (in any order), it follows each stream back"
            + " hop by hop and says where the trail ends."
      },
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {"0:streams found", "1:none in the window, or an error", "2:a usage error"})
  static final class TraceCommand implements Callable<Integer> {
    @Option(
        names = "--at",
        required = true,
        paramLabel = "TIME",
        description = "RFC 3339 with an offset (2025-06-01T12:00:00Z), as the trail writes it.")
    String at;

    @Option(
        names = "--window",
        paramLabel = "DURATION",
        description =
            "How far around TIME a stream may be (default 5m); also the clock difference allowed"
                + " between two hops' trails.")
    String window = "5m";

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Parameters(
        index = "0",
        paramLabel = "DEST[:PORT]",
        description = "The destination as requested or resolved (a name or an address).")
    String dest;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "FILE", description = FILES)
    List<String> files;

    @Override
    public Integer call() {
      Instant time = Trace.time(at);
      Duration w = Units.duration("--window", window, Duration.ZERO);
      Trace.Target target = Trace.Target.parse(dest);
      List<Trail> trails = read(files, System.err);
      List<Trace.Path> paths = Trace.trace(trails, target, time, w);
      if (json) {
        System.out.println(json(jsonOf(target, time, w, paths)));
      } else {
        print(System.out, target, time, w, paths);
      }
      return paths.isEmpty() ? 1 : 0;
    }

    static void print(
        PrintStream out, Trace.Target target, Instant at, Duration w, List<Trace.Path> paths) {
      String when = at + " ± " + text(w);
      if (paths.isEmpty()) {
        out.println("no stream to " + target + " within " + when + " in the given files");
        return;
      }
      out.println(
          paths.size()
              + (paths.size() == 1 ? " stream" : " streams")
              + " to "
              + target
              + " within "
              + when
              + ":");
      int n = 1;
      for (Trace.Path p : paths) {
        Trail.Stream s = p.hops().get(0);
        out.println();
        out.println(
            n++
                + ". "
                + s.requested()
                + (s.resolved() == null || s.resolved().equals(s.requested())
                    ? ""
                    : " (" + s.resolved() + ")")
                + ", opened "
                + s.opened()
                + (s.closed() == null ? ", not closed in the trail" : ", closed " + s.closed())
                + (s.end() == null ? "" : " (" + s.end() + ")")
                + ", "
                + s.bytesFromClient()
                + " bytes from the client, "
                + s.bytesToClient()
                + " to it");
        out.println("   rule: " + s.rule());
        for (int i = 0; i < p.hops().size(); i++) {
          Trail.Stream h = p.hops().get(i);
          Trail.Link l = h.link();
          out.println(
              (i == 0 ? "   at " : "   <- ")
                  + l.trail()
                  + ": stream "
                  + Integer.toUnsignedLong(h.id())
                  + (i == 0 ? "" : " to " + h.requested() + " from " + h.source())
                  + " on link "
                  + l.id()
                  + " of client "
                  + l.client()
                  + (l.fingerprint() == null ? "" : " (fingerprint " + l.fingerprint() + ")")
                  + (l.remote() == null ? "" : " from " + l.remote())
                  + (l.up() == null ? "" : ", up " + l.up()));
        }
        Trail.Stream first = p.first();
        out.println(
            "   client: "
                + first.link().client()
                + (first.link().fingerprint() == null
                    ? ""
                    : " (fingerprint " + first.link().fingerprint() + ")")
                + (first.link().remote() == null ? "" : " from " + first.link().remote()));
        out.println("   the trail ends: " + p.end().why());
      }
    }

    /** "5m", "90s", "1500ms": the window as it would be given. */
    static String text(Duration d) {
      long ms = d.toMillis();
      if (ms % 3_600_000 == 0 && ms > 0) {
        return ms / 3_600_000 + "h";
      }
      if (ms % 60_000 == 0 && ms > 0) {
        return ms / 60_000 + "m";
      }
      return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    static Map<String, Object> jsonOf(
        Trace.Target target, Instant at, Duration w, List<Trace.Path> paths) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("destination", target.toString());
      o.put("at", at.toString());
      o.put("window_ms", w.toMillis());
      List<Object> streams = new ArrayList<>();
      for (Trace.Path p : paths) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> hops = new ArrayList<>();
        for (Trail.Stream h : p.hops()) {
          Map<String, Object> x = new LinkedHashMap<>();
          Trail.Link l = h.link();
          x.put("trail", l.trail());
          x.put("link", l.id());
          x.put("client", l.client());
          x.put("fingerprint", l.fingerprint());
          x.put("remote", l.remote());
          x.put("link_up", l.up() == null ? null : l.up().toString());
          x.put("stream", Integer.toUnsignedLong(h.id()));
          x.put("requested", h.requested());
          x.put("resolved", h.resolved());
          x.put("source", h.source());
          x.put("rule", h.rule());
          x.put("opened", h.opened().toString());
          x.put("closed", h.closed() == null ? null : h.closed().toString());
          x.put("bytes_from_client", h.bytesFromClient());
          x.put("bytes_to_client", h.bytesToClient());
          x.put("end", h.end());
          hops.add(x);
        }
        m.put("hops", hops);
        m.put("ends_at", p.end().remote());
        m.put("ends_because", p.end().why());
        streams.add(m);
      }
      o.put("streams", streams);
      return o;
    }
  }

  /** {@code ett audit stats FILE...}: top clients, destinations and refusals in a time range. */
  @Command(
      name = "stats",
      description =
          "Top clients and destinations (streams and bytes) and refusals by reason, over a time"
              + " range.")
  static final class StatsCommand implements Callable<Integer> {
    @Option(
        names = "--since",
        paramLabel = "TIME",
        description = "Count from TIME (RFC 3339 with an offset); default: the start of the files.")
    String since;

    @Option(
        names = "--until",
        paramLabel = "TIME",
        description = "Count up to TIME, exclusive; default: the end of the files.")
    String until;

    @Option(names = "--top", paramLabel = "N", description = "Rows in each table (default 10).")
    int top = 10;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = FILES)
    List<String> files;

    @Override
    public Integer call() {
      Instant from = since == null ? null : Trace.time(since);
      Instant to = until == null ? null : Trace.time(until);
      int n = Units.count("--top", top, 1, 1_000_000);
      Stats.Report r = Stats.of(read(files, System.err), from, to, n);
      if (json) {
        System.out.println(json(r));
      } else {
        print(System.out, r);
      }
      return 0;
    }

    static void print(PrintStream out, Stats.Report r) {
      out.println(r.links() + " links, " + r.streams() + " streams, " + r.bytes() + " bytes");
      table(out, "clients", r.clients(), true);
      table(out, "destinations", r.destinations(), true);
      table(out, "refusals (end code)", r.refusals(), false);
    }

    private static void table(PrintStream out, String title, List<Stats.Row> rows, boolean bytes) {
      out.println();
      out.println(title + ":");
      if (rows.isEmpty()) {
        out.println("  (none)");
      }
      for (Stats.Row row : rows) {
        out.println(
            String.format(
                "  %10d %s%s",
                row.streams(), bytes ? String.format("%14d bytes  ", row.bytes()) : "", row.key()));
      }
    }
  }
}
