package dev.ett.bench;

import dev.ett.inspect.FirstBytes;
import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipFile;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * Runs the benchmark: spawns the targets, an ett server and an ett client as separate {@code
 * bin/ett} processes on loopback, measures the direct path and the tunnel in the same run, prints a
 * table. See bench/README.md.
 */
public final class Bench {
  /** What to run; built by the CLI. */
  public record Options(
      Path launcher,
      Set<String> only,
      long bulkBytes,
      long bulkBytesEtt,
      int repeat,
      int streams,
      int connWorkers,
      long connWarmupMs,
      long connMs,
      long jitWarmupMs,
      int pingWarmup,
      int pingRounds,
      int rssConns,
      String suite,
      String jvmOpts,
      List<String> serverArgs,
      List<String> clientArgs,
      boolean snapshot,
      boolean keepLogs,
      boolean withSsh,
      boolean withRelay,
      int manyStreams,
      long coldWindowMs,
      boolean coldWithoutAot,
      String sshCipher) {}

  /** ETT_JAVA_OPTS given to the spawned server and client unless --jvm-opts says otherwise. */
  public static final String DEFAULT_JVM_OPTS =
      ""; // the launcher's own defaults (bin/ett), as users run it

  private final Options o;
  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();
  private Path dir;
  private String launcher;
  private int serverPort;

  /**
   * How to reach the bench's sshd with ssh (--with-ssh), for ssh -W beside ett connect; or null.
   */
  private List<String> sshBase;

  private Map<String, String> etcEnv;
  private Map<String, String> ettEnv;
  private Child server;
  private Child echo;
  private Child client;

  /** The bulk source (serve-source): its CPU is part of the links figure's account. */
  private Child source;

  private InetSocketAddress echoDirect;
  private InetSocketAddress socksFront;
  private InetSocketAddress echoTunnel;
  private InetSocketAddress sourceDirect;
  private InetSocketAddress sourceTunnel;

  /** The server's --policy-file: the echo target's rule, rewritten by the conn-tls figure. */
  private Path policyFile;

  private String echoRule;
  private boolean failed;
  private final List<String> noisy = new ArrayList<>();
  private final List<Long> ourPids = new ArrayList<>(List.of(ProcessHandle.current().pid()));
  private Mem idleServer;
  private Mem idleClient;

  /**
   * Another way over the same path, measured beside ett: forwards to the echo target and source.
   */
  /** Another tool measured beside ett; {@code pids} are its processes (their forks count too). */
  private record Other(
      String name, InetSocketAddress echo, InetSocketAddress source, List<Long> pids) {}

  /** ssh -L (--with-ssh), a crypto-free two-process relay (--with-relay). */
  private final List<Other> others = new ArrayList<>();

  /** The name of the ssh -L row, which the issue-17 targets compare with. */
  private static final String SSH = "ssh -L";

  /** The private sshd (its session processes are its children), or -1. */
  private long sshdPid = -1;

  /**
   * The figures the issue-17 targets are judged on, filled in by the figures that measure them (NaN
   * when not measured in this run): ett and ssh -L, medians of the rounds.
   */
  private static final class Figures {
    double bulkEtt = Double.NaN;
    double bulkSsh = Double.NaN;
    double cpuGbEtt = Double.NaN;
    double cpuGbSsh = Double.NaN;
    double connEtt = Double.NaN;
    double connSsh = Double.NaN;
    double cpuConnEtt = Double.NaN;
    double cpuConnSsh = Double.NaN;
    double pingEtt = Double.NaN;
    double pingSsh = Double.NaN;
    double coldConn = Double.NaN;
    double coldBulk = Double.NaN;
    double coldConnNoAot = Double.NaN;
    double coldBulkNoAot = Double.NaN;
    double coldCpuConn = Double.NaN;
    double coldCpuGb = Double.NaN;
    double coldCpuConnNoAot = Double.NaN;
    double coldCpuGbNoAot = Double.NaN;
    double versionS = Double.NaN;
    double connectS = Double.NaN;
    double manyServerMiB = Double.NaN;
    double manySshdMiB = Double.NaN;
    double links1 = Double.NaN;
    double links2 = Double.NaN;
  }

  private final Figures t17 = new Figures();

  public Bench(Options o, PrintStream out) {
    this.o = o;
    this.out = out;
  }

  /** Returns the exit status: 0 when every figure ran (targets missed are reported, not fatal). */
  public int run() throws Exception {
    dir = Files.createTempDirectory("ett-bench-");
    try {
      if (o.only().contains("rss10k")) {
        // Each of the bench, the echo target, ett's client and server (and ssh and sshd) holds one
        // fd per stream, a process at a time: raise this process's limit, which every child
        // inherits, when it is short. The product's own defaults stay as they are.
        raiseFdLimit(o.manyStreams() + 2048L);
      }
      setUp();
      if (o.only().contains("bulk")) {
        figure("bulk", this::bulk);
      }
      if (o.only().contains("conn")) {
        figure("conn", this::conn);
      }
      if (o.only().contains("conn-tls")) {
        figure("conn-tls", this::connTls);
      }
      if (o.only().contains("reverse")) {
        figure("reverse", this::reverse);
      }
      if (o.only().contains("ping")) {
        figure("ping", this::ping);
      }
      if (o.only().contains("rss")) {
        figure("rss", this::rss);
      }
      if (o.only().contains("start")) {
        figure("start", this::start);
      }
      if (o.only().contains("cold")) {
        figure("cold", this::cold);
      }
      if (o.only().contains("rss10k")) {
        figure("rss10k", this::rssMany);
      }
      if (o.only().contains("links")) {
        figure("links", this::links);
      }
      for (Child c : List.of(server, client)) {
        if (!c.alive()) {
          failed = true;
          out.println("!! " + c.name + " died during the run:\n" + c.tail());
        }
      }
    } finally {
      Children.stopAll();
      if (!o.keepLogs() && !failed) {
        deleteTree(dir);
      } else {
        out.println("logs kept in " + dir);
      }
    }
    printTable();
    printTargets();
    return failed ? 1 : 0;
  }

  private interface Figure {
    void run() throws Exception;
  }

  private void figure(String name, Figure f) {
    long busy0 = Cpu.machineBusy();
    Cpu.Times ours0 = Cpu.sum(ourPids);
    long t0 = System.nanoTime();
    try {
      f.run();
      double wall = (System.nanoTime() - t0) / 1e9;
      double others =
          ((Cpu.machineBusy() - busy0) / Cpu.HZ - Cpu.sum(ourPids).minus(ours0).seconds()) / wall;
      progress(
          "(%s: %.0f s; CPU used meanwhile by processes outside this benchmark: %.2f of %d CPUs)",
          name, wall, Math.max(0, others), Runtime.getRuntime().availableProcessors());
      if (others > 0.25) {
        noisy.add(name + String.format(Locale.ROOT, " (%.2f CPUs)", others));
      }
    } catch (Exception e) {
      failed = true;
      out.println("!! figure " + name + " FAILED: " + e);
      rows.add(new Row(name + ": FAILED (" + e.getMessage() + ")", "", "", "", ""));
    }
  }

  // ---------------------------------------------------------------- set-up

  private void setUp() throws Exception {
    etcEnv = new HashMap<>();
    etcEnv.put("ETT_NO_BUILD", "1");
    etcEnv.put("ETT_JAVA_OPTS", "");
    ettEnv = new HashMap<>(etcEnv);
    ettEnv.put("ETT_JAVA_OPTS", o.jvmOpts());
    String lo = "127.0.0.1";
    int[] ports = freePorts(6);
    launcher = o.snapshot() ? snapshot(o.launcher(), dir).toString() : o.launcher().toString();
    out.println(
        "launcher: "
            + launcher
            + (o.snapshot() ? " (a copy of " + o.launcher() + " and its jar)" : ""));

    // Keys, exactly as a user makes them.
    Child k1 =
        Child.start(
            "keygen-server",
            List.of(launcher, "keygen", dir.resolve("server.key").toString()),
            etcEnv,
            dir,
            null);
    Child k2 =
        Child.start(
            "keygen-alice",
            List.of(launcher, "keygen", dir.resolve("alice.key").toString()),
            etcEnv,
            dir,
            null);
    for (Child k : List.of(k1, k2)) {
      if (k.await(60_000) != 0) {
        throw new IllegalStateException(k.name + " failed:\n" + k.tail());
      }
      k.close();
    }
    String alicePub = Files.readString(dir.resolve("alice.key.pub")).strip();
    Files.writeString(
        dir.resolve("authorized"), alicePub + " alice" + reverseListenRules(lo) + "\n");

    echoDirect = new InetSocketAddress(lo, ports[0]);
    sourceDirect = new InetSocketAddress(lo, ports[1]);
    serverPort = ports[2];
    echoTunnel = new InetSocketAddress(lo, ports[3]);
    sourceTunnel = new InetSocketAddress(lo, ports[4]);
    socksFront = new InetSocketAddress(lo, ports[5]);

    echo =
        Child.start(
            "target-echo",
            List.of(launcher, "target", "--listen", lo + ":" + ports[0], "--mode", "echo"),
            etcEnv,
            dir,
            "listening on");
    source =
        Child.start(
            "bench-source",
            List.of(launcher, "bench", "serve-source", "--listen", lo + ":" + ports[1]),
            etcEnv,
            dir,
            "listening on");
    // The echo target's rule is in a policy file, which the conn-tls figure rewrites (the server
    // reloads it) to measure the same server with and without a protocol qualifier.
    policyFile = dir.resolve("policy");
    echoRule = "accept " + lo + ":" + ports[0];
    Files.writeString(policyFile, echoRule + "\n");
    List<String> serverCmd = new ArrayList<>();
    serverCmd.addAll(
        List.of(
            launcher,
            "server",
            "--listen",
            lo + ":" + serverPort,
            "--key",
            dir.resolve("server.key").toString(),
            "--authorized",
            dir.resolve("authorized").toString(),
            "--policy",
            "accept " + lo + ":" + ports[1],
            "--policy-file",
            policyFile.toString()));
    serverCmd.addAll(o.serverArgs());
    server = Child.start("ett-server", serverCmd, ettEnv, dir, "ett server listening on");
    server.countLines(RELOADED);
    server.countLines(RELOAD_FAILED);
    echo.awaitReady(60_000);
    source.awaitReady(60_000);
    server.awaitReady(60_000);
    List<String> clientCmd = new ArrayList<>();
    clientCmd.addAll(
        List.of(
            launcher,
            "client",
            "--server",
            lo + ":" + serverPort,
            "--server-key",
            dir.resolve("server.key.pub").toString(),
            "--key",
            dir.resolve("alice.key").toString(),
            "--suite",
            o.suite(),
            "-L",
            lo + ":" + ports[3] + ":" + lo + ":" + ports[0],
            "-L",
            lo + ":" + ports[4] + ":" + lo + ":" + ports[1],
            "-D",
            lo + ":" + ports[5]));
    clientCmd.addAll(reverseClientArgs(lo, ports[0], ports[1]));
    clientCmd.addAll(o.clientArgs());
    client = Child.start("ett-client", clientCmd, ettEnv, dir, "link up to");
    client.awaitReady(60_000);
    awaitReverse();
    for (Child c : List.of(echo, source, server, client)) {
      ourPids.add(c.javaPid());
    }
    out.println("server: " + String.join(" ", serverCmd));
    out.println("client: " + String.join(" ", clientCmd));
    out.println(
        "ETT_JAVA_OPTS for server and client: " + (o.jvmOpts().isBlank() ? "(none)" : o.jvmOpts()));
    out.println(
        "pids: server " + server.javaPid() + ", client " + client.javaPid() + "; logs in " + dir);

    // Sanity and a first warm-up of both paths: a few round trips and a small pull each way.
    for (InetSocketAddress a : List.of(echoDirect, echoTunnel)) {
      Load.pingPong(a, 0, 200, 30_000);
    }
    for (InetSocketAddress a : List.of(sourceDirect, sourceTunnel)) {
      Load.pull(a, 8 << 20, 30_000);
    }
    // New connections run the most code per byte: the JIT needs many seconds of them before its
    // C2 code is in place. Users' tunnels run warm, and so does every other path measured here
    // (ssh and socat are compiled ahead). After 3 s the compiler threads still took ~1.7 s of CPU
    // during the 6 s of the -L figure (server 153 us per connection); after 12 s, 0.5 s in 9 s
    // (119 us). Same workers as the figure, so that the profile the JIT compiles from matches it.
    Load.connections(echoTunnel, o.connWorkers(), 0, o.jitWarmupMs());
    Load.connections(socksFront, echoDirect, o.connWorkers(), 0, o.jitWarmupMs() / 2);
    // Idle: once the JIT has finished with the warm-up's code and handed its arenas back (the sum
    // holds still within 1 MiB for a second, at most 15 s), as a tunnel waiting for work sits.
    settledRss(List.of(server.javaPid()), List.of(client.javaPid()));
    idleServer = Mem.of(server.javaPid());
    idleClient = Mem.of(client.javaPid());
    if (o.withSsh()) {
      setUpSsh(lo, ports[0], ports[1]);
      setUpSshReverse(lo, ports[0], ports[1]);
    }
    if (o.withRelay()) {
      setUpRelay(lo, ports[0], ports[1]);
    }
    out.println();
  }

  /**
   * OpenSSH as users run it for the same job: a private sshd on loopback (host and user keys made
   * here) and {@code ssh -N -L} with {@code --ssh-cipher} (AES-256-GCM by default, the cipher of
   * ett's Noise suite), forwarding to the same echo target and bulk source. Skipped with a line
   * saying why when a piece is missing.
   */
  private void setUpSsh(String lo, int echoPort, int sourcePort) throws Exception {
    String sshd = "/usr/sbin/sshd";
    if (!Files.isExecutable(Path.of(sshd)) || !onPath("ssh") || !onPath("ssh-keygen")) {
      out.println(
          "--with-ssh: skipped (needs ssh, ssh-keygen and "
              + sshd
              + ": apt-get install openssh-client openssh-server)");
      return;
    }
    try {
      Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege-separation directory
    } catch (IOException e) {
      out.println(
          "--with-ssh: skipped (cannot create /run/sshd: " + e.getMessage() + "; run as root)");
      return;
    }
    Path hostKey = dir.resolve("ssh_host_ed25519_key");
    Path userKey = dir.resolve("id_ed25519");
    for (Path k : List.of(hostKey, userKey)) {
      Child g =
          Child.start(
              "ssh-keygen-" + k.getFileName(),
              List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k.toString()),
              etcEnv,
              dir,
              null);
      if (g.await(30_000) != 0) {
        throw new IllegalStateException("ssh-keygen failed:\n" + g.tail());
      }
      g.close();
    }
    Path authorizedKeys = dir.resolve("ssh_authorized_keys");
    Files.copy(Path.of(userKey + ".pub"), authorizedKeys);
    int[] p = freePorts(3);
    Path config = dir.resolve("sshd_config");
    Files.writeString(
        config, sshdConfig(lo, p[0], hostKey, authorizedKeys) + "Ciphers " + o.sshCipher() + "\n");
    Child d =
        Child.start(
            "sshd",
            List.of(sshd, "-D", "-e", "-f", config.toString()),
            etcEnv,
            dir,
            "Server listening");
    d.awaitReady(30_000);
    List<String> cmd =
        List.of(
            "ssh",
            "-N",
            "-F",
            "/dev/null",
            "-i",
            userKey.toString(),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "LogLevel=ERROR",
            "-c",
            o.sshCipher(),
            "-p",
            "" + p[0],
            "-L",
            lo + ":" + p[1] + ":" + lo + ":" + echoPort,
            "-L",
            lo + ":" + p[2] + ":" + lo + ":" + sourcePort,
            System.getProperty("user.name") + "@" + lo);
    Child c = Child.start("ssh-L", cmd, etcEnv, dir, null);
    InetSocketAddress echo = new InetSocketAddress(lo, p[1]);
    if (!awaitAccepting(echo, 30_000, c)) {
      throw new IllegalStateException(
          "ssh -L did not come up:\n" + c.tail() + "\nsshd:\n" + d.tail());
    }
    List<Long> pids = List.of(d.process.pid(), c.process.pid());
    ourPids.addAll(pids);
    sshBase =
        List.of(
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            userKey.toString(),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-c",
            o.sshCipher(),
            "-p",
            "" + p[0],
            System.getProperty("user.name") + "@" + lo);
    out.println("ssh: " + String.join(" ", cmd));
    addOther(SSH, echo, new InetSocketAddress(lo, p[2]), pids);
    sshdPid = d.process.pid();
  }

  /**
   * The floor of any design with a process at each end: the same topology as ett (application ->
   * client-side process -> server-side process -> target) through two socat relays, with no
   * encryption and no multiplexing, each connection its own pair of TCP hops.
   */
  private void setUpRelay(String lo, int echoPort, int sourcePort) throws Exception {
    if (!onPath("socat")) {
      out.println("--with-relay: skipped (needs socat: apt-get install socat)");
      return;
    }
    int[] p = freePorts(4); // outer echo, inner echo, outer source, inner source
    int[][] hops = {{p[0], p[1]}, {p[1], echoPort}, {p[2], p[3]}, {p[3], sourcePort}};
    List<Long> pids = new ArrayList<>();
    for (int[] h : hops) {
      Child r =
          Child.start(
              "socat-" + h[0],
              List.of(
                  "socat",
                  "-b",
                  "65536",
                  "TCP-LISTEN:" + h[0] + ",bind=" + lo + ",reuseaddr,fork,backlog=1024,nodelay",
                  "TCP:" + lo + ":" + h[1] + ",nodelay"),
              etcEnv,
              dir,
              null);
      pids.add(r.process.pid());
    }
    ourPids.addAll(pids);
    InetSocketAddress echo = new InetSocketAddress(lo, p[0]);
    if (!awaitAccepting(echo, 10_000, null)) {
      throw new IllegalStateException("socat relay did not come up");
    }
    out.println(
        "relay: socat -b 65536 TCP-LISTEN:PORT,fork TCP:NEXT, twice per path (no crypto, no mux)");
    addOther("socat relay x2, no crypto", echo, new InetSocketAddress(lo, p[2]), pids);
  }

  private void addOther(
      String name, InetSocketAddress echo, InetSocketAddress source, List<Long> pids)
      throws Exception {
    Load.pingPong(echo, 0, 200, 30_000);
    Load.pull(source, 8 << 20, 30_000);
    others.add(new Other(name, echo, source, pids));
  }

  /**
   * An sshd_config for a private sshd on {@code address}: key login only, no PAM, no pid file. Also
   * used by the real-client tests.
   */
  public static String sshdConfig(String address, int port, Path hostKey, Path authorizedKeys) {
    return String.join(
        "\n",
        "ListenAddress " + address,
        "Port " + port,
        "HostKey " + hostKey,
        "AuthorizedKeysFile " + authorizedKeys,
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "");
  }

  /** Waits until {@code a} accepts a connection; false on timeout or when {@code owner} exits. */
  private static boolean awaitAccepting(InetSocketAddress a, long timeoutMs, Child owner)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      try (java.net.Socket s = new java.net.Socket(a.getAddress(), a.getPort())) {
        return true;
      } catch (IOException e) {
        if ((owner != null && !owner.alive()) || System.nanoTime() > deadline) {
          return false;
        }
        Thread.sleep(50);
      }
    }
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Copies the launcher, bin/java-home and target/ett.jar into {@code dir}: other people rebuilding
   * target/ett.jar during a run must not swap classes under the running processes.
   */
  static Path snapshot(Path launcher, Path dir) throws IOException, InterruptedException {
    Path bin = launcher.toAbsolutePath().getParent();
    Path jar = bin.getParent().resolve("target").resolve("ett.jar");
    Path home = bin.resolve("java-home");
    if (!Files.isRegularFile(jar) || !Files.isRegularFile(home)) {
      return launcher;
    }
    Path snapBin = Files.createDirectories(dir.resolve("ett").resolve("bin"));
    Path snapJar = Files.createDirectories(dir.resolve("ett").resolve("target")).resolve("ett.jar");
    for (int attempt = 0; ; attempt++) {
      long before = Files.getLastModifiedTime(jar).toMillis() + Files.size(jar);
      Files.copy(jar, snapJar, StandardCopyOption.REPLACE_EXISTING);
      long after = Files.getLastModifiedTime(jar).toMillis() + Files.size(jar);
      boolean ok = before == after;
      if (ok) {
        try (ZipFile z = new ZipFile(snapJar.toFile())) {
          ok =
              z.getEntry("dev/ett/cli/Main.class") != null
                  && z.getEntry("dev/ett/bench/BulkSource.class") != null;
        } catch (IOException e) {
          ok = false;
        }
      }
      if (ok) {
        break;
      }
      if (attempt == 20) {
        throw new IOException(
            "could not take a consistent copy of " + jar + " (is a build running?)");
      }
      Thread.sleep(500);
    }
    for (Path f : List.of(launcher.toAbsolutePath(), home)) {
      Path to = snapBin.resolve(f.getFileName());
      Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
      to.toFile().setExecutable(true);
    }
    return snapBin.resolve(launcher.getFileName());
  }

  private static long fds(long pid) {
    try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static Cpu.Times add(Cpu.Times a, Cpu.Times b) {
    return new Cpu.Times(a.user() + b.user(), a.sys() + b.sys());
  }

  static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }

  // ---------------------------------------------------------------- figures

  private void bulk() throws Exception {
    long timeout = 600_000;
    // warm-up: one unmeasured pull each path (JIT, socket buffers)
    long warm = Math.min(256L << 20, o.bulkBytesEtt());
    Load.pull(sourceDirect, warm, timeout);
    Load.pull(sourceTunnel, warm, timeout);
    double[] d1 = new double[o.repeat()];
    double[] e1 = new double[o.repeat()];
    long sp = server.javaPid();
    long cp = client.javaPid();
    Cpu.Times sCpu = new Cpu.Times(0, 0);
    Cpu.Times cCpu = new Cpu.Times(0, 0);
    long ettBytes = 0;
    double[] eGb = new double[o.repeat()];
    for (int r = 0; r < o.repeat(); r++) {
      d1[r] = o.bulkBytes() / (Load.pull(sourceDirect, o.bulkBytes(), timeout) / 1e9);
      Cpu.Times s0 = Cpu.of(sp);
      Cpu.Times c0 = Cpu.of(cp);
      e1[r] = o.bulkBytesEtt() / (Load.pull(sourceTunnel, o.bulkBytesEtt(), timeout) / 1e9);
      Cpu.Times ds = Cpu.of(sp).minus(s0);
      Cpu.Times dc = Cpu.of(cp).minus(c0);
      sCpu = add(sCpu, ds);
      cCpu = add(cCpu, dc);
      eGb[r] = (ds.seconds() + dc.seconds()) / (o.bulkBytesEtt() / 1e9);
      ettBytes += o.bulkBytesEtt();
      progress("bulk x1 #%d: direct %.0f MB/s, ett %.0f MB/s", r + 1, d1[r] / 1e6, e1[r] / 1e6);
    }
    double[] d8 = new double[o.repeat()];
    double[] e8 = new double[o.repeat()];
    int n = o.streams();
    for (int r = 0; r < o.repeat(); r++) {
      d8[r] = Load.pullParallel(sourceDirect, n, o.bulkBytes() / n, timeout);
      e8[r] = Load.pullParallel(sourceTunnel, n, o.bulkBytesEtt() / n, timeout);
      progress("bulk x%d #%d: direct %.0f MB/s, ett %.0f MB/s", n, r + 1, d8[r] / 1e6, e8[r] / 1e6);
    }
    double gb = ettBytes / 1e9;
    progress(
        "ett CPU per GB through the tunnel (1 stream): server %s, client %s",
        sCpu.per(gb, 1, "%.2f s"), cCpu.per(gb, 1, "%.2f s"));
    rateRow("bulk, 1 stream (MB/s)", median(d1) / 1e6, median(e1) / 1e6, ">= 0.30x", 0.30);
    t17.bulkEtt = median(e1) / 1e6;
    t17.cpuGbEtt = median(eGb);
    for (Other x : others) {
      double[] s1 = new double[o.repeat()];
      double[] xGb = new double[o.repeat()];
      Cpu.Times x0 = Cpu.sum(x.pids());
      for (int r = 0; r < o.repeat(); r++) {
        Cpu.Times r0 = Cpu.sum(x.pids());
        s1[r] = o.bulkBytesEtt() / (Load.pull(x.source(), o.bulkBytesEtt(), timeout) / 1e9);
        xGb[r] = Cpu.sum(x.pids()).minus(r0).seconds() / (o.bulkBytesEtt() / 1e9);
        progress("bulk x1 #%d: %s %.0f MB/s", r + 1, x.name(), s1[r] / 1e6);
      }
      if (x.name().equals(SSH)) {
        t17.bulkSsh = median(s1) / 1e6;
        t17.cpuGbSsh = median(xGb);
      }
      Cpu.Times xc = Cpu.sum(x.pids()).minus(x0);
      progress(
          "%s CPU per GB (1 stream, both ends together): %s", x.name(), xc.per(gb, 1, "%.2f s"));
      otherRow("  " + x.name() + ", 1 stream", median(d1) / 1e6, median(s1) / 1e6);
    }
    rateRow(
        "bulk, " + n + " streams (MB/s, aggregate)",
        median(d8) / 1e6,
        median(e8) / 1e6,
        ">= 0.30x",
        0.30);
    for (Other x : others) {
      double[] s8 = new double[o.repeat()];
      for (int r = 0; r < o.repeat(); r++) {
        s8[r] = Load.pullParallel(x.source(), n, o.bulkBytesEtt() / n, timeout);
        progress("bulk x%d #%d: %s %.0f MB/s", n, r + 1, x.name(), s8[r] / 1e6);
      }
      otherRow("  " + x.name() + ", " + n + " streams", median(d8) / 1e6, median(s8) / 1e6);
    }
    out.printf(
        Locale.ROOT,
        "  (bulk: %s direct / %s through ett per run, median of %d; all runs direct %s, ett %s MB/s)%n",
        size(o.bulkBytes()),
        size(o.bulkBytesEtt()),
        o.repeat(),
        list(d1, d8),
        list(e1, e8));
  }

  private void conn() throws Exception {
    long[] fds0 = {fds(server.javaPid()), fds(client.javaPid()), fds(echo.javaPid())};
    Load.ConnResult d = Load.connections(echoDirect, o.connWorkers(), o.connWarmupMs(), o.connMs());
    progress("conn direct: %.0f/s", d.perSecond());
    // Rounds of ett -L and of each other tool, interleaved, so that a drift of the machine falls on
    // all of them; medians of the rounds' rates and CPU per connection.
    int rounds = o.repeat();
    double[] eRate = new double[rounds];
    double[] eCpu = new double[rounds];
    Load.ConnResult e = null;
    Cpu.Times sCpu = new Cpu.Times(0, 0);
    Cpu.Times cCpu = new Cpu.Times(0, 0);
    double eMade = 0;
    double[][] xRate = new double[others.size()][rounds];
    double[][] xCpu = new double[others.size()][rounds];
    for (int r = 0; r < rounds; r++) {
      Cpu.Times s0 = Cpu.of(server.javaPid());
      Cpu.Times c0 = Cpu.of(client.javaPid());
      Load.ConnResult er =
          Load.connections(echoTunnel, o.connWorkers(), o.connWarmupMs(), o.connMs());
      Cpu.Times ds = Cpu.of(server.javaPid()).minus(s0);
      Cpu.Times dc = Cpu.of(client.javaPid()).minus(c0);
      sCpu = add(sCpu, ds);
      cCpu = add(cCpu, dc);
      eMade += made(er);
      eRate[r] = er.perSecond();
      eCpu[r] = (ds.seconds() + dc.seconds()) * 1e6 / made(er);
      e = er; // the latency rows show the last round's
      progress(
          "conn ett #%d: %.0f/s; CPU per connection, both ends: %.0f us", r + 1, eRate[r], eCpu[r]);
      for (int i = 0; i < others.size(); i++) {
        Other x = others.get(i);
        Cpu.Times x0 = Cpu.sum(x.pids());
        Load.ConnResult ss =
            Load.connections(x.echo(), o.connWorkers(), o.connWarmupMs(), o.connMs());
        Cpu.Times xc = Cpu.sum(x.pids()).minus(x0);
        xRate[i][r] = ss.perSecond();
        xCpu[i][r] = xc.seconds() * 1e6 / made(ss);
        progress(
            "conn %s #%d: %.0f/s; CPU per connection, both ends together: %s",
            x.name(), r + 1, ss.perSecond(), xc.per(made(ss), 1e6, "%.0f us"));
      }
    }
    progress(
        "ett CPU per connection (-L, all rounds): server %s, client %s",
        sCpu.per(eMade, 1e6, "%.0f us"), cCpu.per(eMade, 1e6, "%.0f us"));
    t17.connEtt = median(eRate);
    t17.cpuConnEtt = median(eCpu);
    rateRow(
        "new connections/s (" + o.connWorkers() + " workers, 100 B req/resp)",
        d.perSecond(),
        t17.connEtt,
        ">= 0.45x",
        0.45);
    Load.ConnResult sx =
        Load.connections(socksFront, echoDirect, o.connWorkers(), o.connWarmupMs(), o.connMs());
    progress("conn ett -D socks5: %.0f/s", sx.perSecond());
    rateRow("  same through -D (SOCKS5 CONNECT)", d.perSecond(), sx.perSecond(), "", -1);
    for (int i = 0; i < others.size(); i++) {
      Other x = others.get(i);
      otherRow("  " + x.name(), d.perSecond(), median(xRate[i]));
      if (x.name().equals(SSH)) {
        t17.connSsh = median(xRate[i]);
        t17.cpuConnSsh = median(xCpu[i]);
      }
    }
    long[] dl = d.latenciesNs();
    long[] el = e.latenciesNs();
    Arrays.sort(dl);
    Arrays.sort(el);
    timeRow("  connection latency p50 (us)", pct(dl, 50), pct(el, 50), "", -1);
    timeRow("  connection latency p99 (us)", pct(dl, 99), pct(el, 99), "", -1);
    Thread.sleep(1000);
    long[] fds1 = {fds(server.javaPid()), fds(client.javaPid()), fds(echo.javaPid())};
    progress(
        "open fds before/after the connection figure: server %d/%d, client %d/%d, echo target %d/%d",
        fds0[0], fds1[0], fds0[1], fds1[1], fds0[2], fds1[2]);
    if (fds1[0] - fds0[0] > 100 || fds1[1] - fds0[1] > 100) {
      rows.add(
          new Row(
              "  !! fd leak: server/client fds grew by",
              "-",
              (fds1[0] - fds0[0]) + " / " + (fds1[1] - fds0[1]),
              "",
              "LEAK"));
    }
  }

  /**
   * Connections a {@link Load#connections} call made, warm-up included: the warm-up runs at the
   * measured rate, so CPU measured around the whole call is spread over them.
   */
  private double made(Load.ConnResult r) {
    return r.perSecond() * (o.connWarmupMs() + o.connMs()) / 1000.0;
  }

  /** The server's log line for a reload applied, and for one refused (ServerCommand, Reloader). */
  private static final String RELOADED = "reloaded ";

  private static final String RELOAD_FAILED = "failed, keeping the previous configuration";

  /**
   * Issue 16: a check of the first bytes costs streams that pass it at most this much of the rate.
   */
  private static final double TLS_RULE_MIN_RATIO = 0.95;

  /**
   * New connections through {@code -D} whose first bytes are a genuine TLS ClientHello, with the
   * echo target's rule alternately {@code accept A:P} and {@code accept A:P tls} (the exit holds
   * the first bytes and lets the stream through once they parse as a ClientHello). Same server,
   * client and JVMs for both: the policy file is rewritten and the server reloads it. Rounds run
   * plain-tls, tls-plain, ... so that a drift of the machine falls on both; medians are printed.
   */
  private void connTls() throws Exception {
    byte[] hello = clientHello();
    String host = echoDirect.getAddress().getHostAddress();
    String plain = "accept " + host + ":" + echoDirect.getPort();
    String tls = plain + " tls";
    progress(
        "conn-tls: a %d-byte ClientHello from the JDK's TLS client (SNI bench.example) first on every"
            + " connection, then the 100 bytes; rules '%s' and '%s'",
        hello.length, plain, tls);
    // The rule bites: a stream that does not start with a ClientHello is refused, and echoed once
    // the qualifier is gone.
    setEchoRule(tls);
    if (!refused(new byte[100])) {
      throw new IllegalStateException(
          "under '" + tls + "' a stream of 100 zero bytes was echoed, not refused");
    }
    // The inspection code runs only now: let the JIT compile it as it did the connection code.
    Load.connections(socksFront, echoDirect, hello, o.connWorkers(), 0, o.jitWarmupMs() / 2);
    setEchoRule(plain);
    if (refused(new byte[100])) {
      throw new IllegalStateException(
          "under '" + plain + "' a stream of 100 zero bytes was refused");
    }
    int rounds = o.repeat();
    String[] rule = {plain, tls};
    double[][] rate = new double[2][rounds];
    Cpu.Times[] sCpu = {new Cpu.Times(0, 0), new Cpu.Times(0, 0)};
    Cpu.Times[] cCpu = {new Cpu.Times(0, 0), new Cpu.Times(0, 0)};
    double[] made = new double[2];
    List<long[]> latencies = new ArrayList<>(List.of(new long[0], new long[0]));
    long sp = server.javaPid();
    long cp = client.javaPid();
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < 2; k++) {
        int m = r % 2 == 0 ? k : 1 - k;
        setEchoRule(rule[m]);
        Cpu.Times s0 = Cpu.of(sp);
        Cpu.Times c0 = Cpu.of(cp);
        Load.ConnResult x =
            Load.connections(
                socksFront, echoDirect, hello, o.connWorkers(), o.connWarmupMs(), o.connMs());
        sCpu[m] = add(sCpu[m], Cpu.of(sp).minus(s0));
        cCpu[m] = add(cCpu[m], Cpu.of(cp).minus(c0));
        made[m] += made(x);
        rate[m][r] = x.perSecond();
        long[] l = latencies.get(m);
        long[] more = Arrays.copyOf(l, l.length + x.latenciesNs().length);
        System.arraycopy(x.latenciesNs(), 0, more, l.length, x.latenciesNs().length);
        latencies.set(m, more);
      }
      progress(
          "conn-tls #%d: without tls %.0f/s, with tls %.0f/s (%.2fx)",
          r + 1, rate[0][r], rate[1][r], rate[1][r] / rate[0][r]);
    }
    setEchoRule(plain);
    double without = median(rate[0]);
    double with = median(rate[1]);
    // The two halves of a round ran next to each other: their ratio is steadier than the ratio of
    // the medians when the machine's load drifts, and it is what the target is checked on.
    double[] paired = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      paired[r] = rate[1][r] / rate[0][r];
    }
    double ratio = median(paired);
    for (long[] l : latencies) {
      Arrays.sort(l);
    }
    progress(
        "connection latency p50 / p99 through -D, without tls: %.0f / %.0f us, with tls: %.0f / %.0f us",
        pct(latencies.get(0), 50),
        pct(latencies.get(0), 99),
        pct(latencies.get(1), 50),
        pct(latencies.get(1), 99));
    progress(
        "ett CPU per connection (-D, ClientHello first), without tls: server %s, client %s",
        sCpu[0].per(made[0], 1e6, "%.0f us"), cCpu[0].per(made[0], 1e6, "%.0f us"));
    progress(
        "ett CPU per connection (-D, ClientHello first), with tls:    server %s, client %s",
        sCpu[1].per(made[1], 1e6, "%.0f us"), cCpu[1].per(made[1], 1e6, "%.0f us"));
    rows.add(
        new Row(
            "new connections/s through -D, a TLS ClientHello first, rule without tls",
            "-",
            fmt(without),
            "",
            ""));
    rows.add(
        new Row(
            "  same, rule with tls (the exit checks the ClientHello)",
            "-",
            fmt(with),
            String.format(Locale.ROOT, "%.2fx", ratio),
            String.format(
                Locale.ROOT,
                "with/without, median of rounds >= %.2fx: %s",
                TLS_RULE_MIN_RATIO,
                ratio >= TLS_RULE_MIN_RATIO ? "ok" : "MISSED")));
    rows.add(
        new Row(
            "  ett server CPU per connection (us), without / with tls",
            "-",
            String.format(
                Locale.ROOT,
                "%.0f / %.0f",
                sCpu[0].seconds() / made[0] * 1e6,
                sCpu[1].seconds() / made[1] * 1e6),
            "",
            ""));
    out.printf(
        Locale.ROOT,
        "  (conn-tls: %d rounds of %d ms each way; without tls %s, with tls %s /s; ratio of the medians %.2fx)%n",
        rounds,
        o.connMs(),
        Arrays.toString(round(rate[0])),
        Arrays.toString(round(rate[1])),
        with / without);
  }

  private static long[] round(double[] a) {
    return Arrays.stream(a).mapToLong(Math::round).toArray();
  }

  /**
   * A genuine TLS ClientHello: the first record the JDK's TLS client sends to bench.example:443
   * (its default protocols, suites and extensions, SNI bench.example). Checked with the exit's own
   * parser, so that the figure measures streams that pass.
   */
  static byte[] clientHello() throws Exception {
    SSLEngine e = SSLContext.getDefault().createSSLEngine("bench.example", 443);
    e.setUseClientMode(true);
    e.beginHandshake();
    ByteBuffer net = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
    SSLEngineResult r = e.wrap(ByteBuffer.allocate(0), net);
    if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesProduced() == 0) {
      throw new IllegalStateException("the JDK's TLS client wrote no ClientHello: " + r);
    }
    net.flip();
    byte[] hello = new byte[net.remaining()];
    net.get(hello);
    Inspection seen = FirstBytes.inspect(Protocol.TLS, ByteBuffer.wrap(hello), false);
    if (!(seen instanceof Inspection.Matched m)
        || !m.serverName().equals(java.util.Optional.of("bench.example"))) {
      throw new IllegalStateException(
          "the JDK's ClientHello does not parse as one with SNI bench.example: " + seen);
    }
    return hello;
  }

  /**
   * Puts {@code rule} in the policy file as the echo target's rule and waits until the server says
   * it reloaded it (the file is replaced by a rename: the server never reads half of it).
   */
  private void setEchoRule(String rule) throws Exception {
    if (rule.equals(echoRule)) {
      return;
    }
    int before = server.linesCounted(RELOADED);
    int failedBefore = server.linesCounted(RELOAD_FAILED);
    Path next = dir.resolve("policy.next");
    Files.writeString(next, rule + "\n");
    Files.move(
        next, policyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (server.linesCounted(RELOADED) == before) {
      if (server.linesCounted(RELOAD_FAILED) != failedBefore
          || !server.alive()
          || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the server did not reload '" + rule + "':\n" + server.tail());
      }
      Thread.sleep(20);
    }
    echoRule = rule;
  }

  /**
   * Whether a stream through -D to the echo target that starts with {@code first} is refused: the
   * proxy ends it without echoing a byte (false when it is echoed in full).
   */
  private boolean refused(byte[] first) throws IOException {
    try (SocketChannel ch = SocketChannel.open()) {
      Watchdog.watch(ch, 30_000);
      try {
        ch.connect(socksFront);
        try {
          Load.socks5Connect(ch, echoDirect);
        } catch (java.nio.channels.ClosedChannelException e) {
          throw new IOException("-D did not answer a SOCKS5 CONNECT within 30 s", e);
        } catch (IOException e) {
          return true; // refused before the first bytes were looked at
        }
        ByteBuffer out = ByteBuffer.wrap(first);
        while (out.hasRemaining()) {
          ch.write(out);
        }
        ByteBuffer in = ByteBuffer.allocate(first.length);
        while (in.hasRemaining()) {
          int n;
          try {
            n = ch.read(in);
          } catch (java.nio.channels.ClosedChannelException e) {
            throw new IOException("a stream was neither echoed nor refused within 30 s", e);
          } catch (IOException e) {
            n = -1; // reset by the proxy
          }
          if (n < 0) {
            if (in.position() > 0) {
              throw new IOException(
                  "a stream was cut after echoing "
                      + in.position()
                      + " of "
                      + first.length
                      + " bytes");
            }
            return true;
          }
        }
        return false;
      } finally {
        Watchdog.unwatch(ch);
      }
    }
  }

  private void ping() throws Exception {
    long[] d = Load.pingPong(echoDirect, o.pingWarmup(), o.pingRounds(), 120_000);
    long[] e = Load.pingPong(echoTunnel, o.pingWarmup(), o.pingRounds(), 120_000);
    Arrays.sort(d);
    Arrays.sort(e);
    timeRow("ping-pong 64 B p50 (us)", pct(d, 50), pct(e, 50), "ett <= 35 us", 35);
    timeRow("ping-pong 64 B p99 (us)", pct(d, 99), pct(e, 99), "", -1);
    long[] sx = Load.pingPong(socksFront, echoDirect, o.pingWarmup(), o.pingRounds(), 120_000);
    Arrays.sort(sx);
    timeRow("  ping-pong p50 through -D (SOCKS5) (us)", pct(d, 50), pct(sx, 50), "", -1);
    timeRow("  ping-pong p99 through -D (SOCKS5) (us)", pct(d, 99), pct(sx, 99), "", -1);
    // The issue-17 target is the median of rounds' p50s, ett -L and ssh -L interleaved.
    double[] eP50 = new double[o.repeat()];
    double[] sP50 = new double[o.repeat()];
    eP50[0] = pct(e, 50);
    for (int r = 0; r < o.repeat(); r++) {
      if (r > 0) {
        long[] er = Load.pingPong(echoTunnel, o.pingWarmup(), o.pingRounds(), 120_000);
        Arrays.sort(er);
        eP50[r] = pct(er, 50);
      }
      for (Other x : others) {
        long[] ss = Load.pingPong(x.echo(), o.pingWarmup(), o.pingRounds(), 120_000);
        Arrays.sort(ss);
        if (x.name().equals(SSH)) {
          sP50[r] = pct(ss, 50);
        }
        if (r == 0) {
          otherTimeRow("  " + x.name() + " p50", pct(d, 50), pct(ss, 50));
          otherTimeRow("  " + x.name() + " p99", pct(d, 99), pct(ss, 99));
        }
      }
    }
    t17.pingEtt = median(eP50);
    if (sshBase != null) {
      t17.pingSsh = median(sP50);
    }
  }

  /** A row for another tool measured in the same run; its value sits in the ett column, marked. */
  private void otherRow(String name, double direct, double other) {
    rows.add(
        new Row(
            name,
            fmt(direct),
            fmt(other),
            String.format(Locale.ROOT, "%.2fx", other / direct),
            "(comparison, not ett)"));
  }

  private void otherTimeRow(String name, double directUs, double otherUs) {
    rows.add(
        new Row(
            name,
            fmt(directUs),
            fmt(otherUs),
            String.format(Locale.ROOT, "%.2fx", otherUs / directUs),
            "(comparison, not ett)"));
  }

  private void rss() throws Exception {
    rssRows("RSS idle after link up and a warm-up", idleServer, idleClient);
    Mem s0 = Mem.of(server.javaPid());
    Mem c0 = Mem.of(client.javaPid());
    rssRows("RSS idle after the figures above", s0, c0);
    rows.getLast().check = "(after: " + String.join(",", o.only()) + ")";
    List<SocketChannel> open = Load.openMany(echoTunnel, o.rssConns(), 120_000);
    try {
      // Opening them runs code the JIT compiles right then, and its arenas are freed (and handed
      // back to the OS, bin/ett's TrimNativeHeapInterval) a few seconds later: wait until the sum
      // holds still for a second (at most 10 s), so the figure is what 1,000 connections hold.
      // The transient shows in the peak (VmHWM) row.
      Mem s = null;
      Mem c = null;
      long last = -1;
      for (int i = 0; i < 10; i++) {
        Thread.sleep(1000);
        s = Mem.of(server.javaPid());
        c = Mem.of(client.javaPid());
        long sum = s.rssKb() + c.rssKb();
        if (last >= 0 && Math.abs(sum - last) <= 1024) {
          break;
        }
        last = sum;
      }
      rssRows("RSS with " + o.rssConns() + " open connections", s, c);
      String each = s.rssKb() <= 128 * 1024 && c.rssKb() <= 128 * 1024 ? "ok" : "MISSED";
      String sum = s.rssKb() + c.rssKb() <= 128 * 1024 ? "ok" : "MISSED";
      rows.getLast().check = "each <= 128 MiB: " + each + "; sum <= 128 MiB: " + sum;
      rows.add(
          new Row(
              "  peak RSS so far (VmHWM) server / client",
              "-",
              String.format(Locale.ROOT, "%.0f / %.0f", s.hwmKb() / 1024.0, c.hwmKb() / 1024.0),
              "",
              ""));
      rows.add(
          new Row(
              "  of which anonymous / file-backed, server + client",
              "-",
              String.format(
                  Locale.ROOT,
                  "%.0f / %.0f",
                  (s.anonKb() + c.anonKb()) / 1024.0,
                  (s.fileKb() + c.fileKb()) / 1024.0),
              "",
              "file pages (libjvm, CDS) are the same pages in both"));
      if (s.pssKb() >= 0 && c.pssKb() >= 0) {
        rows.add(
            new Row(
                "  PSS server + client (shared pages counted once)",
                "-",
                String.format(Locale.ROOT, "%.0f", (s.pssKb() + c.pssKb()) / 1024.0),
                "",
                s.pssKb() + c.pssKb() <= 128 * 1024 ? "<= 128 MiB" : "> 128 MiB"));
      }
    } finally {
      Load.closeAll(open);
    }
  }

  // ---------------------------------------------------------------- start-up

  /** Rounds of each start-up figure; the median is reported. */
  private static final int START_ROUNDS = 7;

  /**
   * Start-up as a user meets it, through the launcher: {@code ett --version}, and a fresh {@code
   * ett connect} (what ssh's ProxyCommand spawns per session) to the echo target through the up
   * server, timed from its start to the first echoed byte on its standard output; beside it, with
   * --with-ssh, {@code ssh -W} to the same target (a whole ssh session's start, its handshake and
   * login included). Wall-clock medians; the processes run one at a time.
   */
  private void start() throws Exception {
    List<Double> version = new ArrayList<>();
    for (int i = 0; i < START_ROUNDS; i++) {
      version.add(firstByteSeconds(List.of(launcher, "--version"), etcEnv, false));
    }
    List<String> connect =
        List.of(
            launcher,
            "connect",
            "--server",
            "127.0.0.1:" + serverPort,
            "--server-key",
            dir.resolve("server.key.pub").toString(),
            "--key",
            dir.resolve("alice.key").toString(),
            echoDirect.getHostString(),
            "" + echoDirect.getPort());
    List<Double> ett = new ArrayList<>();
    for (int i = 0; i < START_ROUNDS; i++) {
      ett.add(firstByteSeconds(connect, ettEnv, true));
    }
    double v = median(version);
    double c = median(ett);
    t17.versionS = v;
    t17.connectS = c;
    rows.add(
        new Row(
            "ett --version, s (median of " + START_ROUNDS + ")",
            "-",
            fmt3(v),
            "",
            v <= 0.3 ? "<= 0.3 s: ok" : "<= 0.3 s: MISSED"));
    String ssh = "-";
    String ratio = "";
    if (sshBase != null) {
      List<String> w = new ArrayList<>(sshBase);
      w.addAll(
          w.size() - 1, List.of("-W", echoDirect.getHostString() + ":" + echoDirect.getPort()));
      List<Double> s = new ArrayList<>();
      for (int i = 0; i < START_ROUNDS; i++) {
        s.add(firstByteSeconds(w, etcEnv, true));
      }
      ssh = fmt3(median(s));
      ratio = String.format(Locale.ROOT, "%.2fx", c / median(s));
    }
    rows.add(
        new Row(
            "first byte of a new ett connect, s (direct: ssh -W)",
            ssh,
            fmt3(c),
            ratio,
            c <= 0.5 ? "<= 0.5 s: ok" : "<= 0.5 s: MISSED"));
  }

  /**
   * Starts {@code cmd}; with {@code echo}, writes one byte to its standard input and times until a
   * byte comes back on its standard output, else until it exits. Then closes its input and waits.
   */
  private double firstByteSeconds(List<String> cmd, Map<String, String> env, boolean echo)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      if (echo) {
        p.getOutputStream().write('x');
        p.getOutputStream().flush();
        if (p.getInputStream().read() != 'x') {
          throw new IllegalStateException(String.join(" ", cmd.subList(0, 2)) + " gave no echo");
        }
        double t = (System.nanoTime() - t0) / 1e9;
        p.getOutputStream().close();
        p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        return t;
      }
      p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed");
      }
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      p.destroyForcibly();
    }
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = new ArrayList<>(xs);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  private static String fmt3(double x) {
    return String.format(Locale.ROOT, "%.3f", x);
  }

  // ---------------------------------------------------------------- fresh processes

  /**
   * An ett server and client started for one figure, forwarding to the run's echo target and bulk
   * source; {@code startedNs} is when the client (the later of the two) was spawned.
   */
  private record Pair(
      Child server, Child client, InetSocketAddress echo, InetSocketAddress source, long startedNs)
      implements AutoCloseable {
    @Override
    public void close() {
      client.close();
      server.close();
    }
  }

  private Pair freshPair(String name, Map<String, String> env, List<String> linkArgs)
      throws Exception {
    return freshPair(name, env, linkArgs, List.of());
  }

  /** As above; {@code clientOnly} goes to the client alone (after {@code linkArgs}). */
  private Pair freshPair(
      String name, Map<String, String> env, List<String> linkArgs, List<String> clientOnly)
      throws Exception {
    String lo = "127.0.0.1";
    int[] p = freePorts(3);
    List<String> sc = new ArrayList<>();
    sc.addAll(
        List.of(
            launcher,
            "server",
            "--listen",
            lo + ":" + p[0],
            "--key",
            dir.resolve("server.key").toString(),
            "--authorized",
            dir.resolve("authorized").toString(),
            "--policy",
            "accept " + lo + ":" + echoDirect.getPort(),
            "--policy",
            "accept " + lo + ":" + sourceDirect.getPort()));
    sc.addAll(linkArgs);
    sc.addAll(o.serverArgs());
    Child s = Child.start(name + "-server", sc, env, dir, "ett server listening on");
    s.countLines(SERVER_LINK_UP);
    try {
      s.awaitReady(60_000);
      List<String> cc = new ArrayList<>();
      cc.addAll(
          List.of(
              launcher,
              "client",
              "--server",
              lo + ":" + p[0],
              "--server-key",
              dir.resolve("server.key.pub").toString(),
              "--key",
              dir.resolve("alice.key").toString(),
              "--suite",
              o.suite(),
              "-L",
              lo + ":" + p[1] + ":" + lo + ":" + echoDirect.getPort(),
              "-L",
              lo + ":" + p[2] + ":" + lo + ":" + sourceDirect.getPort()));
      cc.addAll(linkArgs);
      cc.addAll(clientOnly);
      cc.addAll(o.clientArgs());
      long t0 = System.nanoTime();
      Child c = Child.start(name + "-client", cc, env, dir, "link up to");
      c.awaitReady(60_000);
      return new Pair(s, c, new InetSocketAddress(lo, p[1]), new InetSocketAddress(lo, p[2]), t0);
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  /** The cold figures' bulk is a series of pulls of this many bytes, until the window closes. */
  private static final long COLD_PIECE = 32L << 20;

  /**
   * Issue 17, cold: a fresh server and client each round (as a user who just started them, or an
   * {@code ett connect} per ssh session, meets them), measured from link-up until {@code
   * coldWindowMs} after the client was spawned: new connections/s through -L on one pair, bulk
   * through -L on another (each would warm the other's code). Compared with the warm figures of
   * this run. With {@code --cold-without-aot}, the same rounds without the AOT cache
   * (ETT_NO_AOT=1).
   */
  private void cold() throws Exception {
    double[] r = coldRounds("cold", ettEnv);
    t17.coldConn = r[0];
    t17.coldBulk = r[1];
    t17.coldCpuConn = r[2];
    t17.coldCpuGb = r[3];
    if (o.coldWithoutAot()) {
      Map<String, String> env = new HashMap<>(ettEnv);
      env.put("ETT_NO_AOT", "1");
      r = coldRounds("cold-no-aot", env);
      t17.coldConnNoAot = r[0];
      t17.coldBulkNoAot = r[1];
      t17.coldCpuConnNoAot = r[2];
      t17.coldCpuGbNoAot = r[3];
    }
  }

  /**
   * Returns the medians of the rounds' {connections/s, bulk MB/s, CPU us per connection, CPU s per
   * GB}: the CPU figures (both ends, from /proc) hold steadier than the rates on a busy machine.
   */
  private double[] coldRounds(String label, Map<String, String> env) throws Exception {
    long window = o.coldWindowMs() * 1_000_000L;
    double[] conn = new double[o.repeat()];
    double[] bulk = new double[o.repeat()];
    double[] connCpu = new double[o.repeat()];
    double[] bulkCpu = new double[o.repeat()];
    String[] jitConn = new String[o.repeat()];
    String[] jitBulk = new String[o.repeat()];
    for (int r = 0; r < o.repeat(); r++) {
      try (Pair a = freshPair(label + "-conn-" + r, env, List.of())) {
        long left = (a.startedNs() + window - System.nanoTime()) / 1_000_000L;
        if (left < 1000) {
          // A loaded machine: measure a second anyway, and say so.
          progress(
              "%s: link up %d ms after the start; measuring 1 s from there",
              label, o.coldWindowMs() - left);
          left = 1000;
        }
        long[] pids = {a.server().javaPid(), a.client().javaPid()};
        double cpu0 = Cpu.of(pids[0]).seconds() + Cpu.of(pids[1]).seconds();
        Load.ConnResult c = Load.connections(a.echo(), o.connWorkers(), 0, left);
        jitConn[r] = jitShare(pids);
        conn[r] = c.perSecond();
        connCpu[r] =
            (Cpu.of(pids[0]).seconds() + Cpu.of(pids[1]).seconds() - cpu0)
                * 1e6
                / Math.max(1, c.perSecond() * left / 1000.0);
      }
      try (Pair b = freshPair(label + "-bulk-" + r, env, List.of())) {
        long bytes = 0;
        long ns = 0;
        long[] pids = {b.server().javaPid(), b.client().javaPid()};
        double cpu0 = Cpu.of(pids[0]).seconds() + Cpu.of(pids[1]).seconds();
        do {
          ns += Load.pull(b.source(), COLD_PIECE, 60_000);
          bytes += COLD_PIECE;
        } while (System.nanoTime() - (b.startedNs() + window) < 0);
        jitBulk[r] = jitShare(pids);
        bulk[r] = bytes / (ns / 1e9) / 1e6;
        bulkCpu[r] = (Cpu.of(pids[0]).seconds() + Cpu.of(pids[1]).seconds() - cpu0) / (bytes / 1e9);
      }
      progress(
          "%s #%d (fresh processes, first %d s): %.0f connections/s (CPU per connection, both ends,"
              + " %.0f us), bulk %.0f MB/s (CPU per GB %.2f s)",
          label, r + 1, o.coldWindowMs() / 1000, conn[r], connCpu[r], bulk[r], bulkCpu[r]);
      progress(
          "  %s JIT compiler threads since the start: conn %s; bulk %s",
          label, jitConn[r], jitBulk[r]);
    }
    return new double[] {median(conn), median(bulk), median(connCpu), median(bulkCpu)};
  }

  /**
   * The CPU the JIT compiler threads (HotSpot names them "C1 CompilerThreadN" and "C2
   * CompilerThreadN") of a server and a client spent since they started, against all of theirs:
   * what a cold process pays for compiling while it works.
   */
  private static String jitShare(long[] pids) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pids.length; i++) {
      double c1 = 0;
      double c2 = 0;
      for (Cpu.ThreadCpu t : Cpu.threads(pids[i]).values()) {
        if (t.name().startsWith("C1 Compiler")) {
          c1 += t.times().seconds();
        } else if (t.name().startsWith("C2 Compiler")) {
          c2 += t.times().seconds();
        }
      }
      b.append(i == 0 ? "server " : ", client ")
          .append(
              String.format(
                  Locale.ROOT,
                  "C1 %.2f + C2 %.2f of %.2f CPU-s",
                  c1,
                  c2,
                  Cpu.of(pids[i]).seconds()));
    }
    return b.toString();
  }

  /**
   * Issue 17, footprint: {@code --many-streams} streams held open at once through one ett client
   * and server (a fresh pair whose --max-streams allows them), and through ssh -L; the RSS of the
   * server side of each once it holds still: ett's server process, and every sshd process (the
   * listener and its per-connection children together).
   */
  private void rssMany() throws Exception {
    int n = o.manyStreams();
    List<String> args = List.of("--max-streams=" + (n + 1024));
    try (Pair p = freshPair("many", ettEnv, args)) {
      List<SocketChannel> open = Load.openMany(p.echo(), n, 300_000);
      try {
        long[] kb = settledRss(List.of(p.server().javaPid()), List.of(p.client().javaPid()));
        t17.manyServerMiB = kb[0] / 1024.0;
        rows.add(
            new Row(
                "RSS with " + n + " open streams, fresh pair: server / client (MiB)",
                "-",
                String.format(Locale.ROOT, "%.0f / %.0f", kb[0] / 1024.0, kb[1] / 1024.0),
                "",
                ""));
      } finally {
        Load.closeAll(open);
      }
    }
    for (Other x : others) {
      if (!x.name().equals(SSH) || sshdPid < 0) {
        continue;
      }
      List<SocketChannel> open = Load.openMany(x.echo(), n, 300_000);
      try {
        long sshPid = x.pids().get(1);
        long[] kb = settledRss(List.of(sshdPid), List.of(sshPid));
        t17.manySshdMiB = kb[0] / 1024.0;
        rows.add(
            new Row(
                "  ssh -L with " + n + " open streams: sshd (all) / ssh (MiB)",
                "-",
                String.format(Locale.ROOT, "%.0f / %.0f", kb[0] / 1024.0, kb[1] / 1024.0),
                "",
                "(comparison, not ett)"));
      } finally {
        Load.closeAll(open);
      }
    }
  }

  /**
   * The RSS (KiB) of two groups of processes (each with its descendants), once their sum holds
   * still within 1 MiB for a second (at most 15 s): opening streams makes the JIT compile, and its
   * arenas are handed back a few seconds later.
   */
  private static long[] settledRss(List<Long> a, List<Long> b) throws Exception {
    long[] kb = {0, 0};
    long last = -1;
    for (int i = 0; i < 15; i++) {
      Thread.sleep(1000);
      kb = new long[] {treeRssKb(a), treeRssKb(b)};
      if (last >= 0 && Math.abs(kb[0] + kb[1] - last) <= 1024) {
        break;
      }
      last = kb[0] + kb[1];
    }
    return kb;
  }

  private static long treeRssKb(List<Long> pids) throws IOException {
    Set<Long> all = new java.util.LinkedHashSet<>();
    for (long p : pids) {
      all.add(p);
      ProcessHandle.of(p).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
    }
    long kb = 0;
    for (long p : all) {
      try {
        kb += Mem.of(p).rssKb();
      } catch (IOException e) {
        // gone meanwhile
      }
    }
    return kb;
  }

  /**
   * Raises this process's open-file limit (soft and hard) to {@code need} when it is lower, with
   * util-linux's prlimit; the children spawned afterwards inherit it. Only the benchmark's own
   * processes: the product's defaults are untouched.
   */
  private void raiseFdLimit(long need) throws Exception {
    long soft = -1;
    for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        soft = f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]);
      }
    }
    if (soft >= need) {
      return;
    }
    Process p =
        new ProcessBuilder(
                "prlimit",
                "--pid",
                "" + ProcessHandle.current().pid(),
                "--nofile=" + need + ":" + need)
            .redirectErrorStream(true)
            .start();
    String said =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      out.println(
          "!! could not raise the open-file limit from "
              + soft
              + " to "
              + need
              + " ("
              + said.strip()
              + "): the rss10k figure may fail; lower --many-streams or raise the hard limit");
    } else {
      out.println(
          "open-file limit raised from "
              + soft
              + " to "
              + need
              + " (for the benchmark's processes)");
    }
  }

  // ---------------------------------------------------------------- --links

  /** The server's line for each link it brings up (one per link of a --links N client). */
  private static final String SERVER_LINK_UP = "link up: ";

  /** Issue 17 target 5: the 8-stream bulk figure with two links against one, same run. */
  static final double LINKS_MIN_RATIO = 1.3;

  /**
   * An event loop is counted as doing the work when it used this share of the busiest one's CPU.
   */
  private static final double BUSY_THREAD = 0.3;

  /**
   * Issue 17 target 5 and issue 15 ("show the effect"): {@code --streams} bulk streams through -L
   * of a client started {@code --links 1} and of one started {@code --links 2}, each with a fresh
   * server of the product's defaults (its --threads: one event loop per CPU), both pairs up at once
   * and their rounds interleaved (1-2, 2-1, ...) so that a drift of the machine falls on both.
   * Beside the rates: CPU per GB of both ends, the CPUs each process used (the tunnel's two ends,
   * the bulk source, this load generator, everything else), and each busy thread of server and
   * client from /proc/PID/task: whether two links really ran on two event loops on each side, and,
   * when the machine's CPUs were all busy already with one link, why a second link cannot add
   * throughput here.
   */
  private void links() throws Exception {
    int n = o.streams();
    long timeout = 600_000;
    try (Pair one = freshPair("links1", ettEnv, List.of(), List.of("--links", "1"));
        Pair two = freshPair("links2", ettEnv, List.of(), List.of("--links", "2"))) {
      Pair[] pairs = {one, two};
      for (int k = 0; k < 2; k++) {
        awaitLinks(pairs[k], k + 1, 30_000);
      }
      // Fresh processes: compile the record path before measuring (the cold figure shows how far
      // below the warm rate the first seconds are).
      long warm = Math.min(512L << 20, o.bulkBytesEtt());
      for (int w = 0; w < 2; w++) {
        for (Pair p : pairs) {
          Load.pullParallel(p.source(), n, warm / n, timeout);
        }
      }
      LinkUsage[] use = new LinkUsage[2];
      for (int k = 0; k < 2; k++) {
        use[k] = new LinkUsage(pairs[k]);
      }
      double[][] rate = new double[2][o.repeat()];
      double[] paired = new double[o.repeat()];
      for (int r = 0; r < o.repeat(); r++) {
        for (int i = 0; i < 2; i++) {
          int k = r % 2 == 0 ? i : 1 - i;
          LinkUsage.Snap s0 = use[k].snap();
          rate[k][r] = Load.pullParallel(pairs[k].source(), n, o.bulkBytesEtt() / n, timeout);
          use[k].add(s0, use[k].snap(), o.bulkBytesEtt());
        }
        paired[r] = rate[1][r] / rate[0][r];
        progress(
            "links x%d #%d: --links 1 %.0f MB/s, --links 2 %.0f MB/s (%.2fx)",
            n, r + 1, rate[0][r] / 1e6, rate[1][r] / 1e6, paired[r]);
      }
      double r1 = median(rate[0]) / 1e6;
      double r2 = median(rate[1]) / 1e6;
      t17.links1 = r1;
      t17.links2 = r2;
      for (int k = 0; k < 2; k++) {
        use[k].print("--links " + (k + 1));
      }
      int serverLoops = use[1].loops(LinkUsage.SERVER, "ett-server-");
      int clientLoops = use[1].loops(LinkUsage.CLIENT, "ett-client-");
      progress(
          "--links 2: event loops that did the work: server %d of its %d (--threads, default: one"
              + " per CPU, %d here), client %d of its %d",
          serverLoops,
          use[1].threadsNamed(LinkUsage.SERVER, "ett-server-"),
          Runtime.getRuntime().availableProcessors(),
          clientLoops,
          use[1].threadsNamed(LinkUsage.CLIENT, "ett-client-"));
      if (serverLoops < 2 || clientLoops < 2) {
        progress(
            "!! --links 2 did not run on two event loops on each side: the figure does not show what"
                + " two links can do");
      }
      double cpus = Runtime.getRuntime().availableProcessors();
      double busy1 = use[0].machineCpus();
      double perGb1 = use[0].allPerGb();
      double quietMax = cpus / perGb1 * 1000;
      progress(
          "--links 1: its busiest event loops used %.2f (server) and %.2f (client) of a CPU; the"
              + " machine's %d CPUs were %.0f%% busy (other processes %.2f CPUs, with --links 2"
              + " %.2f)",
          use[0].busiestLoop(LinkUsage.SERVER, "ett-server-"),
          use[0].busiestLoop(LinkUsage.CLIENT, "ett-client-"),
          (int) cpus,
          100 * busy1 / cpus,
          use[0].otherCpus(),
          use[1].otherCpus());
      progress(
          "headroom: server, client, bulk source and load generator spent %.2f s of CPU per GB"
              + " together with --links 1: the machine's %d CPUs, all theirs, move at most %.0f"
              + " MB/s, %.2fx the %.0f MB/s of one link in this run (target %.2fx)%s",
          perGb1,
          (int) cpus,
          quietMax,
          quietMax / r1,
          r1,
          LINKS_MIN_RATIO,
          busy1 >= 0.9 * cpus
              ? ". With one link the machine had no idle CPU: a second event loop had no core to"
                  + " run on, and what --links 2 gains here is CPU taken from the other processes"
                  + " (the scheduler shares a busy machine by thread), not parallelism. The target"
                  + " needs cores left idle by one link"
              : "");
      rows.add(
          new Row(
              "bulk, " + n + " streams, client --links 1 / --links 2 (MB/s)",
              "-",
              fmt(r1) + " / " + fmt(r2),
              fmtRatio(r2 / r1) + " (2/1)",
              ">= "
                  + fmtRatio(LINKS_MIN_RATIO)
                  + (r2 / r1 >= LINKS_MIN_RATIO ? ": ok" : ": MISSED")));
      rows.add(
          new Row(
              "  CPU per GB, both ends, --links 1 / --links 2 (s)",
              "-",
              String.format(Locale.ROOT, "%.2f / %.2f", use[0].tunnelPerGb(), use[1].tunnelPerGb()),
              "",
              ""));
      out.printf(
          Locale.ROOT,
          "  (links: %s through -L per run in %d streams, median of %d; paired ratios %s, median"
              + " %.2fx)%n",
          size(o.bulkBytesEtt()),
          n,
          o.repeat(),
          Arrays.toString(round2(paired)),
          median(paired));
    }
  }

  private static double[] round2(double[] a) {
    double[] b = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Math.round(a[i] * 100) / 100.0;
    }
    return b;
  }

  /** Waits until the pair's server has brought up {@code links} links from its client. */
  private static void awaitLinks(Pair p, int links, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (p.server().linesCounted(SERVER_LINK_UP) < links) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            p.client().name
                + ": "
                + p.server().linesCounted(SERVER_LINK_UP)
                + " of "
                + links
                + " links up after "
                + timeoutMs
                + " ms:\n"
                + p.client().tail());
      }
      Thread.sleep(20);
    }
  }

  /**
   * The CPU one links configuration used over its measured rounds: each process involved (the
   * pair's server and client, the bulk source, this process as load generator), each thread of the
   * server and client by thread id, the whole machine, the wall time and the bytes moved.
   */
  private final class LinkUsage {
    static final int SERVER = 0;
    static final int CLIENT = 1;
    static final int SOURCE = 2;
    static final int LOAD = 3;
    private static final String[] NAMES = {
      "server", "client", "bulk source", "load generator (this process)"
    };

    private final long[] pids;
    private final double[] cpu = new double[4];
    private final List<Map<Long, Cpu.ThreadCpu>> threads =
        List.of(new HashMap<>(), new HashMap<>());
    private double machine;
    private double wall;
    private long bytes;

    LinkUsage(Pair p) {
      pids =
          new long[] {
            p.server().javaPid(),
            p.client().javaPid(),
            source.javaPid(),
            ProcessHandle.current().pid()
          };
    }

    record Snap(
        long ns,
        long busy,
        Cpu.Times[] procs,
        Map<Long, Cpu.ThreadCpu> server,
        Map<Long, Cpu.ThreadCpu> client) {}

    Snap snap() {
      Cpu.Times[] t = new Cpu.Times[pids.length];
      for (int i = 0; i < pids.length; i++) {
        t[i] = Cpu.of(pids[i]);
      }
      return new Snap(
          System.nanoTime(),
          Cpu.machineBusy(),
          t,
          Cpu.threads(pids[SERVER]),
          Cpu.threads(pids[CLIENT]));
    }

    void add(Snap a, Snap b, long moved) {
      wall += (b.ns() - a.ns()) / 1e9;
      machine += (b.busy() - a.busy()) / Cpu.HZ;
      for (int i = 0; i < pids.length; i++) {
        cpu[i] += b.procs()[i].minus(a.procs()[i]).seconds();
      }
      merge(threads.get(SERVER), Cpu.minus(b.server(), a.server()));
      merge(threads.get(CLIENT), Cpu.minus(b.client(), a.client()));
      bytes += moved;
    }

    private static void merge(Map<Long, Cpu.ThreadCpu> into, Map<Long, Cpu.ThreadCpu> d) {
      d.forEach(
          (tid, t) ->
              into.merge(
                  tid, t, (x, y) -> new Cpu.ThreadCpu(y.name(), Bench.add(x.times(), y.times()))));
    }

    double machineCpus() {
      return machine / wall;
    }

    /** CPUs used by processes outside the benchmark's own during the rounds. */
    double otherCpus() {
      double ours = 0;
      for (double c : cpu) {
        ours += c;
      }
      return Math.max(0, machine - ours) / wall;
    }

    /** The CPUs used by the busiest thread of the server or client named {@code prefix}...*. */
    double busiestLoop(int side, String prefix) {
      return threads.get(side).values().stream()
              .filter(t -> t.name().startsWith(prefix))
              .mapToDouble(t -> t.times().seconds())
              .max()
              .orElse(0)
          / wall;
    }

    /** CPU seconds per GB of every process of the benchmark together. */
    double allPerGb() {
      double all = 0;
      for (double c : cpu) {
        all += c;
      }
      return all / (bytes / 1e9);
    }

    double tunnelPerGb() {
      return (cpu[SERVER] + cpu[CLIENT]) / (bytes / 1e9);
    }

    /** Threads of the server or client whose name starts with {@code prefix}. */
    int threadsNamed(int side, String prefix) {
      return (int)
          Cpu.threads(pids[side]).values().stream()
              .filter(t -> t.name().startsWith(prefix))
              .count();
    }

    /**
     * Those threads that did a share of the work: at least {@link #BUSY_THREAD} of what the busiest
     * of them used (a share, not a CPU figure: on a machine busy with other work every thread gets
     * little CPU).
     */
    int loops(int side, String prefix) {
      double most = busiestLoop(side, prefix) * wall;
      return (int)
          threads.get(side).values().stream()
              .filter(
                  t ->
                      t.name().startsWith(prefix)
                          && most > 0
                          && t.times().seconds() >= BUSY_THREAD * most)
              .count();
    }

    void print(String label) {
      double gb = bytes / 1e9;
      progress(
          "%s: CPU per GB %.2f s both ends (server %.2f, client %.2f; bulk source %.2f, load"
              + " generator %.2f)",
          label,
          tunnelPerGb(),
          cpu[SERVER] / gb,
          cpu[CLIENT] / gb,
          cpu[SOURCE] / gb,
          cpu[LOAD] / gb);
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < pids.length; i++) {
        b.append(String.format(Locale.ROOT, "%s %.2f, ", NAMES[i], cpu[i] / wall));
      }
      progress(
          "%s: CPUs used: %sother processes %.2f; the machine %.2f of %d",
          label, b, otherCpus(), machineCpus(), Runtime.getRuntime().availableProcessors());
      for (int side : new int[] {SERVER, CLIENT}) {
        progress("%s: %s threads: %s", label, NAMES[side], busiest(threads.get(side)));
      }
    }

    /** The threads that used at least 0.02 CPUs, busiest first: "name CPUs, ...". */
    private String busiest(Map<Long, Cpu.ThreadCpu> m) {
      List<Cpu.ThreadCpu> ts = new ArrayList<>(m.values());
      ts.sort(
          (x, y) ->
              Long.compare(y.times().user() + y.times().sys(), x.times().user() + x.times().sys()));
      StringBuilder b = new StringBuilder();
      double rest = 0;
      for (Cpu.ThreadCpu t : ts) {
        double c = t.times().seconds() / wall;
        if (c >= 0.02) {
          b.append(String.format(Locale.ROOT, "%s %.2f, ", t.name(), c));
        } else {
          rest += c;
        }
      }
      return b.append(String.format(Locale.ROOT, "the rest %.2f", rest)).toString();
    }
  }

  // ---------------------------------------------------------------- -R (issue 13)

  /**
   * Issue 13: -R within 10 % of -L, bulk and new connections/s alike. The two paths do the same
   * work mirrored (one side accepts, the other connects to the target), so a larger gap is a cost
   * of the reverse path itself.
   */
  static final double REVERSE_MIN_RATIO = 0.90;

  /**
   * The -R figure's medians (NaN when not measured) and the connections it lost: a reverse stream
   * that ends before its data (an open bug, see docs/benchmarks.md) is counted, not fatal.
   */
  static final class Reverse {
    double bulkL = Double.NaN;
    double bulkR = Double.NaN;
    double cpuGbL = Double.NaN;
    double cpuGbR = Double.NaN;
    double connL = Double.NaN;
    double connR = Double.NaN;
    double cpuConnL = Double.NaN;
    double cpuConnR = Double.NaN;
    double bulkSshR = Double.NaN;
    double connSshR = Double.NaN;
    long connEmpty;
    long connBroken;
    long bulkLost;
  }

  private final Reverse rev = new Reverse();

  /** The server's -R ports, forwarded by the client to the echo target and the bulk source. */
  private InetSocketAddress reverseEcho;

  private InetSocketAddress reverseSource;

  /** Why the -R listeners are missing, or null. */
  private String reverseMissing;

  /** ssh -R through the private sshd (--with-ssh), or null. */
  private Other sshReverse;

  /** The ssh -R process, and how many processes sshd had before its session (see reverse()). */
  private Child sshReverseChild;

  private long sshdProcessesBefore;

  private boolean wantReverse() {
    return o.only().contains("reverse");
  }

  /**
   * The listen rules of the authorized file's line for the bench's client: the two server ports the
   * -R figure uses (chosen here), or nothing when the figure does not run.
   */
  private String reverseListenRules(String lo) throws IOException {
    if (!wantReverse()) {
      return "";
    }
    int[] p = freePorts(2);
    reverseEcho = new InetSocketAddress(lo, p[0]);
    reverseSource = new InetSocketAddress(lo, p[1]);
    return " listen " + lo + ":" + p[0] + ", listen " + lo + ":" + p[1];
  }

  /** The client's -R options: the server's two ports to the echo target and the bulk source. */
  private List<String> reverseClientArgs(String lo, int echoPort, int sourcePort) {
    if (reverseEcho == null) {
      return List.of();
    }
    return List.of(
        "-R",
        lo + ":" + reverseEcho.getPort() + ":" + lo + ":" + echoPort,
        "-R",
        lo + ":" + reverseSource.getPort() + ":" + lo + ":" + sourcePort);
  }

  /**
   * Waits until the server listens on both -R ports (the client asks once the link is up). A
   * refusal leaves the other figures running: the -R figure then fails, saying why.
   */
  private void awaitReverse() throws Exception {
    if (reverseEcho == null) {
      return;
    }
    for (InetSocketAddress a : List.of(reverseEcho, reverseSource)) {
      if (!awaitAccepting(a, 30_000, client)) {
        reverseMissing =
            "the server does not listen on "
                + a
                + " for -R:\n"
                + client.tail()
                + "\n"
                + server.tail();
        out.println("!! " + reverseMissing);
        reverseEcho = null;
        reverseSource = null;
        return;
      }
    }
  }

  /**
   * {@code ssh -N -R} through the private sshd of --with-ssh: the same two targets published on two
   * of sshd's ports.
   */
  private void setUpSshReverse(String lo, int echoPort, int sourcePort) throws Exception {
    if (!wantReverse() || sshBase == null) {
      return;
    }
    int[] p = freePorts(2);
    sshdProcessesBefore = sshdProcesses();
    List<String> cmd = new ArrayList<>(sshBase.subList(0, sshBase.size() - 1));
    cmd.addAll(
        List.of(
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-R",
            lo + ":" + p[0] + ":" + lo + ":" + echoPort,
            "-R",
            lo + ":" + p[1] + ":" + lo + ":" + sourcePort));
    cmd.add(sshBase.get(sshBase.size() - 1));
    Child c = Child.start("ssh-R", cmd, etcEnv, dir, null);
    sshReverseChild = c;
    InetSocketAddress echo = new InetSocketAddress(lo, p[0]);
    if (!awaitAccepting(echo, 30_000, c)
        || !awaitAccepting(new InetSocketAddress(lo, p[1]), 30_000, c)) {
      throw new IllegalStateException("ssh -R did not come up:\n" + c.tail());
    }
    List<Long> pids = List.of(sshdPid, c.process.pid());
    ourPids.add(c.process.pid());
    out.println("ssh: " + String.join(" ", cmd));
    Load.pingPong(echo, 0, 200, 30_000);
    Load.pull(new InetSocketAddress(lo, p[1]), 8 << 20, 30_000);
    sshReverse = new Other("ssh -R", echo, new InetSocketAddress(lo, p[1]), pids);
  }

  /** One path the -R figure measures: ett's (CPU per side) or another tool's (CPU of pids). */
  private record Way(
      String name,
      InetSocketAddress echo,
      InetSocketAddress source,
      List<Long> pids,
      boolean ett) {}

  /**
   * Bulk (one stream) and new connections/s through -R beside -L, in the same run on the same
   * processes, and with --with-ssh also ssh -R beside ssh -L. Rounds interleave the paths, their
   * order swapped every round, so that a drift of the machine falls on all; medians of the rounds.
   */
  private void reverse() throws Exception {
    try {
      measureReverse();
    } finally {
      endSshReverse();
    }
  }

  /**
   * Ends the ssh -R session once its figure is done: the rss10k figure counts every sshd process as
   * ssh -L's server side, and this session's processes are not part of it.
   */
  private void endSshReverse() throws InterruptedException {
    if (sshReverseChild == null) {
      return;
    }
    sshReverseChild.close();
    sshReverseChild = null;
    sshReverse = null;
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (sshdProcesses() > sshdProcessesBefore && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  private long sshdProcesses() {
    return ProcessHandle.of(sshdPid).map(h -> h.descendants().count()).orElse(0L);
  }

  private void measureReverse() throws Exception {
    if (reverseEcho == null) {
      throw new IllegalStateException(
          reverseMissing != null ? reverseMissing : "no -R listeners were set up");
    }
    long timeout = 600_000;
    List<Long> ett = List.of(server.javaPid(), client.javaPid());
    List<Way> ettWays =
        List.of(
            new Way("-L", echoTunnel, sourceTunnel, ett, true),
            new Way("-R", reverseEcho, reverseSource, ett, true));
    List<Way> sshWays = new ArrayList<>();
    for (Other x : others) {
      if (x.name().equals(SSH)) {
        sshWays.add(new Way(SSH, x.echo(), x.source(), x.pids(), false));
      }
    }
    if (sshReverse != null) {
      sshWays.add(
          new Way(
              sshReverse.name(), sshReverse.echo(), sshReverse.source(), sshReverse.pids(), false));
    }
    // The reverse path runs its own code (the server's listener, ROPEN, the client's exit): give it
    // the JIT warm-up setUp gave -D (-L had its own there).
    Load.Failures lost = new Load.Failures();
    pullCounting(reverseSource, Math.min(256L << 20, o.bulkBytesEtt()), timeout);
    Load.connections(reverseEcho, null, new byte[0], o.connWorkers(), 0, o.jitWarmupMs() / 2, lost);
    if (lost.total() > 0) {
      progress(
          "-R warm-up: %d connection(s) ended empty, %d broken",
          lost.empty.sum(), lost.broken.sum());
    }
    int rounds = o.repeat();
    int n = ettWays.size() + sshWays.size();
    double[][] bulk = new double[n][rounds];
    double[][] cpuGb = new double[n][rounds];
    double[][] conn = new double[n][rounds];
    double[][] cpuConn = new double[n][rounds];
    double[][] p50 = new double[n][rounds];
    Cpu.Times[][] sides = new Cpu.Times[n][2]; // server, client: ett's ways, summed over rounds
    double[] gb = new double[n];
    double[] made = new double[n];
    Load.Failures[] failures = new Load.Failures[n];
    for (int i = 0; i < n; i++) {
      sides[i] = new Cpu.Times[] {new Cpu.Times(0, 0), new Cpu.Times(0, 0)};
      failures[i] = new Load.Failures();
    }
    List<Way> all = new ArrayList<>(ettWays);
    all.addAll(sshWays);
    for (int r = 0; r < rounds; r++) {
      for (int i : roundOrder(r, ettWays.size(), sshWays.size())) {
        Way w = all.get(i);
        Cpu.Times[] c0 = cpuOf(w);
        bulk[i][r] = o.bulkBytesEtt() / (pullCounting(w.source(), o.bulkBytesEtt(), timeout) / 1e9);
        Cpu.Times[] dc = since(w, c0);
        cpuGb[i][r] = total(dc) / (o.bulkBytesEtt() / 1e9);
        gb[i] += o.bulkBytesEtt() / 1e9;
        sides[i] = addSides(sides[i], dc);
      }
      progress("reverse bulk #%d: %s", r + 1, roundLine(all, bulk, cpuGb, r, "MB/s", 1e-6, "s/GB"));
    }
    Cpu.Times[][] connSides = new Cpu.Times[n][];
    for (int i = 0; i < n; i++) {
      connSides[i] = new Cpu.Times[] {new Cpu.Times(0, 0), new Cpu.Times(0, 0)};
    }
    for (int r = 0; r < rounds; r++) {
      for (int i : roundOrder(r, ettWays.size(), sshWays.size())) {
        Way w = all.get(i);
        Cpu.Times[] c0 = cpuOf(w);
        Load.ConnResult x =
            Load.connections(
                w.echo(),
                null,
                new byte[0],
                o.connWorkers(),
                o.connWarmupMs(),
                o.connMs(),
                failures[i]);
        Cpu.Times[] dc = since(w, c0);
        conn[i][r] = x.perSecond();
        long[] l = x.latenciesNs().clone();
        Arrays.sort(l);
        p50[i][r] = pct(l, 50);
        cpuConn[i][r] = total(dc) * 1e6 / Math.max(1, made(x));
        made[i] += made(x);
        connSides[i] = addSides(connSides[i], dc);
      }
      progress("reverse conn #%d: %s", r + 1, roundLine(all, conn, cpuConn, r, "/s", 1, "us"));
      StringBuilder lat = new StringBuilder();
      for (int i = 0; i < n; i++) {
        lat.append(i == 0 ? "" : ", ").append(all.get(i).name()).append(' ').append(fmt(p50[i][r]));
      }
      progress("reverse conn #%d: connection latency p50 (us): %s", r + 1, lat);
    }
    for (int i = 0; i < ettWays.size(); i++) {
      progress(
          "ett %s: CPU per GB server %s, client %s; CPU per connection server %s, client %s",
          all.get(i).name(),
          sides[i][0].per(gb[i], 1, "%.2f s"),
          sides[i][1].per(gb[i], 1, "%.2f s"),
          connSides[i][0].per(made[i], 1e6, "%.0f us"),
          connSides[i][1].per(made[i], 1e6, "%.0f us"));
    }
    rev.bulkL = median(bulk[0]) / 1e6;
    rev.bulkR = median(bulk[1]) / 1e6;
    rev.cpuGbL = median(cpuGb[0]);
    rev.cpuGbR = median(cpuGb[1]);
    rev.connL = median(conn[0]);
    rev.connR = median(conn[1]);
    rev.cpuConnL = median(cpuConn[0]);
    rev.cpuConnR = median(cpuConn[1]);
    rev.connEmpty = failures[1].empty.sum() + lost.empty.sum();
    rev.connBroken = failures[1].broken.sum() + lost.broken.sum();
    reverseRow("bulk, 1 stream (MB/s), -L / -R", rev.bulkL, rev.bulkR, true);
    reverseRow("  CPU per GB, both ends (s), -L / -R", rev.cpuGbL, rev.cpuGbR, false);
    reverseRow("new connections/s, 100 B req/resp, -L / -R", rev.connL, rev.connR, true);
    reverseRow("  CPU per connection, both ends (us), -L / -R", rev.cpuConnL, rev.cpuConnR, false);
    for (int i = ettWays.size(); i < n; i++) {
      String name = all.get(i).name();
      if (name.equals("ssh -R")) {
        rev.bulkSshR = median(bulk[i]) / 1e6;
        rev.connSshR = median(conn[i]);
      }
      rows.add(
          new Row(
              "  " + name + " (comparison, not ett): MB/s, s/GB; conn/s, us/conn",
              "-",
              String.format(
                  Locale.ROOT,
                  "%s, %.2f; %s, %s",
                  fmt(median(bulk[i]) / 1e6),
                  median(cpuGb[i]),
                  fmt(median(conn[i])),
                  fmt(median(cpuConn[i]))),
              "",
              ""));
    }
    long otherLost = 0;
    for (int i = 0; i < n; i++) {
      if (i != 1) {
        otherLost += failures[i].total();
      }
    }
    rows.add(
        new Row(
            "  -R connections lost: ended empty / broken; bulk pulls retried",
            "-",
            rev.connEmpty + " / " + rev.connBroken + "; " + rev.bulkLost,
            "",
            rev.connEmpty + rev.connBroken + rev.bulkLost > 0
                ? "LOST (see docs/benchmarks.md)"
                : ""));
    if (otherLost > 0) {
      rows.add(
          new Row("  !! connections lost on the other paths", "-", "" + otherLost, "", "LOST"));
    }
    out.printf(
        Locale.ROOT,
        "  (reverse: %d rounds, each path %s per pull and %d ms of connections; -R lost %d empty,"
            + " %d broken connections, %d bulk pulls retried)%n",
        rounds,
        size(o.bulkBytesEtt()),
        o.connMs(),
        rev.connEmpty,
        rev.connBroken,
        rev.bulkLost);
  }

  /**
   * The order of the paths in round {@code r}: ett's two (-L, -R) then the other tools' two, each
   * pair reversed every other round.
   */
  static int[] roundOrder(int r, int ettWays, int otherWays) {
    int[] order = new int[ettWays + otherWays];
    for (int i = 0; i < ettWays; i++) {
      order[i] = r % 2 == 0 ? i : ettWays - 1 - i;
    }
    for (int i = 0; i < otherWays; i++) {
      order[ettWays + i] = ettWays + (r % 2 == 0 ? i : otherWays - 1 - i);
    }
    return order;
  }

  private String roundLine(
      List<Way> all,
      double[][] rate,
      double[][] cpu,
      int r,
      String unit,
      double scale,
      String cpuUnit) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < all.size(); i++) {
      if (i > 0) {
        s.append(", ");
      }
      s.append(all.get(i).name())
          .append(' ')
          .append(fmt(rate[i][r] * scale))
          .append(' ')
          .append(unit)
          .append(String.format(Locale.ROOT, " (%.2f %s)", cpu[i][r], cpuUnit));
    }
    if (!Double.isNaN(rate[0][r]) && rate[0][r] > 0) {
      s.append(String.format(Locale.ROOT, "; -R/-L %.2fx", rate[1][r] / rate[0][r]));
    }
    return s.toString();
  }

  /** CPU so far: ett's server and client apart, another tool's processes as one. */
  private Cpu.Times[] cpuOf(Way w) {
    return w.ett()
        ? new Cpu.Times[] {Cpu.of(w.pids().get(0)), Cpu.of(w.pids().get(1))}
        : new Cpu.Times[] {Cpu.sum(w.pids()), new Cpu.Times(0, 0)};
  }

  private Cpu.Times[] since(Way w, Cpu.Times[] before) {
    Cpu.Times[] now = cpuOf(w);
    return new Cpu.Times[] {now[0].minus(before[0]), now[1].minus(before[1])};
  }

  private static double total(Cpu.Times[] t) {
    return t[0].seconds() + t[1].seconds();
  }

  private static Cpu.Times[] addSides(Cpu.Times[] a, Cpu.Times[] b) {
    return new Cpu.Times[] {add(a[0], b[0]), add(a[1], b[1])};
  }

  /**
   * A pull that may lose its stream: a pull that ends early or is reset (the open -R bug) is
   * counted and tried again, up to 3 times; wrong bytes still fail the figure.
   */
  private long pullCounting(InetSocketAddress a, long bytes, long timeout) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return Load.pull(a, bytes, timeout);
      } catch (IOException e) {
        if (attempt == 3 || String.valueOf(e.getMessage()).contains("CORRUPT")) {
          throw e;
        }
        if (a.equals(reverseSource)) {
          rev.bulkLost++;
        }
        progress("bulk pull from %s lost (%s), tried again", a, e.getMessage());
      }
    }
  }

  private void reverseRow(String name, double l, double r, boolean judged) {
    double ratio = r / l;
    rows.add(
        new Row(
            name,
            "-",
            fmt(l) + " / " + fmt(r),
            String.format(Locale.ROOT, "%.2fx (-R/-L)", ratio),
            judged
                ? String.format(
                    Locale.ROOT,
                    ">= %.2fx: %s",
                    REVERSE_MIN_RATIO,
                    ratio >= REVERSE_MIN_RATIO ? "ok" : "MISSED")
                : ""));
  }

  /**
   * Issue 13's rows of the targets table: -R against -L from the same run, bulk and new
   * connections/s, each at least {@link #REVERSE_MIN_RATIO}; CPU and ssh -R for comparison.
   */
  static List<Target> reverseTargets(Reverse f) {
    String how = " (--only reverse)";
    List<Target> t = new ArrayList<>();
    t.add(
        withRef(
            ratioTarget(
                "-R (issue 13): bulk 1 stream, MB/s",
                f.bulkR,
                f.bulkL,
                REVERSE_MIN_RATIO,
                false,
                how),
            "-L"));
    t.add(
        withRef(
            ratioTarget(
                "-R (issue 13): new connections/s",
                f.connR,
                f.connL,
                REVERSE_MIN_RATIO,
                false,
                how),
            "-L"));
    if (!Double.isNaN(f.cpuGbR)) {
      t.add(comparison("  -R CPU per GB, both ends, s", f.cpuGbR, f.cpuGbL, "-L"));
      t.add(comparison("  -R CPU per connection, both ends, us", f.cpuConnR, f.cpuConnL, "-L"));
    }
    if (!Double.isNaN(f.bulkSshR)) {
      t.add(comparison("  -R bulk against ssh -R, MB/s", f.bulkR, f.bulkSshR, "ssh -R"));
      t.add(comparison("  -R new connections/s against ssh -R", f.connR, f.connSshR, "ssh -R"));
    }
    return t;
  }

  private static Target comparison(String name, double ett, double ref, String refName) {
    Target r = ratioTarget(name, ett, ref, 0, true, "");
    return new Target(name, r.ett(), r.ssh() + " " + refName, r.ratio(), "", "(for comparison)");
  }

  // ---------------------------------------------------------------- issue 17 targets

  record Target(String name, String ett, String ssh, String ratio, String goal, String verdict) {}

  private static final String NOT_MEASURED = "n/a";

  /** A ratio target: {@code ett / ref} at most (or at least) {@code bound}. */
  static Target ratioTarget(
      String name, double ett, double ref, double bound, boolean atMost, String missing) {
    String goal = (atMost ? "<= " : ">= ") + fmtRatio(bound);
    if (Double.isNaN(ett) || Double.isNaN(ref)) {
      return new Target(name, fmtOrNa(ett), fmtOrNa(ref), "", goal, NOT_MEASURED + missing);
    }
    double r = ett / ref;
    boolean pass = atMost ? r <= bound : r >= bound;
    return new Target(name, fmt(ett), fmt(ref), fmtRatio(r), goal, pass ? "PASS" : "MISS");
  }

  static Target limitTarget(String name, double ett, double max, String unit, String missing) {
    String goal = "<= " + fmt(max) + " " + unit;
    if (Double.isNaN(ett)) {
      return new Target(name, NOT_MEASURED, "", "", goal, NOT_MEASURED + missing);
    }
    return new Target(name, fmt3or(ett), "", "", goal, ett <= max ? "PASS" : "MISS");
  }

  private static String fmtRatio(double r) {
    return String.format(Locale.ROOT, "%.2fx", r);
  }

  private static String fmtOrNa(double v) {
    return Double.isNaN(v) ? NOT_MEASURED : fmt(v);
  }

  private static String fmt3or(double v) {
    return v < 10 ? fmt3(v) : fmt(v);
  }

  /**
   * The targets of issue 17, each with its figure, the reference it is judged against (ssh -L in
   * the same run, or ett's own warm figure for the cold ones) and PASS/MISS; "n/a" says which
   * option or figure would measure it.
   */
  List<Target> targets() {
    String bulk = " (--with-ssh, figure bulk)";
    String conn = " (--with-ssh, figure conn)";
    String ping = " (--with-ssh, figure ping)";
    Figures f = t17;
    List<Target> t = new ArrayList<>();
    t.add(ratioTarget("warm: bulk 1 stream, MB/s", f.bulkEtt, f.bulkSsh, 1.15, false, bulk));
    t.add(ratioTarget("warm: CPU per GB, both ends, s", f.cpuGbEtt, f.cpuGbSsh, 0.85, true, bulk));
    t.add(ratioTarget("warm: new connections/s (-L)", f.connEtt, f.connSsh, 1.15, false, conn));
    t.add(
        ratioTarget(
            "warm: CPU per connection, both ends, us",
            f.cpuConnEtt,
            f.cpuConnSsh,
            0.85,
            true,
            conn));
    t.add(ratioTarget("warm: ping-pong 64 B p50, us", f.pingEtt, f.pingSsh, 0.9, true, ping));
    String window = "first " + o.coldWindowMs() / 1000 + " s";
    String cold = " (--only cold with conn and bulk)";
    Target cc =
        ratioTarget("cold: new connections/s, " + window, f.coldConn, f.connEtt, 0.8, false, cold);
    Target cb =
        ratioTarget("cold: bulk 1 stream MB/s, " + window, f.coldBulk, f.bulkEtt, 0.8, false, cold);
    t.add(withRef(cc, "warm ett"));
    t.add(withRef(cb, "warm ett"));
    if (!Double.isNaN(f.coldCpuConn)) {
      t.add(
          info(
              ratioTarget(
                  "  cold CPU per connection, both ends, us",
                  f.coldCpuConn,
                  f.cpuConnEtt,
                  0,
                  true,
                  cold)));
      t.add(
          info(
              ratioTarget(
                  "  cold CPU per GB, both ends, s", f.coldCpuGb, f.cpuGbEtt, 0, true, cold)));
    }
    if (!Double.isNaN(f.coldConnNoAot)) {
      t.add(
          info(
              ratioTarget(
                  "  cold connections/s without the AOT cache",
                  f.coldConnNoAot,
                  f.connEtt,
                  0.8,
                  false,
                  cold)));
      t.add(
          info(
              ratioTarget(
                  "  cold bulk MB/s without the AOT cache",
                  f.coldBulkNoAot,
                  f.bulkEtt,
                  0.8,
                  false,
                  cold)));
      t.add(
          info(
              ratioTarget(
                  "  cold CPU per connection without the AOT cache, us",
                  f.coldCpuConnNoAot,
                  f.cpuConnEtt,
                  0,
                  true,
                  cold)));
      t.add(
          info(
              ratioTarget(
                  "  cold CPU per GB without the AOT cache, s",
                  f.coldCpuGbNoAot,
                  f.cpuGbEtt,
                  0,
                  true,
                  cold)));
    }
    t.add(limitTarget("start-up: ett --version, s", f.versionS, 0.3, "s", " (--only start)"));
    t.add(
        limitTarget(
            "start-up: ett connect first byte, s", f.connectS, 0.5, "s", " (--only start)"));
    double sIdle = idleServer == null ? Double.NaN : idleServer.rssKb() / 1024.0;
    double cIdle = idleClient == null ? Double.NaN : idleClient.rssKb() / 1024.0;
    t.add(limitTarget("footprint: idle RSS, server, MiB", sIdle, 48, "MiB", ""));
    t.add(limitTarget("footprint: idle RSS, client, MiB", cIdle, 48, "MiB", ""));
    t.add(linksTarget(o.streams(), f.links2, f.links1));
    t.add(
        ratioTarget(
            "footprint: server RSS at " + o.manyStreams() + " streams, MiB",
            f.manyServerMiB,
            f.manySshdMiB,
            0.7,
            true,
            " (--only rss10k --with-ssh)"));
    t.addAll(reverseTargets(rev));
    return t;
  }

  /** Issue 17 target 5: the N-stream bulk figure with --links 2 against --links 1, same run. */
  static Target linksTarget(int streams, double twoLinks, double oneLink) {
    return withRef(
        ratioTarget(
            "more cores: bulk " + streams + " streams, --links 2, MB/s",
            twoLinks,
            oneLink,
            LINKS_MIN_RATIO,
            false,
            " (--only links)"),
        "--links 1");
  }

  private static Target withRef(Target t, String ref) {
    return new Target(
        t.name(),
        t.ett(),
        t.ssh().isEmpty() ? "" : t.ssh() + " " + ref,
        t.ratio(),
        t.goal(),
        t.verdict());
  }

  /** A row that explains, not judged. */
  private static Target info(Target t) {
    return new Target(t.name(), t.ett(), t.ssh() + " warm ett", t.ratio(), "", "(for comparison)");
  }

  private void printTargets() {
    List<Target> ts = targets();
    String[] head = {"issue 17 target", "ett", "ssh -L / reference", "ratio", "goal", "verdict"};
    int[] w = new int[head.length];
    for (int i = 0; i < head.length; i++) {
      w[i] = head[i].length();
    }
    for (Target t : ts) {
      String[] c = {t.name(), t.ett(), t.ssh(), t.ratio(), t.goal(), t.verdict()};
      for (int i = 0; i < c.length; i++) {
        w[i] = Math.max(w[i], c[i].length());
      }
    }
    String f =
        "%-"
            + w[0]
            + "s | %"
            + w[1]
            + "s | %"
            + w[2]
            + "s | %"
            + w[3]
            + "s | %-"
            + w[4]
            + "s | %s%n";
    out.println(
        "issue 17 targets: ett against ssh -L ("
            + o.sshCipher()
            + ") measured in this run, medians of "
            + o.repeat()
            + " round(s)");
    out.printf(f, (Object[]) head);
    out.println("-".repeat(Arrays.stream(w).sum() + 15));
    for (Target t : ts) {
      out.printf(f, t.name(), t.ett(), t.ssh(), t.ratio(), t.goal(), t.verdict());
    }
    long pass = ts.stream().filter(t -> t.verdict().equals("PASS")).count();
    long miss = ts.stream().filter(t -> t.verdict().equals("MISS")).count();
    out.printf(
        Locale.ROOT,
        "targets: %d PASS, %d MISS, %d not measured in this run%n",
        pass,
        miss,
        ts.stream().filter(t -> t.verdict().startsWith(NOT_MEASURED)).count());
  }

  // ---------------------------------------------------------------- table

  private static final class Row {
    final String figure;
    final String direct;
    final String ett;
    final String ratio;
    String check;

    Row(String figure, String direct, String ett, String ratio, String check) {
      this.figure = figure;
      this.direct = direct;
      this.ett = ett;
      this.ratio = ratio;
      this.check = check;
    }
  }

  private void rateRow(String name, double direct, double ett, String target, double min) {
    double ratio = ett / direct;
    String check = min < 0 ? "" : target + (ratio >= min ? ": ok" : ": MISSED");
    rows.add(
        new Row(name, fmt(direct), fmt(ett), String.format(Locale.ROOT, "%.2fx", ratio), check));
  }

  private void timeRow(String name, double directUs, double ettUs, String target, double maxUs) {
    String check = maxUs < 0 ? "" : target + (ettUs <= maxUs ? ": ok" : ": MISSED");
    rows.add(
        new Row(
            name,
            fmt(directUs),
            fmt(ettUs),
            String.format(Locale.ROOT, "%.2fx", ettUs / directUs),
            check));
  }

  private void rssRows(String name, Mem s, Mem c) {
    rows.add(
        new Row(
            name + ": server / client / sum (MiB)",
            "-",
            String.format(
                Locale.ROOT,
                "%.0f / %.0f / %.0f",
                s.rssKb() / 1024.0,
                c.rssKb() / 1024.0,
                (s.rssKb() + c.rssKb()) / 1024.0),
            "",
            ""));
  }

  private void printTable() {
    int w0 = "figure".length();
    int w1 = "direct".length();
    int w2 = "ett".length();
    int w3 = "ratio(ett/direct)".length();
    for (Row r : rows) {
      w0 = Math.max(w0, r.figure.length());
      w1 = Math.max(w1, r.direct.length());
      w2 = Math.max(w2, r.ett.length());
      w3 = Math.max(w3, r.ratio.length());
    }
    String f = "%-" + w0 + "s | %" + w1 + "s | %" + w2 + "s | %" + w3 + "s | %s%n";
    out.println();
    out.printf(f, "figure", "direct", "ett", "ratio(ett/direct)", "target");
    out.println("-".repeat(w0 + w1 + w2 + w3 + 30));
    for (Row r : rows) {
      out.printf(f, r.figure, r.direct, r.ett, r.ratio, r.check == null ? "" : r.check);
    }
    if (!noisy.isEmpty()) {
      out.println(
          "\nNOTE: other processes used CPU during: "
              + String.join(", ", noisy)
              + " -- figures are noisy");
    }
    out.println(failed ? "\nRESULT: some figures FAILED (see above)" : "");
  }

  // ---------------------------------------------------------------- helpers

  private void progress(String fmt, Object... args) {
    out.printf(Locale.ROOT, "  " + fmt + "%n", args);
  }

  private static String fmt(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String list(double[] a, double[] b) {
    StringBuilder s = new StringBuilder("[");
    for (double v : a) {
      s.append(String.format(Locale.ROOT, "%.0f ", v / 1e6));
    }
    s.setLength(s.length() - 1);
    s.append("] x").append(b.length).append(" [");
    for (double v : b) {
      s.append(String.format(Locale.ROOT, "%.0f ", v / 1e6));
    }
    s.setLength(s.length() - 1);
    return s.append("]").toString();
  }

  static String size(long bytes) {
    if (bytes % (1L << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    if (bytes % (1L << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    return bytes + " B";
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** Percentile of sorted nanoseconds, in microseconds (nearest rank). */
  static double pct(long[] sortedNs, double p) {
    if (sortedNs.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sortedNs.length) - 1;
    return sortedNs[Math.max(0, Math.min(sortedNs.length - 1, i))] / 1000.0;
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(x -> x.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }

  /**
   * A process's memory, in KiB: VmRSS and VmHWM, RSS split into anonymous (heap, stacks, malloc,
   * direct buffers) and file-backed pages (libjvm, the CDS archive, jars), and PSS (each shared
   * page divided among the processes that map it, from smaps_rollup; -1 where unreadable).
   */
  record Mem(long rssKb, long hwmKb, long anonKb, long fileKb, long pssKb) {
    static Mem of(long pid) throws IOException {
      long rss = -1;
      long hwm = -1;
      long anon = -1;
      long file = -1;
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = kb(line);
        } else if (line.startsWith("VmHWM:")) {
          hwm = kb(line);
        } else if (line.startsWith("RssAnon:")) {
          anon = kb(line);
        } else if (line.startsWith("RssFile:")) {
          file = kb(line);
        }
      }
      long pss = -1;
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
          if (line.startsWith("Pss:")) {
            pss = kb(line);
          }
        }
      } catch (IOException e) {
        // older kernels: no rollup
      }
      return new Mem(rss, hwm, anon, file, pss);
    }

    private static long kb(String line) {
      return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
  }
}
