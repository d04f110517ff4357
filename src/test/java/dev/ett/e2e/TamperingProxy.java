package dev.ett.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP proxy for tests that sits between client and server: records what the client sends first
 * and can flip one bit at a chosen offset of the server-to-client byte stream.
 */
final class TamperingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  final ByteArrayOutputStream clientBytes = new ByteArrayOutputStream();
  volatile long flipServerToClientAt = -1;

  /**
   * Connections accepted before this generation forward nothing more (a dead path, not a close).
   */
  private volatile int stalledBelow;

  private int generation;

  TamperingProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::acceptLoop);
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  private void acceptLoop() {
    try {
      while (true) {
        Socket down = listener.accept();
        Socket up = new Socket();
        up.connect(upstream);
        int gen;
        synchronized (this) {
          gen = ++generation;
        }
        Thread.ofVirtual().start(() -> pump(down, up, true, gen));
        Thread.ofVirtual().start(() -> pump(up, down, false, gen));
      }
    } catch (IOException closed) {
      // listener closed: the test is over
    }
  }

  /** Makes every connection accepted so far silently stop forwarding, like a dead route. */
  synchronized void stallExisting() {
    stalledBelow = generation + 1;
  }

  private void pump(Socket from, Socket to, boolean clientToServer, int gen) {
    byte[] buf = new byte[16 * 1024];
    long offset = 0;
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) != -1; ) {
        if (clientToServer) {
          synchronized (clientBytes) {
            if (clientBytes.size() < 1 << 16) {
              clientBytes.write(buf, 0, n);
            }
          }
        } else {
          long at = flipServerToClientAt;
          if (at >= offset && at < offset + n) {
            buf[(int) (at - offset)] ^= 0x10;
          }
        }
        offset += n;
        while (gen < stalledBelow && !listener.isClosed()) {
          try {
            Thread.sleep(20); // swallow: neither forward nor close
          } catch (InterruptedException e) {
            return;
          }
        }
        if (gen < stalledBelow) {
          continue;
        }
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      // one side went away; close both below
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  byte[] clientBytes() {
    synchronized (clientBytes) {
      return clientBytes.toByteArray();
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
