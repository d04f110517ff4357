package dev.ett.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An attacker for admission tests: {@code count} TCP connections from {@code from} to {@code to}
 * that never send a byte; each one the other side closes is opened again after {@code pause}
 * (bounded so the attack cannot eat the machine). One virtual thread per connection.
 */
final class IdleFlood implements AutoCloseable {
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final List<Thread> threads = new ArrayList<>();
  private final CountDownLatch firstRound;
  final AtomicLong connects = new AtomicLong();
  private volatile boolean stop;

  IdleFlood(InetAddress from, InetSocketAddress to, int count, Duration pause) {
    this.firstRound = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      threads.add(Thread.ofVirtual().start(() -> run(from, to, pause)));
    }
  }

  private void run(InetAddress from, InetSocketAddress to, Duration pause) {
    boolean first = true;
    while (!stop) {
      try (Socket s = new Socket()) {
        s.bind(new InetSocketAddress(from, 0));
        open.add(s);
        try {
          s.connect(to, 5000);
          connects.incrementAndGet();
          if (first) {
            firstRound.countDown();
            first = false;
          }
          while (s.getInputStream().read() != -1) {
            // nothing is expected; a byte would be a bug in the test's server
          }
        } finally {
          open.remove(s);
        }
      } catch (IOException closedOrRefused) {
        // closed at accept, at the deadline, or by close(): open another one
      }
      try {
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Waits until every connection was made at least once. */
  void awaitFirstRound(Duration timeout) throws InterruptedException {
    if (!firstRound.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          firstRound.getCount() + " attacker connections not made in " + timeout);
    }
  }

  /** Connections open now (as the attacker sees them). */
  int openNow() {
    return open.size();
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    for (Thread t : threads) {
      t.interrupt();
      t.join(5000);
    }
  }
}
