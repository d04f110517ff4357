package dev.ett.server;

import dev.ett.util.Log;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Calls back when one of a few files changes. It watches the files' directories, not the files,
 * because editors and config tools replace a file by renaming a new one over it (the old inode
 * never changes again). Events are debounced: a burst of writes (truncate, write, write, rename)
 * gives one call, {@code debounce} after the last event.
 *
 * <p>Limits: a file reached through a symbolic link whose target changes elsewhere (a Kubernetes
 * ConfigMap) is not noticed; SIGHUP covers that.
 */
public final class ConfigWatcher implements AutoCloseable {
  private final WatchService watch;
  private final Set<Path> files = new HashSet<>();
  private final ScheduledExecutorService timer;
  private final Thread thread;
  private final Duration debounce;
  private final Consumer<String> onChange;
  private ScheduledFuture<?> pending;
  private final Set<String> changed = new HashSet<>();

  /**
   * @param onChange called on the watcher's timer thread with the names of the changed files
   */
  public ConfigWatcher(List<Path> watched, Duration debounce, Consumer<String> onChange)
      throws IOException {
    this.watch = FileSystems.getDefault().newWatchService();
    this.debounce = debounce;
    this.onChange = onChange;
    Set<Path> dirs = new HashSet<>();
    for (Path p : watched) {
      Path abs = p.toAbsolutePath().normalize();
      files.add(abs);
      dirs.add(abs.getParent());
    }
    for (Path d : dirs) {
      d.register(
          watch,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    }
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ett-reload");
              t.setDaemon(true);
              return t;
            });
    this.thread = new Thread(this::run, "ett-watch");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = watch.take();
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> e : key.pollEvents()) {
          if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
            schedule("(events lost)");
            continue;
          }
          Path changedFile = dir.resolve((Path) e.context()).toAbsolutePath().normalize();
          if (files.contains(changedFile)) {
            schedule(changedFile.getFileName().toString());
          }
        }
        key.reset();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    }
  }

  private synchronized void schedule(String file) {
    changed.add(file);
    if (pending != null) {
      pending.cancel(false);
    }
    pending = timer.schedule(this::fire, debounce.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void fire() {
    String what;
    synchronized (this) {
      what = String.join(", ", changed.stream().sorted().toList()) + " changed";
      changed.clear();
      pending = null;
    }
    try {
      onChange.accept(what);
    } catch (RuntimeException e) {
      Log.error("reload after " + what + " failed: " + e);
    }
  }

  @Override
  public void close() {
    try {
      watch.close();
    } catch (IOException e) {
      Log.error("closing the file watcher: " + e.getMessage());
    }
    thread.interrupt();
    timer.shutdownNow();
  }
}
