package dev.ett.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A userspace fault injector between client and server (both directions): delay with jitter per
 * chunk, throttled bandwidth, and cutting every connection at once. Bytes are never reordered
 * within a direction (one pump thread each), as on a real TCP path.
 */
final class ChaosProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  volatile int delayMillis;
  volatile int jitterMillis;

  /** Bytes per second in each direction; 0 = unthrottled. */
  volatile long bytesPerSecond;

  ChaosProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::acceptLoop);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  /** Cuts every connection now (RST-free close of both halves), as a broken path would. */
  void cutAll() throws IOException {
    for (Socket s : open) {
      s.close();
    }
    open.clear();
  }

  private void acceptLoop() {
    try {
      while (true) {
        Socket down = listener.accept();
        Socket up = new Socket();
        try {
          up.connect(upstream);
        } catch (IOException e) {
          down.close();
          continue;
        }
        open.add(down);
        open.add(up);
        Thread.ofVirtual().start(() -> pump(down, up));
        Thread.ofVirtual().start(() -> pump(up, down));
      }
    } catch (IOException closed) {
      // the proxy was closed
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[8 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) != -1; ) {
        int d =
            delayMillis
                + (jitterMillis > 0 ? ThreadLocalRandom.current().nextInt(jitterMillis + 1) : 0);
        long bps = bytesPerSecond;
        long wait = d + (bps > 0 ? n * 1000L / bps : 0);
        if (wait > 0) {
          Thread.sleep(wait);
        }
        out.write(buf, 0, n);
      }
    } catch (IOException | InterruptedException e) {
      // a cut, or the other side went away
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    cutAll();
  }
}
