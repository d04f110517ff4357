package dev.ett.e2e;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces, A and B, joined by a veth pair (the "link", where a test puts its
 * faults), and a second veth pair from the root namespace, where the test JVM runs, to A, so the
 * test can connect to listeners in A. Addresses: the link is {@value #A_ADDR}/30 (A) and {@value
 * #B_ADDR}/30 (B); the front pair gets a random 10.252.x.y/30 that the root namespace does not use
 * yet. Nothing is routed beyond these two /30s. Names carry a random suffix, so runs never share
 * anything; {@link #close} kills the processes started in them and deletes both namespaces (which
 * destroys the veth pairs), also from a shutdown hook if the test never gets to it. A run killed
 * with SIGKILL leaves {@code ett-a-*} / {@code ett-b-*} behind: {@code ip netns del NAME}.
 *
 * <p>Needs root and iproute2's {@code ip}; {@link #unavailable} says why a machine cannot, and
 * {@link #create} throws {@link Unavailable} when the kernel refuses a namespace (an unprivileged
 * container).
 */
final class Netns implements AutoCloseable {
  static final String A_ADDR = "10.251.0.1", B_ADDR = "10.251.0.2";

  /** The machine cannot make namespaces: the message says why. */
  static final class Unavailable extends Exception {
    Unavailable(String why) {
      super(why);
    }
  }

  final String a, b; // namespace names
  final String linkA, linkB; // the veth pair between A and B
  final String frontRoot, frontA; // the veth pair between the root namespace and A
  final String rootAddr, frontAddr; // their addresses (root side, A side)
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private final Thread hook = new Thread(this::cleanUp, "netns-cleanup");
  private boolean closed;

  private Netns(String id, String rootAddr, String frontAddr) {
    a = "ett-a-" + id;
    b = "ett-b-" + id;
    linkA = "ett" + id + "a";
    linkB = "ett" + id + "b";
    frontRoot = "ett" + id + "r";
    frontA = "ett" + id + "f";
    this.rootAddr = rootAddr;
    this.frontAddr = frontAddr;
  }

  /** Why this machine cannot run namespace tests (not root, no {@code ip}), or null if it may. */
  static String unavailable() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        return "not root (uid " + uid + "): network namespaces need root";
      }
    } catch (IOException | UnsupportedOperationException e) {
      return "cannot tell the uid (" + e + "): not Linux?";
    }
    if (tool("ip") == null) {
      return "iproute2's ip is not installed";
    }
    return null;
  }

  /** The namespaces a test class made, or why it could not: exactly one of the two is null. */
  record Attempt(Netns net, String skipped) {}

  /**
   * Makes the namespaces for {@code testClass}, or says (on stdout, and in {@link Attempt#skipped})
   * why this machine cannot. Tests skip one by one with that reason rather than in @BeforeAll:
   * surefire would report an aborted @BeforeAll as no tests at all, without the reason.
   */
  static Attempt attempt(String testClass) throws Exception {
    String why = unavailable();
    if (why == null) {
      try {
        return new Attempt(create(), null);
      } catch (Unavailable e) {
        why = e.getMessage();
      }
    }
    String skipped = "network namespace tests skipped: " + why;
    System.out.println(testClass + ": " + skipped);
    return new Attempt(null, skipped);
  }

  /** The path of a tool on PATH or in /usr/sbin, /sbin; null if missing. */
  static String tool(String name) {
    List<String> dirs =
        new ArrayList<>(
            List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    for (String d : dirs) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return Path.of(d, name).toString();
      }
    }
    return null;
  }

  static Netns create() throws Exception {
    String id =
        HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(1 << 24)).substring(2);
    String used =
        run(List.of(tool("ip"), "-4", "-o", "addr", "show"))
            + run(List.of(tool("ip"), "-4", "route", "show"));
    String prefix;
    do {
      prefix = "10.252." + ThreadLocalRandom.current().nextInt(256) + ".";
    } while (used.contains(prefix));
    int base = 4 * ThreadLocalRandom.current().nextInt(64);
    Netns n = new Netns(id, prefix + (base + 1), prefix + (base + 2));
    try {
      n.ip("netns", "add", n.a);
    } catch (IOException e) {
      throw new Unavailable("ip netns add failed: " + e.getMessage());
    }
    Runtime.getRuntime().addShutdownHook(n.hook);
    try {
      n.ip("netns", "add", n.b);
      n.ip("link", "add", n.linkA, "type", "veth", "peer", "name", n.linkB);
      n.ip("link", "set", n.linkA, "netns", n.a);
      n.ip("link", "set", n.linkB, "netns", n.b);
      n.ip("link", "add", n.frontRoot, "type", "veth", "peer", "name", n.frontA);
      n.ip("link", "set", n.frontA, "netns", n.a);
      n.ip("-n", n.a, "addr", "add", A_ADDR + "/30", "dev", n.linkA);
      n.ip("-n", n.b, "addr", "add", B_ADDR + "/30", "dev", n.linkB);
      n.ip("-n", n.a, "addr", "add", n.frontAddr + "/30", "dev", n.frontA);
      n.ip("addr", "add", n.rootAddr + "/30", "dev", n.frontRoot);
      for (String ns : List.of(n.a, n.b)) {
        n.ip("-n", ns, "link", "set", "lo", "up");
      }
      n.ip("-n", n.a, "link", "set", n.linkA, "up");
      n.ip("-n", n.b, "link", "set", n.linkB, "up");
      n.ip("-n", n.a, "link", "set", n.frontA, "up");
      n.ip("link", "set", n.frontRoot, "up");
    } catch (Exception e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * Runs {@code ip ARGS} in the root namespace (use {@code -n NS} for another); throws on failure.
   */
  String ip(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(tool("ip")));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /** Runs {@code tc ARGS} in namespace {@code ns}; throws on failure. */
  String tc(String ns, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(tool("tc"), "-n", ns));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /** Runs a command to its end (10 s at most); returns its output, throws with it on failure. */
  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": did not end");
    }
    String text = new String(out, StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + text);
    }
    return text;
  }

  /** Starts {@code cmd} inside namespace {@code ns}; killed by {@link #close}. */
  Child spawn(String ns, String name, List<String> cmd) throws IOException {
    List<String> full = new ArrayList<>(List.of(tool("ip"), "netns", "exec", ns));
    full.addAll(cmd);
    Child c = new Child(name, new ProcessBuilder(full).redirectErrorStream(true).start());
    children.add(c);
    return c;
  }

  /** A process in a namespace and the lines it printed, each with when the test read it. */
  static final class Child {
    record Line(long nanos, String text) {}

    final String name;
    final Process process;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    Child(String name, Process process) {
      this.name = name;
      this.process = process;
      Thread t =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l; (l = r.readLine()) != null; ) {
                    lines.add(new Line(System.nanoTime(), l));
                  }
                } catch (IOException ignored) {
                  // the process is gone
                }
              },
              "netns-" + name + "-output");
      t.setDaemon(true);
      t.start();
    }

    /** How many lines so far contain {@code needle}. */
    int count(String needle) {
      return (int) lines.stream().filter(l -> l.text().contains(needle)).count();
    }

    /**
     * When (System.nanoTime) the first line containing one of {@code needles} read at or after
     * {@code sinceNanos} came; fails after {@code timeout} or when the process ends first.
     */
    long awaitLine(long sinceNanos, Duration timeout, String... needles)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (Line l : lines) {
          if (l.nanos() >= sinceNanos
              && java.util.Arrays.stream(needles).anyMatch(l.text()::contains)) {
            return l.nanos();
          }
        }
        if (!process.isAlive() || System.nanoTime() > deadline) {
          Thread.sleep(100); // the last lines
          throw new AssertionError(
              name
                  + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")")
                  + " printed none of "
                  + java.util.Arrays.toString(needles)
                  + " within "
                  + timeout
                  + "; its output:\n"
                  + output());
        }
        Thread.sleep(20);
      }
    }

    String output() {
      StringBuilder sb = new StringBuilder();
      lines.forEach(l -> sb.append("  ").append(l.text()).append('\n'));
      return sb.toString();
    }
  }

  List<Child> children() {
    return children;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    cleanUp();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException ignored) {
      // shutting down already, or never added
    }
  }

  private synchronized void cleanUp() {
    if (closed) {
      return;
    }
    closed = true;
    for (Child c : children) {
      c.process.destroyForcibly();
    }
    for (Child c : children) {
      try {
        c.process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Deleting a namespace destroys its veth ends and with them their peers; the root end of the
    // front pair goes first in case A is still held.
    for (List<String> cmd :
        List.of(
            List.of("link", "del", frontRoot),
            List.of("netns", "del", a),
            List.of("netns", "del", b))) {
      try {
        ip(cmd.toArray(String[]::new));
      } catch (IOException | InterruptedException ignored) {
        // already gone, or never made
      }
    }
  }
}
