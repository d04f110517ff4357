package dev.ett.bench;

import java.io.IOException;
import java.nio.channels.Channel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes channels that outlive their deadline, so a stuck tunnel fails a figure instead of hanging
 * it.
 */
final class Watchdog {
  private static final Map<Channel, Long> DEADLINES = new ConcurrentHashMap<>();

  static {
    Thread t =
        new Thread(
            () -> {
              while (true) {
                try {
                  Thread.sleep(200);
                } catch (InterruptedException e) {
                  return;
                }
                long now = System.nanoTime();
                DEADLINES.forEach(
                    (ch, d) -> {
                      if (now - d > 0) {
                        DEADLINES.remove(ch);
                        try {
                          ch.close();
                        } catch (IOException e) {
                          // closing is all we wanted
                        }
                      }
                    });
              }
            },
            "bench-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private Watchdog() {}

  static void watch(Channel ch, long timeoutMs) {
    DEADLINES.put(ch, System.nanoTime() + timeoutMs * 1_000_000L);
  }

  static void unwatch(Channel ch) {
    DEADLINES.remove(ch);
  }
}
