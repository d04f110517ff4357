package dev.ett.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Every live child process, so that a shutdown hook (Ctrl-C) can stop them all. */
final class Children {
  private Children() {}

  private static final Set<Child> LIVE = new LinkedHashSet<>();
  private static boolean hooked;

  static synchronized void register(Child c) {
    if (!hooked) {
      hooked = true;
      Runtime.getRuntime().addShutdownHook(new Thread(Children::stopAll, "bench-cleanup"));
    }
    LIVE.add(c);
  }

  static synchronized void unregister(Child c) {
    LIVE.remove(c);
  }

  /** Stops all children, newest first (client before server before targets). */
  static void stopAll() {
    List<Child> all;
    synchronized (Children.class) {
      all = new ArrayList<>(LIVE);
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      all.get(i).close();
    }
  }
}
