package dev.ett.cli;

import dev.ett.bench.Bench;
import dev.ett.bench.ServeSourceCommand;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "bench",
    description = {
      "Benchmark ett against the direct path on loopback: spawns targets, an ett server and an ett client",
      "(bin/ett processes, fresh keys, free 127.0.0.1 ports) and prints direct vs ett figures."
    },
    subcommands = {ServeSourceCommand.class, SoakCommand.class})
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "Small sizes and short times (CI smoke test, < 60 s).")
  boolean quick;

  @Option(
      names = "--only",
      split = ",",
      paramLabel = "FIGURE",
      description =
          "Figures to run: bulk,conn,conn-tls,reverse,ping,rss,start,cold,rss10k,links (default"
              + " all).")
  List<String> only =
      List.of(
          "bulk", "conn", "conn-tls", "reverse", "ping", "rss", "start", "cold", "rss10k", "links");

  @Option(
      names = "--bulk-size",
      paramLabel = "SIZE",
      description = "Bytes per bulk run on the direct path (default 2g; --quick 128m).")
  String bulkSize;

  @Option(
      names = "--bulk-size-ett",
      paramLabel = "SIZE",
      description = "Bytes per bulk run through ett (default 1g; --quick 64m).")
  String bulkSizeEtt;

  @Option(
      names = "--repeat",
      paramLabel = "R",
      description =
          "Rounds of bulk, connections, ping-pong, cold and conn-tls; the median is reported"
              + " (default 5; --quick 1).")
  Integer repeat;

  @Option(
      names = "--streams",
      paramLabel = "N",
      description = "Concurrent streams of the parallel bulk and the links figures (default 8).")
  int streams = 8;

  @Option(
      names = "--conn-time",
      paramLabel = "DURATION",
      description = "Measured time of the connection figure per path (default 5s; --quick 1s).")
  String connTime;

  @Option(
      names = "--jit-warmup",
      paramLabel = "DURATION",
      description =
          "New connections through each of -L and -D before any figure, so that the JIT has compiled the"
              + " connection code as in a tunnel that has run a while (default 10s; --quick 1s).")
  String jitWarmup;

  @Option(
      names = "--conn-workers",
      paramLabel = "N",
      description = "Threads opening connections (default 4).")
  int connWorkers = 4;

  @Option(
      names = "--ping-rounds",
      paramLabel = "N",
      description = "Measured 64-byte round trips (default 20000; --quick 5000).")
  Integer pingRounds;

  @Option(
      names = "--ping-warmup",
      paramLabel = "N",
      description = "Round trips before measuring (default 5000; --quick 1000).")
  Integer pingWarmup;

  @Option(
      names = "--rss-conns",
      paramLabel = "N",
      description = "Connections held open for the RSS figure (default 1000).")
  int rssConns = 1000;

  @Option(
      names = "--suite",
      paramLabel = "SUITE",
      description = "Passed to the client: aesgcm (default) or chachapoly.")
  String suite = "aesgcm";

  @Option(
      names = "--jvm-opts",
      paramLabel = "OPTS",
      description =
          "ETT_JAVA_OPTS for the spawned server and client (default: "
              + Bench.DEFAULT_JVM_OPTS
              + ").")
  String jvmOpts = Bench.DEFAULT_JVM_OPTS;

  @Option(
      names = "--server-arg",
      paramLabel = "ARG",
      description =
          "Extra argument for the ett server (repeatable), e.g. --server-arg=--window=1m.")
  List<String> serverArgs = new java.util.ArrayList<>();

  @Option(
      names = "--client-arg",
      paramLabel = "ARG",
      description = "Extra argument for the ett client (repeatable).")
  List<String> clientArgs = new java.util.ArrayList<>();

  @Option(
      names = "--ett",
      paramLabel = "LAUNCHER",
      description = "The bin/ett to spawn (default: the one next to this jar).")
  Path launcher;

  @Option(
      names = "--no-snapshot",
      description =
          "Spawn the launcher in place instead of a copy of it and its jar taken at start (default: copy).")
  boolean noSnapshot;

  @Option(names = "--keep-logs", description = "Keep the temp dir with keys and process logs.")
  boolean keepLogs;

  @Option(
      names = "--with-ssh",
      description =
          "Also measure OpenSSH's ssh -L (--ssh-cipher, a private sshd on 127.0.0.1) in the same run,"
              + " as a row under each figure (needs ssh, sshd, ssh-keygen; root for /run/sshd).")
  boolean withSsh;

  @Option(
      names = "--ssh-cipher",
      paramLabel = "CIPHER",
      description =
          "ssh's cipher for --with-ssh (default aes256-gcm@openssh.com: AES-256-GCM, the cipher of"
              + " ett's Noise_IK_25519_AESGCM_SHA256; aes128-gcm@openssh.com does 10 AES rounds to"
              + " its 14).")
  String sshCipher = "aes256-gcm@openssh.com";

  @Option(
      names = "--with-relay",
      description =
          "Also measure two chained socat relays (no encryption, no multiplexing): the floor of any"
              + " tunnel with a process at each end, on this machine (needs socat).")
  boolean withRelay;

  @Option(
      names = "--many-streams",
      paramLabel = "N",
      description =
          "Streams held open at once for the rss10k figure, through ett and ssh -L (default 10000;"
              + " --quick 1000).")
  Integer manyStreams;

  @Option(
      names = "--cold-window",
      paramLabel = "DURATION",
      description =
          "The cold figure measures fresh processes this long after their start (default 10s;"
              + " --quick 3s).")
  String coldWindow;

  @Option(
      names = "--cold-without-aot",
      description =
          "Also run the cold rounds without the JVM's AOT cache (ETT_NO_AOT=1), to show what it buys.")
  boolean coldWithoutAot;

  private static final List<String> FIGURES =
      List.of(
          "bulk", "conn", "conn-tls", "reverse", "ping", "rss", "start", "cold", "rss10k", "links");

  @Override
  public Integer call() throws Exception {
    preloadBenchClasses();
    Set<String> figures = new LinkedHashSet<>();
    for (String f : only) {
      String x = f.strip().toLowerCase(java.util.Locale.ROOT);
      if (!FIGURES.contains(x)) {
        throw new IllegalArgumentException(
            "--only: unknown figure '" + f + "' (" + String.join(", ", FIGURES) + ")");
      }
      figures.add(x);
    }
    Path ett = launcher != null ? launcher : findLauncher();
    if (!Files.isExecutable(ett)) {
      throw new IllegalArgumentException(
          "launcher not found or not executable: " + ett + " (use --ett PATH)");
    }
    Bench.Options o =
        new Bench.Options(
            ett.toAbsolutePath(),
            figures,
            Units.size(bulkSize != null ? bulkSize : quick ? "128m" : "2g"),
            Units.size(bulkSizeEtt != null ? bulkSizeEtt : quick ? "64m" : "1g"),
            repeat != null ? repeat : quick ? 1 : 5,
            streams,
            connWorkers,
            quick ? 300 : 1000,
            Units.duration(connTime != null ? connTime : quick ? "1s" : "5s").toMillis(),
            Units.duration(jitWarmup != null ? jitWarmup : quick ? "1s" : "10s").toMillis(),
            pingWarmup != null ? pingWarmup : quick ? 1000 : 5000,
            pingRounds != null ? pingRounds : quick ? 5000 : 20000,
            rssConns,
            suite,
            jvmOpts,
            serverArgs,
            clientArgs,
            !noSnapshot,
            keepLogs,
            withSsh,
            withRelay,
            manyStreams != null ? manyStreams : quick ? 1000 : 10_000,
            Units.duration(coldWindow != null ? coldWindow : quick ? "3s" : "10s").toMillis(),
            coldWithoutAot,
            sshCipher);
    System.out.println(
        "command: "
            + ett
            + " "
            + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
    System.out.println(
        "java: "
            + System.getProperty("java.vm.name")
            + " "
            + Runtime.version()
            + " ("
            + System.getProperty("java.home")
            + "), "
            + Runtime.getRuntime().availableProcessors()
            + " CPUs, "
            + System.getProperty("os.name")
            + " "
            + System.getProperty("os.version"));
    return new Bench(o, System.out).run();
  }

  /**
   * Loads every bench class now: target/ett.jar may be rebuilt (rewritten) while the benchmark
   * runs, and a class loaded late from a rewritten jar fails.
   */
  private static void preloadBenchClasses() throws Exception {
    Path jar =
        Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isRegularFile(jar)) {
      return;
    }
    List<String> names = new java.util.ArrayList<>();
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
      z.stream()
          .map(java.util.zip.ZipEntry::getName)
          .filter(n -> n.startsWith("dev/ett/bench/") && n.endsWith(".class"))
          .forEach(n -> names.add(n.substring(0, n.length() - 6).replace('/', '.')));
    }
    for (String n : names) {
      Class.forName(n, false, BenchCommand.class.getClassLoader());
    }
    dev.ett.bench.BulkSource.expected(0); // links TestTarget too
  }

  /** target/ett.jar -> ../bin/ett; the launcher may also say where it is (-Dett.launcher). */
  static Path findLauncher() throws URISyntaxException {
    String prop = System.getProperty("ett.launcher");
    if (prop != null) {
      return Path.of(prop);
    }
    Path jar =
        Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path root = Files.isDirectory(jar) ? jar.getParent().getParent() : jar.getParent().getParent();
    return root.resolve("bin").resolve("ett");
  }
}
