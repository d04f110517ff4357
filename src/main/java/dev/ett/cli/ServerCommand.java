package dev.ett.cli;

import dev.ett.audit.AuditLog;
import dev.ett.audit.AuditTee;
import dev.ett.audit.AuditWriter;
import dev.ett.audit.SyslogFormat;
import dev.ett.audit.SyslogTarget;
import dev.ett.config.KeyFile;
import dev.ett.exit.FirstBytesBounds;
import dev.ett.exit.Resolver;
import dev.ett.link.LinkConfig;
import dev.ett.noise.KeyPair;
import dev.ett.policy.AddressRange;
import dev.ett.policy.Limits;
import dev.ett.server.ConfigWatcher;
import dev.ett.server.Reloader;
import dev.ett.server.Server;
import dev.ett.systemd.Notifier;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "server",
    description = "Accept links from authorized clients and connect their streams.")
final class ServerCommand implements Callable<Integer>, ConfigArgs.Configurable {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A TOML file of these options: each key an option's long name without the dashes (listen = \"HOST:PORT\","
              + " policy = [\"web\"]), with role = \"server\". Flags override it. Reloaded on SIGHUP and when it changes.")
  Path configFile;

  @Option(
      names = "--listen",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Address to listen on.")
  String listen;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description =
          "The server's private key (mode 0600). Repeatable (at most 4; keys = [...] in --config) to"
              + " rotate keys: clients that pinned any of them are answered; reloaded on SIGHUP.")
  List<Path> key = new ArrayList<>();

  @Option(
      names = "--authorized",
      required = true,
      paramLabel = "FILE",
      description =
          "Authorized clients: 'PUBKEY NAME [LIMIT...] [RULE, ...]' per line. Reloaded on SIGHUP and when it changes.")
  Path authorized;

  @Option(
      names = "--policy",
      paramLabel = "RULES",
      description =
          "Exit policy rules, Tor ExitPolicy syntax (accept|reject TARGET[:PORTS]; accept TARGET[:PORTS] tls|http|http2|ssh"
              + " also checks the stream's first bytes), or the preset 'web' (accept *:80 http, accept *:443 tls);"
              + " repeatable; first match wins; nothing matched = refused.")
  List<String> policy = new ArrayList<>();

  @Option(
      names = "--policy-file",
      paramLabel = "FILE",
      description =
          "More global rules, one list per line, after the --policy ones. Reloaded like --authorized.")
  Path policyFile;

  @Option(
      names = "--hosts",
      paramLabel = "FILE",
      description = "Names (/etc/hosts format) this server resolves before DNS.")
  Path hosts;

  @Option(
      names = "--dns",
      paramLabel = "HOST[:PORT]",
      description =
          "A name server to ask instead of those in /etc/resolv.conf (an IP address; port 53 by default); repeatable, asked in order.")
  List<String> dns = new ArrayList<>();

  @Option(
      names = "--resolve-timeout",
      paramLabel = "DURATION",
      description =
          "Deadline for resolving a destination's name, all name servers included (default 10s).")
  String resolveTimeout = "10s";

  @Option(
      names = "--client-max-lookups",
      paramLabel = "N",
      description =
          "DNS lookups one client may have in flight, across its links (default 32); more are refused.")
  int clientMaxLookups = Resolver.Options.DEFAULT_MAX_LOOKUPS_PER_CLIENT;

  @Option(
      names = "--audit",
      paramLabel = "FILE",
      description =
          "Write the audit trail (JSON Lines) to FILE, or '-' for stdout (reopened on SIGHUP), or send"
              + " it to a syslog collector: syslog://HOST[:PORT] (TCP) or syslog+tls://HOST[:PORT]."
              + " Repeatable: each event goes to every sink.")
  List<String> audit = new ArrayList<>();

  @Option(
      names = "--audit-syslog-ca",
      paramLabel = "FILE",
      description =
          "CA certificates (PEM) a syslog+tls:// collector's certificate must chain to (default:"
              + " the JDK's trust store); its name or address is checked too.")
  Path auditSyslogCa;

  @Option(
      names = "--audit-syslog-facility",
      paramLabel = "NAME",
      description = "Syslog facility of the audit messages (default authpriv).")
  String auditSyslogFacility = SyslogFormat.DEFAULT_FACILITY;

  @Option(
      names = "--client-max-streams",
      paramLabel = "N",
      description = "Default concurrent streams per client (0: no limit).")
  int clientMaxStreams;

  @Option(
      names = "--client-rate",
      paramLabel = "N",
      description = "Default new streams per second per client (0: no limit).")
  int clientRate;

  @Option(
      names = "--client-burst",
      paramLabel = "N",
      description = "Default burst of new streams (default: the rate).")
  int clientBurst;

  @Option(
      names = "--client-bandwidth",
      paramLabel = "SIZE",
      description =
          "Default bandwidth cap per client, bytes/s both directions together, e.g. 10m (0: none).")
  String clientBandwidth = "0";

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      description =
          "On SIGTERM: how long open streams may finish before they are reset (default 10s).")
  String drainTimeout = "10s";

  @Option(
      names = "--first-bytes-max",
      paramLabel = "SIZE",
      description =
          "For rules with a protocol (accept *:443 tls): the most of a stream's first bytes held to decide on,"
              + " 1 byte~16k and within the initial window (default 16k).")
  String firstBytesMax = "16k";

  @Option(
      names = "--first-bytes-timeout",
      paramLabel = "DURATION",
      description =
          "For rules with a protocol: how long after its OPEN a stream may take to send its first bytes (default 10s).")
  String firstBytesTimeout = "10s";

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Event loop threads, 1~" + MAX_THREADS + " (default: number of CPUs).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--max-handshakes",
      paramLabel = "N",
      description = "Unfinished handshakes at once, >= 1 (default 256).")
  int maxHandshakes = 256;

  @Option(
      names = "--proxy-protocol",
      description =
          "Expect a PROXY protocol header (v1 or v2, from a TCP load balancer such as HAProxy) before each connection's first byte, and take the client's address from it.")
  boolean proxyProtocol;

  @Option(
      names = "--proxy-from",
      paramLabel = "CIDR",
      description =
          "With --proxy-protocol: a source whose PROXY header is believed; others are closed (repeatable; default 127.0.0.0/8 and ::1).")
  List<String> proxyFrom = new ArrayList<>();

  /** The --config file as read at start (null without one). */
  ConfigArgs.Loaded loaded;

  /** Set by {@code ett config check}: check every option and read every file, then return. */
  boolean checkOnly;

  /** Ends a running server as SIGTERM would; for tests that run it in-process. */
  volatile Signals.Stop stop;

  @Override
  public void configLoaded(ConfigArgs.Loaded l) {
    loaded = l;
  }

  /** More event loops than this is a typo: each is a thread, and links spread over them. */
  static final int MAX_THREADS = 1024;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log every stream (as --log-level dev.ett=debug).")
  boolean verbose;

  @Mixin LinkOptions linkOptions = new LinkOptions();

  @Mixin MetricsOptions metricsOptions = new MetricsOptions();
  @Mixin LogOptions logOptions = new LogOptions();

  @Override
  public Integer call() throws Exception {
    logOptions.apply("info", verbose ? "dev.ett=debug" : null);
    // Every option is checked before anything is bound, read or started (the drain timeout too,
    // though it is needed only at SIGTERM).
    InetSocketAddress listenAddr = Addrs.listenAddress(listen, "--listen");
    InetSocketAddress metricsAddr = metricsOptions.address();
    Duration drain = Units.duration("--drain-timeout", drainTimeout, Duration.ZERO);
    Units.count("--threads", threads, 1, MAX_THREADS);
    Units.count("--max-handshakes", maxHandshakes, 1, Integer.MAX_VALUE);
    List<AddressRange> proxySources = proxySources(proxyProtocol, proxyFrom);
    Resolver.Options resolving = resolverOptions(dns, resolveTimeout, clientMaxLookups);
    LinkConfig link = linkOptions.toConfig();
    FirstBytesBounds firstBytes =
        firstBytesBounds(firstBytesMax, firstBytesTimeout, link.initialWindow());
    Reloader.Sources sources = sources();
    Server.Config config = Reloader.load(sources);
    KeyPair kp = config.keys().get(0);
    Limits defaults = defaultLimits();
    if (config.globalPolicy().isEmpty()) {
      Log.warn(
          "no --policy rule: every stream will be refused (try --policy 'accept 127.0.0.1:8080' or --policy web)");
    }
    List<Object> auditSinks = auditSinks();
    if (checkOnly) {
      return 0;
    }
    AuditLog auditLog = openAudit(auditSinks);
    Server server =
        new Server(
            new Server.Options(
                listenAddr,
                kp,
                config.authorized(),
                config.globalPolicy(),
                config.hosts(),
                link,
                maxHandshakes,
                threads,
                auditLog,
                defaults,
                resolving,
                firstBytes));
    server.setKeys(config.keys());
    if (proxySources != null) {
      server.acceptProxyProtocol(proxySources);
    }
    InetSocketAddress bound;
    try {
      bound = server.start();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // Netty rethrows the socket's IOException undeclared
      server.close();
      throw new BindException(Transports.listenFailure(listenAddr, "--listen " + listen, e));
    }
    io.prometheus.metrics.exporter.httpserver.HTTPServer metrics;
    try {
      metrics =
          metricsAddr == null
              ? null
              : Metrics.serve(metricsAddr, Metrics.server(server, auditLog), server::health);
    } catch (java.io.IOException e) {
      server.close();
      throw new BindException(
          Transports.listenFailure(metricsAddr, "--metrics " + metricsOptions.metrics, e));
    }
    Log.info(
        "ett server listening on "
            + bound
            + (config.keys().size() == 1 ? ", key " : ", keys ")
            + String.join(
                " ", config.keys().stream().map(k -> KeyFile.encode(k.publicKey())).toList())
            + ", "
            + config.authorized().size()
            + " authorized client(s), "
            + config.globalPolicy().rules().size()
            + " global rule(s)"
            + (audit.isEmpty()
                ? ""
                : ", audit to "
                    + String.join(
                        ", ", audit.stream().map(a -> a.equals("-") ? "stdout" : a).toList()))
            + (proxySources == null ? "" : ", PROXY protocol from " + proxySources));
    // systemd (when it started us with NOTIFY_SOCKET): ready once the port accepts; each reload
    // bracketed by RELOADING=1 and READY=1; STOPPING=1 as the drain starts; watchdog pings while
    // every event loop runs.
    Notifier notifier = Notifier.fromEnvironment();
    String listening = "listening on " + bound;
    notifier.ready(listening + ", " + config.authorized().size() + " authorized client(s)");
    notifier.watch(server.eventLoops());
    Reloader reloader = new Reloader(server, sources);
    ServerConfigReload fromFile = loaded == null ? null : new ServerConfigReload(loaded, this);
    Reload reload = new Reload(reloader, fromFile, notifier, listening);
    List<Path> watched = new ArrayList<>(sources.files());
    if (configFile != null) {
      watched.add(configFile);
    }
    ConfigWatcher watcher = new ConfigWatcher(watched, Duration.ofMillis(250), reload::run);
    Signals.onSighup(() -> reload.run("SIGHUP", auditLog::reopen));
    stop =
        Signals.onStop(
            () -> {
              notifier.stopping("stopping: draining links for up to " + drain.toSeconds() + " s");
              watcher.close();
              server.shutdown(drain);
              Metrics.stop(metrics);
              auditLog.close();
              notifier.close();
            });
    stop.await();
    return 0;
  }

  /**
   * The --audit sinks, checked: a file name (or '-') or a collector. The syslog options are checked
   * even when unused, so a mistake in them is not found only the day a collector is added.
   */
  private List<Object> auditSinks() {
    try {
      SyslogFormat.facilityCode(auditSyslogFacility);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--audit-syslog-facility: " + e.getMessage(), e);
    }
    List<Object> sinks = new ArrayList<>();
    for (String a : audit) {
      if (!SyslogTarget.isSyslog(a)) {
        sinks.add(a);
        continue;
      }
      try {
        sinks.add(SyslogTarget.parse(a, a.startsWith("syslog+tls://") ? auditSyslogCa : null));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--audit " + e.getMessage(), e);
      }
    }
    if (auditSyslogCa != null
        && sinks.stream().noneMatch(t -> t instanceof SyslogTarget st && st.tls())) {
      throw new IllegalArgumentException(
          "--audit-syslog-ca: "
              + auditSyslogCa
              + " (expected: with --audit syslog+tls://HOST:PORT)");
    }
    return sinks;
  }

  /** A writer (queue and thread of its own) for each sink. */
  private AuditLog openAudit(List<Object> sinks) throws java.io.IOException {
    SyslogFormat format =
        new SyslogFormat(auditSyslogFacility, localHostName(), ProcessHandle.current().pid());
    List<AuditWriter> writers = new ArrayList<>();
    for (Object sink : sinks) {
      writers.add(
          sink instanceof SyslogTarget t
              ? AuditWriter.toSyslog(t, format, AuditWriter.DEFAULT_CAPACITY)
              : sink.equals("-")
                  ? AuditWriter.toStdout()
                  : AuditWriter.toFile(Path.of((String) sink)));
    }
    return AuditTee.of(writers);
  }

  /**
   * The HOSTNAME of syslog messages: the kernel's host name, read from /proc rather than through
   * InetAddress.getLocalHost(), which resolves it and can hang on a broken resolver at start-up.
   */
  private static String localHostName() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (java.io.IOException e) {
      return "-";
    }
  }

  /**
   * Where the reloadable configuration comes from: --authorized, --policy, --policy-file, --hosts.
   */
  Reloader.Sources sources() {
    return new Reloader.Sources(authorized, policy, policyFile, hosts, key);
  }

  /** The --client-* limits, checked. */
  Limits defaultLimits() {
    return new Limits(
        Units.count("--client-max-streams", clientMaxStreams, 0, Integer.MAX_VALUE),
        Units.count("--client-rate", clientRate, 0, Integer.MAX_VALUE),
        Units.count("--client-burst", clientBurst, 0, Integer.MAX_VALUE),
        Limits.parseBandwidth("--client-bandwidth", clientBandwidth));
  }

  /**
   * The first-bytes bounds from {@code --first-bytes-max} (1 byte..16 KiB, and within the initial
   * {@code window}: the client may not send more before the decision) and {@code
   * --first-bytes-timeout}.
   */
  static FirstBytesBounds firstBytesBounds(String max, String timeout, int window) {
    long bytes =
        Units.size("--first-bytes-max", max, 1, Math.min(FirstBytesBounds.MAX_BYTES, window));
    Duration t = Units.duration("--first-bytes-timeout", timeout, Duration.ofMillis(1));
    return new FirstBytesBounds((int) bytes, t);
  }

  /**
   * A reload as systemd's Type=notify-reload expects one: RELOADING=1 (with the monotonic time)
   * before anything is read, READY=1 after, whether the files were taken or kept out (the server
   * runs on either way; STATUS says which). One at a time, so a SIGHUP and a file change do not
   * interleave their messages.
   */
  private static final class Reload {
    private final Reloader reloader;
    private final ServerConfigReload fromFile;
    private final Notifier notifier;
    private final String listening;

    /**
     * @param fromFile the --config file to read again first, or null
     */
    Reload(Reloader reloader, ServerConfigReload fromFile, Notifier notifier, String listening) {
      this.reloader = reloader;
      this.fromFile = fromFile;
      this.notifier = notifier;
      this.listening = listening;
    }

    boolean run(String why) {
      return run(why, () -> {});
    }

    /** Reloads, then runs {@code after} (the audit log's reopening on SIGHUP) before READY=1. */
    synchronized boolean run(String why, Runnable after) {
      notifier.reloading("reloading (" + why + ")");
      boolean ok = fromFile != null ? fromFile.reload(why, reloader) : reloader.reload(why);
      after.run();
      notifier.ready(
          listening
              + (ok
                  ? ", reloaded (" + why + ")"
                  : ", reload (" + why + ") failed, previous configuration kept"));
      return ok;
    }
  }

  /**
   * The resolver's options from {@code --dns}, {@code --resolve-timeout}, {@code
   * --client-max-lookups}.
   */
  static Resolver.Options resolverOptions(List<String> dns, String timeout, int maxLookups) {
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String d : dns) {
      servers.add(Addrs.nameServer(d, "--dns"));
    }
    Duration t;
    try {
      t = Units.duration(timeout);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--resolve-timeout: " + timeout + " (expected e.g. 500ms, 5s, 1m)");
    }
    if (t.isZero() || t.isNegative()) {
      throw new IllegalArgumentException("--resolve-timeout: " + timeout + " (expected: > 0)");
    }
    if (maxLookups < 1) {
      throw new IllegalArgumentException(
          "--client-max-lookups: " + maxLookups + " (expected: >= 1)");
    }
    return new Resolver.Options(servers, t, maxLookups);
  }

  /**
   * --proxy-from's ranges (loopback when none is given: a balancer on this machine), or null
   * without --proxy-protocol.
   */
  static List<AddressRange> proxySources(boolean on, List<String> from) {
    if (!on) {
      if (!from.isEmpty()) {
        throw new IllegalArgumentException(
            "--proxy-from: " + from.get(0) + " (expected: only with --proxy-protocol)");
      }
      return null;
    }
    List<AddressRange> out = new ArrayList<>();
    for (String f : from.isEmpty() ? List.of("127.0.0.0/8", "::1/128") : from) {
      try {
        out.add(AddressRange.parse(f.strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--proxy-from: "
                + f
                + " (expected: an address or CIDR range, e.g. 10.0.0.5 or 10.0.0.0/24): "
                + e.getMessage(),
            e);
      }
    }
    return out;
  }
}
