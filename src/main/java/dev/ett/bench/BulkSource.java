package dev.ett.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The bulk target of the benchmark: like {@code target --mode source} (reads an 8-byte count N,
 * sends N bytes, closes), but it sends slices of one precomputed direct buffer so that the target
 * costs no per-byte work: the byte at offset i is {@code TestTarget.pattern(i % PERIOD)}. Blocking
 * NIO, one thread per connection.
 */
public final class BulkSource {
  private BulkSource() {}

  /** Not a power of two and not a multiple of a record or frame size. */
  public static final int PERIOD = 1_000_003;

  /** Largest single write. */
  static final int CHUNK = 256 * 1024;

  /** The byte at {@code offset} of a bulk stream. */
  public static byte expected(long offset) {
    return TestTarget.pattern(offset % PERIOD);
  }

  private static ByteBuffer data() {
    ByteBuffer b = ByteBuffer.allocateDirect(PERIOD + CHUNK);
    for (int i = 0; i < b.capacity(); i++) {
      b.put(i, expected(i));
    }
    return b;
  }

  /** Serves forever on {@code bind}; prints a "listening on" line once bound. */
  public static void serve(InetSocketAddress bind) throws IOException {
    ByteBuffer data = data();
    try (ServerSocketChannel ss = ServerSocketChannel.open()) {
      ss.bind(bind, 1024);
      System.err.println("bench source listening on " + ss.getLocalAddress());
      while (true) {
        SocketChannel ch = ss.accept();
        Thread t = new Thread(() -> handle(ch, data.duplicate()), "source");
        t.setDaemon(true);
        t.start();
      }
    }
  }

  private static void handle(SocketChannel ch, ByteBuffer data) {
    try (ch) {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ByteBuffer header = ByteBuffer.allocate(8);
      while (header.hasRemaining()) {
        if (ch.read(header) < 0) {
          return;
        }
      }
      long remaining = header.getLong(0);
      long offset = 0;
      while (remaining > 0) {
        int pos = (int) (offset % PERIOD);
        int n = (int) Math.min(remaining, CHUNK);
        data.limit(pos + n).position(pos);
        while (data.hasRemaining()) {
          ch.write(data);
        }
        offset += n;
        remaining -= n;
      }
      ch.shutdownOutput();
      // Wait for the reader's close so that ours never turns into a reset.
      ByteBuffer sink = ByteBuffer.allocate(64);
      while (ch.read(sink) >= 0) {
        sink.clear();
      }
    } catch (IOException e) {
      // the reader went away: nothing to do
    }
  }
}
