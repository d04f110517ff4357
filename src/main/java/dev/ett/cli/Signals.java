package dev.ett.cli;

import dev.ett.util.Log;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The signals a long-running command answers, through {@code sun.misc.Signal}: the JDK has no
 * supported API for signals, and this one (module jdk.unsupported) has worked unchanged since Java
 * 1.4. Where it is missing, the JVM's own handling stays (SIGTERM: shutdown hooks, status 143).
 */
final class Signals {
  private Signals() {}

  /**
   * Runs {@code r} on each SIGHUP, on the JVM's signal thread; false if SIGHUP cannot be handled.
   */
  @SuppressWarnings("sunapi")
  static boolean onSighup(Runnable r) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> r.run());
      return true;
    } catch (IllegalArgumentException | LinkageError e) {
      Log.warn(
          "cannot handle SIGHUP (" + e.getMessage() + "); reload by editing the files instead");
      return false;
    }
  }

  /**
   * Runs {@code stop} once, then releases {@link #await}, on the first SIGTERM or when the JVM
   * shuts down for another reason (a shutdown hook). A SIGTERM therefore ends the command the way a
   * service manager expects a requested stop to end: {@code stop} ran (a server drains) and the
   * command returns 0, where the JVM's default handling would exit with 143 (128 + 15).
   */
  static Stop onStop(Runnable stop) {
    Stop s = new Stop(stop);
    Runtime.getRuntime().addShutdownHook(new Thread(s::run, "ett-stop"));
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> s.request());
    } catch (IllegalArgumentException | LinkageError e) {
      Log.debug("cannot handle SIGTERM (" + e.getMessage() + "); the JVM's default applies");
    }
    return s;
  }

  /** A stop that runs once, whoever asks first. */
  static final class Stop {
    private final Runnable stop;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);

    private Stop(Runnable stop) {
      this.stop = stop;
    }

    private void run() {
      if (started.compareAndSet(false, true)) {
        try {
          stop.run();
        } finally {
          done.countDown();
        }
      } else {
        awaitQuietly(); // a shutdown hook must not return before the stop it came second to is done
      }
    }

    /**
     * Runs the stop on a thread of its own, as a SIGTERM does (a test stops an in-process command
     * so).
     */
    void request() {
      Thread.ofPlatform().name("ett-sigterm").start(this::run);
    }

    /** Waits until the stop has run. */
    void await() throws InterruptedException {
      done.await();
    }

    private void awaitQuietly() {
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
