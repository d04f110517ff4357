package dev.ett.route;

import dev.ett.bench.TestTarget;
import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Chain benchmark (run by {@code bench/chain.sh}): three {@code ett server}s and an {@code ett
 * client} as separate processes on loopback; the client's route goes through 1, 2 and 3 of them in
 * turn ({@code --via}). For each route length: bulk MB/s (one stream pulling N bytes from a SOURCE
 * target, median of 3, exact count and sampled bytes checked) and new connections/s (W threads:
 * connect, 100 B out, 100 B echoed back, close). The direct path is printed for reference, and each
 * route as a ratio to the one-hop route.
 *
 * <p>Usage: {@code ChainBench ETT_LAUNCHER WORKDIR [BULK_MB] [CONN_SECONDS] [CONN_WORKERS]}.
 */
public final class ChainBench {
  private static final List<Process> CHILDREN = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    String ett = args[0];
    Path dir = Path.of(args[1]);
    long bulk = (args.length > 2 ? Long.parseLong(args[2]) : 300) * 1_000_000L;
    int connSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    int workers = args.length > 4 ? Integer.parseInt(args[4]) : 8;
    Runtime.getRuntime().addShutdownHook(new Thread(ChainBench::stopAll));

    TestTarget source =
        TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.SOURCE);
    TestTarget echo = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
    KeyPair alice = X25519.generate();
    Path aliceKey = dir.resolve("alice.key");
    KeyFile.write(aliceKey, alice.privateKey(), alice.publicKey(), true);
    Path authorized = dir.resolve("authorized");
    Files.writeString(authorized, KeyFile.encode(alice.publicKey()) + " alice\n");
    List<Integer> ports = new ArrayList<>();
    List<String> pubs = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      KeyPair k = X25519.generate();
      Path key = dir.resolve("hop" + n + ".key");
      KeyFile.write(key, k.privateKey(), k.publicKey(), true);
      int port = freePort();
      ports.add(port);
      pubs.add(KeyFile.encode(k.publicKey()));
      spawn(
          dir,
          "hop" + n,
          ett,
          "server",
          "--listen",
          "127.0.0.1:" + port,
          "--key",
          key.toString(),
          "--authorized",
          authorized.toString(),
          "--policy",
          "accept 127.0.0.0/8:*");
    }
    for (int port : ports) {
      awaitPort(port);
    }

    System.out.printf(
        Locale.ROOT,
        "chain benchmark: bulk %d MB x3 (median), connections %d s x %d threads%n",
        bulk / 1_000_000,
        connSeconds,
        workers);
    double[] direct = measure(source.address(), echo.address(), bulk, connSeconds, workers);
    List<double[]> rows = new ArrayList<>();
    for (int hops = 1; hops <= 3; hops++) {
      int srcFwd = freePort(), echoFwd = freePort();
      List<String> cmd = new ArrayList<>(List.of(ett, "client"));
      for (int n = 1; n < hops; n++) {
        cmd.add("--via");
        cmd.add("127.0.0.1:" + ports.get(n - 1) + "=" + pubs.get(n - 1));
      }
      cmd.addAll(
          List.of(
              "--server",
              "127.0.0.1:" + ports.get(hops - 1),
              "--server-key",
              pubs.get(hops - 1),
              "--key",
              aliceKey.toString(),
              "-L",
              "127.0.0.1:" + srcFwd + ":127.0.0.1:" + source.address().getPort(),
              "-L",
              "127.0.0.1:" + echoFwd + ":127.0.0.1:" + echo.address().getPort()));
      Process client = spawn(dir, "client-" + hops, cmd.toArray(String[]::new));
      awaitPort(srcFwd);
      InetSocketAddress src = new InetSocketAddress("127.0.0.1", srcFwd);
      pull(src, 1_000_000); // the route is up
      rows.add(
          measure(src, new InetSocketAddress("127.0.0.1", echoFwd), bulk, connSeconds, workers));
      client.destroy();
      client.waitFor(5, TimeUnit.SECONDS);
    }

    System.out.println();
    System.out.println("| path    | bulk MB/s | vs 1 hop | new conn/s | vs 1 hop |");
    System.out.println("|---------|----------:|---------:|-----------:|---------:|");
    System.out.printf(
        Locale.ROOT, "| direct  | %9.0f |          | %10.0f |          |%n", direct[0], direct[1]);
    for (int i = 0; i < rows.size(); i++) {
      double[] r = rows.get(i);
      System.out.printf(
          Locale.ROOT,
          "| %d hop%s  | %9.0f | %8.2f | %10.0f | %8.2f |%n",
          i + 1,
          i == 0 ? " " : "s",
          r[0],
          r[0] / rows.get(0)[0],
          r[1],
          r[1] / rows.get(0)[1]);
    }
    source.close();
    echo.close();
    stopAll();
  }

  /** {bulk MB/s (median of 3), new connections/s}. */
  private static double[] measure(
      InetSocketAddress src, InetSocketAddress echo, long bulk, int seconds, int workers)
      throws Exception {
    double[] mbs = new double[3];
    for (int i = 0; i < 3; i++) {
      long ns = pull(src, bulk);
      mbs[i] = bulk / 1e6 / (ns / 1e9);
    }
    Arrays.sort(mbs);
    return new double[] {mbs[1], connections(echo, workers, seconds)};
  }

  /** Asks the SOURCE target for n bytes, checks them, returns the nanoseconds it took. */
  private static long pull(InetSocketAddress a, long n) throws IOException {
    try (SocketChannel ch = SocketChannel.open(a)) {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
      buf.putLong(n).flip();
      long t0 = System.nanoTime();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      long got = 0, reads = 0;
      while (true) {
        buf.clear();
        int r = ch.read(buf);
        if (r < 0) {
          break;
        }
        byte[] b = buf.array();
        // Every byte of the first MB and of every 16th read; the first and last of every read.
        boolean all = got < 1_000_000 || (reads++ & 15) == 0;
        for (int i = 0; i < r; i += all || i == r - 1 ? 1 : Math.max(1, r - 1 - i)) {
          if (b[i] != TestTarget.pattern(got + i)) {
            throw new IOException("corrupted byte at offset " + (got + i));
          }
        }
        got += r;
      }
      if (got != n) {
        throw new EOFException("got " + got + " of " + n + " bytes");
      }
      return System.nanoTime() - t0;
    }
  }

  private static double connections(InetSocketAddress a, int workers, int seconds)
      throws Exception {
    long start = System.nanoTime(), stop = start + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong done = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    ByteBuffer out = ByteBuffer.allocate(100), in = ByteBuffer.allocate(100);
                    try {
                      while (System.nanoTime() < stop && failure.get() == null) {
                        try (SocketChannel ch = SocketChannel.open(a)) {
                          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                          out.clear();
                          in.clear();
                          while (out.hasRemaining()) {
                            ch.write(out);
                          }
                          while (in.hasRemaining()) {
                            if (ch.read(in) < 0) {
                              throw new EOFException(
                                  "echo ended after " + in.position() + " bytes");
                            }
                          }
                        }
                        done.incrementAndGet();
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IOException("connections: " + failure.get(), failure.get());
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  private static Process spawn(Path dir, String name, String... cmd) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("ETT_NO_BUILD", "1");
    Process p = pb.start();
    synchronized (CHILDREN) {
      CHILDREN.add(p);
    }
    return p;
  }

  private static void stopAll() {
    synchronized (CHILDREN) {
      for (Process p : CHILDREN) {
        p.destroy();
      }
      for (Process p : CHILDREN) {
        try {
          if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      CHILDREN.clear();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException("nothing listens on 127.0.0.1:" + port + " after 30 s", e);
        }
        Thread.sleep(50);
      }
    }
  }
}
