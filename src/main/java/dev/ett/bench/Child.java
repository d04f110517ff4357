package dev.ett.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One spawned {@code bin/ett ...} process. Its stdout+stderr go to a log file; a reader thread
 * watches for a readiness line. {@link #close()} sends SIGTERM, then SIGKILL after a grace period.
 */
final class Child implements AutoCloseable {
  final String name;
  final Process process;
  final Path log;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final Deque<String> tail = new ArrayDeque<>();
  private final StringBuilder stdout = new StringBuilder();

  /** Lines containing each marker given to {@link #countLines}, since that call. */
  private final Map<String, AtomicInteger> counted = new ConcurrentHashMap<>();

  private Child(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command}; {@code readyMarker} (may be null) is a substring of the ready line. */
  static Child start(
      String name, List<String> command, Map<String, String> env, Path logDir, String readyMarker)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    Path log = logDir.resolve(name + ".log");
    Process p = pb.start();
    Child c = new Child(name, p, log);
    Children.register(c);
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter w = new PrintWriter(Files.newBufferedWriter(log), true)) {
                String line;
                while ((line = r.readLine()) != null) {
                  w.println(line);
                  synchronized (c.tail) {
                    c.tail.addLast(line);
                    if (c.tail.size() > 20) {
                      c.tail.removeFirst();
                    }
                    c.stdout.append(line).append('\n');
                    if (c.stdout.length() > 65536) {
                      c.stdout.setLength(0);
                    }
                  }
                  for (Map.Entry<String, AtomicInteger> m : c.counted.entrySet()) {
                    if (line.contains(m.getKey())) {
                      m.getValue().incrementAndGet();
                    }
                  }
                  if (readyMarker != null && line.contains(readyMarker)) {
                    c.ready.countDown();
                  }
                }
              } catch (IOException e) {
                // the process went away
              }
            },
            "bench-log-" + name);
    t.setDaemon(true);
    t.start();
    return c;
  }

  /** Waits for the readiness line; fails with the log tail when the process dies or times out. */
  void awaitReady(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!ready.await(50, TimeUnit.MILLISECONDS)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name + " exited with status " + process.exitValue() + ":\n" + tail());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + " not ready after " + timeoutMs + " ms:\n" + tail());
      }
    }
  }

  /**
   * Counts, from now on, the log lines that contain {@code marker} (the output buffer keeps only
   * the last 64 KiB, and a busy server writes more between two events the caller waits for).
   */
  void countLines(String marker) {
    counted.putIfAbsent(marker, new AtomicInteger());
  }

  /** Lines containing {@code marker} since {@link #countLines} was called with it. */
  int linesCounted(String marker) {
    AtomicInteger n = counted.get(marker);
    if (n == null) {
      throw new IllegalStateException("not counting lines with '" + marker + "'");
    }
    return n.get();
  }

  /** Waits for exit; returns the status. */
  int await(long timeoutMs) throws InterruptedException {
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          name + " did not exit after " + timeoutMs + " ms:\n" + tail());
    }
    // let the reader thread drain
    Thread.sleep(20);
    return process.exitValue();
  }

  String output() {
    synchronized (tail) {
      return stdout.toString();
    }
  }

  String tail() {
    synchronized (tail) {
      return "  | " + String.join("\n  | ", tail) + "\n  (log: " + log + ")";
    }
  }

  /**
   * The JVM's pid: the launcher execs java, so it is the process itself (checked via /proc comm).
   */
  long javaPid() {
    long pid = process.pid();
    if (isJava(pid)) {
      return pid;
    }
    return process
        .descendants()
        .filter(h -> isJava(h.pid()))
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElse(pid);
  }

  private static boolean isJava(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).strip().equals("java");
    } catch (IOException e) {
      return false;
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    stop(process);
    Children.unregister(this);
  }

  static void stop(Process p) {
    if (!p.isAlive()) {
      return;
    }
    List<ProcessHandle> kids = p.descendants().toList();
    p.destroy();
    kids.forEach(ProcessHandle::destroy);
    try {
      if (!p.waitFor(3, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    kids.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }
}
