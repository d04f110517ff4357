package dev.ett.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** The load generators. Blocking NIO with direct buffers: no per-byte work on the hot path. */
public final class Load {
  private Load() {}

  static final int BULK_BUFFER = 256 * 1024;

  // ---------------------------------------------------------------- bulk

  /**
   * Pulls {@code n} bytes from a {@link BulkSource} at {@code addr} and returns the elapsed
   * nanoseconds from request to last byte. Checks the exact count, EOF right after it, and a sample
   * of the bytes (plus every byte of the first MiB and of every 64th buffer).
   */
  static long pull(InetSocketAddress addr, long n, long timeoutMs) throws IOException {
    try (SocketChannel ch = SocketChannel.open()) {
      Watchdog.watch(ch, timeoutMs);
      try {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.connect(addr);
        ByteBuffer buf = ByteBuffer.allocateDirect(BULK_BUFFER);
        buf.putLong(0, n);
        buf.limit(8);
        long t0 = System.nanoTime();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        long got = 0;
        long reads = 0;
        while (got < n) {
          buf.clear();
          if (n - got < BULK_BUFFER) {
            buf.limit((int) (n - got));
          }
          int r = ch.read(buf);
          if (r < 0) {
            throw new EOFException("bulk: stream ended after " + got + " of " + n + " bytes");
          }
          verify(buf, r, got, got < (1 << 20) || (reads++ & 63) == 0);
          got += r;
        }
        long t1 = System.nanoTime();
        buf.clear();
        int extra = ch.read(buf);
        if (extra >= 0) {
          throw new IOException("bulk: got more than the " + n + " bytes asked for (or no EOF)");
        }
        return t1 - t0;
      } finally {
        Watchdog.unwatch(ch);
      }
    }
  }

  private static void verify(ByteBuffer buf, int r, long offset, boolean all) throws IOException {
    if (r == 0) {
      return;
    }
    if (all) {
      for (int k = 0; k < r; k++) {
        check(buf, k, offset);
      }
    } else {
      int step = Math.max(1, r / 7);
      for (int k = 0; k < r; k += step) {
        check(buf, k, offset);
      }
      check(buf, r - 1, offset);
    }
  }

  private static void check(ByteBuffer buf, int k, long offset) throws IOException {
    byte want = BulkSource.expected(offset + k);
    if (buf.get(k) != want) {
      throw new IOException(
          "bulk: CORRUPT byte at offset "
              + (offset + k)
              + ": got "
              + buf.get(k)
              + ", expected "
              + want);
    }
  }

  /** {@code streams} concurrent pulls of {@code each} bytes; returns aggregate bytes per second. */
  static double pullParallel(InetSocketAddress addr, int streams, long each, long timeoutMs)
      throws Exception {
    CyclicBarrier start = new CyclicBarrier(streams);
    long[] begin = new long[streams];
    long[] end = new long[streams];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      int id = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  start.await();
                  begin[id] = System.nanoTime();
                  pull(addr, each, timeoutMs);
                  end[id] = System.nanoTime();
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bulk-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IOException("bulk x" + streams + ": " + failure.get().getMessage(), failure.get());
    }
    long first = Arrays.stream(begin).min().orElseThrow();
    long last = Arrays.stream(end).max().orElseThrow();
    return (double) each * streams / ((last - first) / 1e9);
  }

  // ---------------------------------------------------------------- connections

  record ConnResult(long connections, double seconds, long[] latenciesNs) {
    double perSecond() {
      return connections / seconds;
    }
  }

  /**
   * {@code workers} threads open connections back to back for {@code measureMs} (after {@code
   * warmupMs} not counted): connect, send 100 bytes, read the 100 echoed bytes, close.
   */
  static ConnResult connections(InetSocketAddress addr, int workers, long warmupMs, long measureMs)
      throws Exception {
    return connections(addr, null, workers, warmupMs, measureMs);
  }

  /**
   * As {@link #connections(InetSocketAddress, int, long, long)}; with {@code socksTo} non-null,
   * {@code addr} is a SOCKS5 proxy (the client's -D port) and each connection first asks it for
   * {@code socksTo} (no authentication, IPv4 CONNECT), as an application using the proxy would.
   */
  static ConnResult connections(
      InetSocketAddress addr, InetSocketAddress socksTo, int workers, long warmupMs, long measureMs)
      throws Exception {
    return connections(addr, socksTo, new byte[0], workers, warmupMs, measureMs);
  }

  /**
   * As {@link #connections(InetSocketAddress, InetSocketAddress, int, long, long)}, each connection
   * sending {@code first} (e.g. a TLS ClientHello, for an exit rule that checks the first bytes)
   * ahead of its 100 bytes, in the same write, and reading all of it back from the echo.
   */
  static ConnResult connections(
      InetSocketAddress addr,
      InetSocketAddress socksTo,
      byte[] first,
      int workers,
      long warmupMs,
      long measureMs)
      throws Exception {
    return connections(addr, socksTo, first, workers, warmupMs, measureMs, null);
  }

  /**
   * Connections that did not complete, counted instead of failing the figure: {@code empty} ended
   * with a clean EOF before the first echoed byte, {@code broken} ended later, were reset or timed
   * out. Bytes echoed wrong still fail the figure: that is corruption, not a lost connection.
   */
  static final class Failures {
    final LongAdder empty = new LongAdder();
    final LongAdder broken = new LongAdder();

    long total() {
      return empty.sum() + broken.sum();
    }
  }

  /**
   * As {@link #connections(InetSocketAddress, InetSocketAddress, byte[], int, long, long)}; with
   * {@code failures} non-null a connection that ends early is counted there (and not in the rate)
   * and the worker goes on with the next one, so that a rare lost stream shows as a count.
   */
  static ConnResult connections(
      InetSocketAddress addr,
      InetSocketAddress socksTo,
      byte[] first,
      int workers,
      long warmupMs,
      long measureMs,
      Failures failures)
      throws Exception {
    int size = first.length + 100;
    int at = first.length; // where the 100 bytes start, in what is sent and what comes back
    long startAt = System.nanoTime() + warmupMs * 1_000_000L;
    long stopAt = startAt + measureMs * 1_000_000L;
    long[][] lat = new long[workers][];
    int[] counts = new int[workers];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      int id = i;
      Thread t =
          new Thread(
              () -> {
                long[] mine = new long[1 << 16];
                int count = 0;
                ByteBuffer out = ByteBuffer.allocateDirect(size).put(0, first);
                ByteBuffer in = ByteBuffer.allocateDirect(size);
                long seq = 0;
                try {
                  while (failure.get() == null) {
                    long t0 = System.nanoTime();
                    if (t0 - stopAt >= 0) {
                      break;
                    }
                    seq++;
                    out.clear();
                    out.putLong(at, ((long) id << 48) | seq);
                    out.putLong(at + 92, seq);
                    in.clear();
                    try {
                      exchange(addr, socksTo, out, in, size);
                    } catch (IOException e) {
                      if (failures == null) {
                        throw e;
                      }
                      (in.position() == 0 && e instanceof EOFException
                              ? failures.empty
                              : failures.broken)
                          .increment();
                      continue;
                    }
                    long t1 = System.nanoTime();
                    if (in.getLong(at) != out.getLong(at)
                        || in.getLong(at + 92) != seq
                        || in.get(0) != out.get(0)) {
                      throw new IOException("conn: echoed bytes differ from the ones sent");
                    }
                    if (t0 - startAt >= 0) {
                      if (count == mine.length) {
                        mine = Arrays.copyOf(mine, count * 2);
                      }
                      mine[count++] = t1 - t0;
                    }
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
                lat[id] = mine;
                counts[id] = count;
              },
              "conn-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IOException(failure.get().toString(), failure.get());
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int filled = 0;
    for (int i = 0; i < workers; i++) {
      System.arraycopy(lat[i], 0, all, filled, counts[i]);
      filled += counts[i];
    }
    // Connections that started in the window but finished after it count as well; the window is
    // measured to the end of the last one.
    double seconds = (Math.max(System.nanoTime(), stopAt) - startAt) / 1e9;
    return new ConnResult(total, seconds, all);
  }

  /** One connection: connect (through SOCKS5 when {@code socksTo} is set), send out, read in. */
  private static void exchange(
      InetSocketAddress addr, InetSocketAddress socksTo, ByteBuffer out, ByteBuffer in, int size)
      throws IOException {
    try (SocketChannel ch = SocketChannel.open()) {
      Watchdog.watch(ch, 10_000);
      try {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.connect(addr);
        if (socksTo != null) {
          socks5Connect(ch, socksTo);
        }
        while (out.hasRemaining()) {
          ch.write(out);
        }
        while (in.hasRemaining()) {
          if (ch.read(in) < 0) {
            throw new EOFException(
                "conn: echo ended after " + in.position() + " of " + size + " bytes");
          }
        }
      } finally {
        Watchdog.unwatch(ch);
      }
    }
  }

  /**
   * RFC 1928 greeting (no authentication) and an IPv4 CONNECT, sent together as curl does; reads
   * both replies and fails unless the proxy says "succeeded".
   */
  public static void socks5Connect(SocketChannel ch, InetSocketAddress to) throws IOException {
    byte[] ip = to.getAddress().getAddress();
    ByteBuffer req = ByteBuffer.allocate(3 + 10);
    req.put(new byte[] {5, 1, 0});
    req.put(new byte[] {5, 1, 0, 1}).put(ip).putShort((short) to.getPort());
    req.flip();
    while (req.hasRemaining()) {
      ch.write(req);
    }
    ByteBuffer rep = ByteBuffer.allocate(2 + 10);
    while (rep.hasRemaining()) {
      if (ch.read(rep) < 0) {
        throw new EOFException("socks5: proxy closed after " + rep.position() + " reply bytes");
      }
    }
    if (rep.get(0) != 5 || rep.get(1) != 0 || rep.get(2) != 5 || rep.get(3) != 0) {
      throw new IOException("socks5: proxy refused (reply " + rep.get(3) + ")");
    }
  }

  // ---------------------------------------------------------------- ping-pong

  /** 64-byte round trips on one connection; returns the measured round trips in nanoseconds. */
  static long[] pingPong(InetSocketAddress addr, int warmup, int rounds, long timeoutMs)
      throws IOException {
    return pingPong(addr, null, warmup, rounds, timeoutMs);
  }

  /** Ping-pong through a SOCKS5 proxy at {@code addr} to {@code socksTo} (null: direct). */
  static long[] pingPong(
      InetSocketAddress addr, InetSocketAddress socksTo, int warmup, int rounds, long timeoutMs)
      throws IOException {
    long[] rtt = new long[rounds];
    try (SocketChannel ch = SocketChannel.open()) {
      Watchdog.watch(ch, timeoutMs);
      try {
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.connect(addr);
        if (socksTo != null) {
          socks5Connect(ch, socksTo);
        }
        ByteBuffer out = ByteBuffer.allocateDirect(64);
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        for (int i = -warmup; i < rounds; i++) {
          out.clear();
          out.putLong(0, i);
          out.putLong(56, ~i);
          in.clear();
          long t0 = System.nanoTime();
          while (out.hasRemaining()) {
            ch.write(out);
          }
          while (in.hasRemaining()) {
            if (ch.read(in) < 0) {
              throw new EOFException("ping: echo ended");
            }
          }
          long t1 = System.nanoTime();
          if (in.getLong(0) != i || in.getLong(56) != ~i) {
            throw new IOException("ping: echoed bytes differ from the ones sent");
          }
          if (i >= 0) {
            rtt[i] = t1 - t0;
          }
        }
      } finally {
        Watchdog.unwatch(ch);
      }
    }
    return rtt;
  }

  // ---------------------------------------------------------------- many open connections

  /**
   * Opens {@code n} connections to an echo address, in batches of 100: each sends one byte and
   * reads it back, so every stream is established end to end. The caller closes them.
   */
  static List<SocketChannel> openMany(InetSocketAddress addr, int n, long timeoutMs)
      throws IOException {
    List<SocketChannel> open = new ArrayList<>(n);
    try {
      ByteBuffer one = ByteBuffer.allocateDirect(1);
      for (int base = 0; base < n; base += 100) {
        int batch = Math.min(100, n - base);
        List<SocketChannel> chs = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          SocketChannel ch = SocketChannel.open();
          open.add(ch);
          chs.add(ch);
          Watchdog.watch(ch, timeoutMs);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          ch.connect(addr);
          one.clear();
          one.put(0, (byte) (base + i));
          ch.write(one);
        }
        for (int i = 0; i < batch; i++) {
          SocketChannel ch = chs.get(i);
          one.clear();
          while (one.hasRemaining()) {
            if (ch.read(one) < 0) {
              throw new EOFException("rss: connection " + (base + i) + " closed before echoing");
            }
          }
          if (one.get(0) != (byte) (base + i)) {
            throw new IOException("rss: connection " + (base + i) + " echoed a wrong byte");
          }
          Watchdog.unwatch(ch);
        }
      }
      return open;
    } catch (IOException | RuntimeException e) {
      closeAll(open);
      throw e;
    }
  }

  static void closeAll(List<SocketChannel> chs) {
    for (SocketChannel ch : chs) {
      Watchdog.unwatch(ch);
      try {
        ch.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
