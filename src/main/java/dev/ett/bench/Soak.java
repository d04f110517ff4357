package dev.ett.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak (issue 6): {@code streams} concurrent workers through a real {@code ett client} and
 * {@code ett server} (separate processes, Netty leak detection paranoid) to an echo target, for
 * {@code duration}. Each stream sends a random number of seeded bytes (0..1 MiB), half-closes and
 * checks every echoed byte; some streams are reset on purpose mid-way; every {@code restartEvery}
 * the server process is restarted and the client must reconnect. Reports bytes moved, streams
 * completed, resets by cause, leak reports in either process's log (must be 0) and RSS over time
 * (must be flat). Exit status 0 only if no byte was wrong, no leak was reported and nothing failed
 * except by a reset while the server restarted or by our own deliberate resets.
 */
public final class Soak {
  public record Options(
      Path launcher,
      Duration duration,
      int streams,
      Duration restartEvery,
      Duration reportEvery,
      PrintStream out) {}

  private final Options o;
  private final LongAdder bytes = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder deliberateResets = new LongAdder();
  private final LongAdder corrupted = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private final AtomicLong restarting =
      new AtomicLong(); // nanoTime until which failures are "restart"

  public Soak(Options o) {
    this.o = o;
  }

  public int run() throws Exception {
    Path dir = Files.createTempDirectory("ett-soak-");
    Map<String, String> env = new HashMap<>();
    env.put("ETT_NO_BUILD", "1");
    env.put("ETT_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid -Xmx256m");
    String launcher = Bench.snapshot(o.launcher(), dir).toString();
    int[] ports = Bench.freePorts(3);
    String lo = "127.0.0.1";
    for (String k : List.of("server", "alice")) {
      Child c =
          Child.start(
              "keygen-" + k,
              List.of(launcher, "keygen", dir.resolve(k + ".key").toString()),
              env,
              dir,
              null);
      if (c.await(60_000) != 0) {
        throw new IllegalStateException("keygen failed:\n" + c.tail());
      }
      c.close();
    }
    Files.writeString(
        dir.resolve("authorized"),
        Files.readString(dir.resolve("alice.key.pub")).strip() + " alice\n");
    List<String> serverCmd =
        List.of(
            launcher,
            "server",
            "--listen",
            lo + ":" + ports[1],
            "--key",
            dir.resolve("server.key").toString(),
            "--authorized",
            dir.resolve("authorized").toString(),
            "--policy",
            "accept " + lo + ":" + ports[0],
            "--max-streams",
            String.valueOf(Math.max(1024, o.streams() * 2)),
            "--drain-timeout",
            "2s");
    List<Child> all = new ArrayList<>();
    Child echo =
        Child.start(
            "target-echo",
            List.of(launcher, "target", "--listen", lo + ":" + ports[0], "--mode", "echo"),
            env,
            dir,
            "listening on");
    all.add(echo);
    Child[] server = {Child.start("ett-server-0", serverCmd, env, dir, "listening")};
    all.add(server[0]);
    echo.awaitReady(60_000);
    server[0].awaitReady(60_000);
    Child client =
        Child.start(
            "ett-client",
            List.of(
                launcher,
                "client",
                "--server",
                lo + ":" + ports[1],
                "--server-key",
                dir.resolve("server.key.pub").toString(),
                "--key",
                dir.resolve("alice.key").toString(),
                "--max-queued-opens",
                String.valueOf(o.streams() * 2),
                "-L",
                lo + ":" + ports[2] + ":" + lo + ":" + ports[0]),
            env,
            dir,
            "link up to");
    all.add(client);
    client.awaitReady(60_000);
    InetSocketAddress fwd = new InetSocketAddress(lo, ports[2]);
    o.out()
        .printf(
            "soak: %d streams for %s, server restart every %s; logs in %s%n",
            o.streams(), o.duration(), o.restartEvery(), dir);

    long end = System.nanoTime() + o.duration().toNanos();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < o.streams(); i++) {
      workers.add(Thread.ofVirtual().start(() -> work(fwd, end)));
    }
    long start = System.nanoTime();
    long nextRestart = start + o.restartEvery().toNanos();
    long nextReport = start + o.reportEvery().toNanos();
    int restarts = 0;
    List<String> rss = new ArrayList<>();
    while (System.nanoTime() < end) {
      Thread.sleep(200);
      long now = System.nanoTime();
      if (!o.restartEvery().isZero()
          && now > nextRestart
          && now < end - Duration.ofSeconds(20).toNanos()) {
        restarting.set(now + Duration.ofSeconds(10).toNanos());
        server[0].close(); // SIGTERM: drains 2 s, then resets the rest
        restarts++;
        server[0] = Child.start("ett-server-" + restarts, serverCmd, env, dir, "listening");
        all.add(server[0]);
        server[0].awaitReady(60_000);
        nextRestart = now + o.restartEvery().toNanos();
      }
      if (now > nextReport) {
        String line =
            String.format(
                "  t=%4ds  bytes %,d  streams ok %,d  deliberate resets %,d  other failures %s  RSS server %d MiB client %d MiB",
                (now - start) / 1_000_000_000L,
                bytes.sum(),
                completed.sum(),
                deliberateResets.sum(),
                failures,
                Bench.Mem.of(server[0].javaPid()).rssKb() / 1024,
                Bench.Mem.of(client.javaPid()).rssKb() / 1024);
        o.out().println(line);
        rss.add(line);
        nextReport = now + o.reportEvery().toNanos();
      }
    }
    for (Thread t : workers) {
      t.join(30_000);
    }
    long leaks = 0;
    for (Child c : all) {
      leaks += Files.readAllLines(c.log).stream().filter(l -> l.contains("LEAK:")).count();
    }
    long clientRss = Bench.Mem.of(client.javaPid()).rssKb() / 1024;
    for (Child c : all) {
      c.close();
    }
    long unexpected =
        failures.entrySet().stream()
            .filter(e -> !e.getKey().startsWith("restart"))
            .mapToLong(e -> e.getValue().sum())
            .sum();
    o.out()
        .printf(
            "soak result: %s, %,d bytes checked, %,d streams completed, %,d deliberate resets, failures %s,"
                + " %d server restarts, corrupted streams %d (must be 0), leak reports %d (must be 0), client RSS at end %d MiB%n",
            o.duration(),
            bytes.sum(),
            completed.sum(),
            deliberateResets.sum(),
            failures,
            restarts,
            corrupted.sum(),
            leaks,
            clientRss);
    return corrupted.sum() == 0 && leaks == 0 && unexpected == 0 && completed.sum() > 0 ? 0 : 1;
  }

  private void work(InetSocketAddress fwd, long end) {
    byte[] back = new byte[16 * 1024];
    while (System.nanoTime() < end) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      int size = r.nextInt(8) == 0 ? r.nextInt(1 << 20) : r.nextInt(16 * 1024);
      long seed = r.nextLong();
      boolean resetOnPurpose = r.nextInt(20) == 0;
      try (Socket s = new Socket()) {
        s.connect(fwd, 5000);
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        Random data = new Random(seed), check = new Random(seed);
        IOException[] writeError = new IOException[1];
        Thread writer =
            Thread.ofVirtual()
                .start(
                    () -> {
                      // Its own buffer: when the reader gives up on a reset, this writer may still
                      // be running while the next stream's writer starts.
                      byte[] buf = new byte[16 * 1024];
                      try {
                        for (int left = size; left > 0; ) {
                          int n = Math.min(buf.length, left);
                          data.nextBytes(buf); // whole buffer, first n used: same sequence as check
                          out.write(buf, 0, n);
                          left -= n;
                        }
                        s.shutdownOutput();
                      } catch (IOException e) {
                        writeError[0] = e; // the reader reports what happened
                      }
                    });
        long got = 0;
        byte[] expect = new byte[16 * 1024];
        int expectPos = 0, expectLen = 0;
        long stopAt = resetOnPurpose ? size / 2 : Long.MAX_VALUE;
        for (int n; (n = in.read(back)) != -1; ) {
          for (int i = 0; i < n; i++) {
            if (expectPos == expectLen) {
              check.nextBytes(expect);
              expectLen = (int) Math.min(expect.length, size - got - i);
              expectPos = 0;
            }
            if (back[i] != expect[expectPos++]) {
              corrupted.increment();
              throw new IOException("corrupted byte at " + (got + i));
            }
          }
          got += n;
          bytes.add(n);
          if (got >= stopAt) {
            s.setSoLinger(true, 0); // an abortive close: the tunnel must carry the reset
            s.close();
            deliberateResets.increment();
            break;
          }
        }
        writer.join();
        if (got >= stopAt) {
          continue;
        }
        if (got != size) {
          if (writeError[0] != null) {
            // The RST reached the writer first: Linux reports a reset once, to whichever call on
            // the socket comes next, and the reader then sees a plain end. Still a reset.
            throw new SocketException(writeError[0].getMessage() + " (seen by the writer)");
          }
          throw new EOFException(
              "stream ended after " + got + " of " + size + " bytes without a reset");
        }
        completed.increment();
      } catch (SocketException e) {
        failure(e.getMessage());
      } catch (IOException e) {
        failure(e.getClass().getSimpleName() + ": " + e.getMessage());
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        failure("soak bug: " + e); // counted as unexpected: the run fails
        return;
      }
    }
  }

  private void failure(String why) {
    // Byte counts make every message unique; the kind of failure is what is counted.
    why = why.replaceAll("[0-9]+", "N");
    String key = System.nanoTime() < restarting.get() ? "restart: " + why : why;
    if (key.length() > 80) {
      key = key.substring(0, 80);
    }
    failures.computeIfAbsent(key, k -> new LongAdder()).increment();
  }
}
