package dev.ett.testing;

import dev.ett.util.Log;

/** Log calls made from a class of another package than the test's, for per-package levels. */
public final class LogFrom {
  private LogFrom() {}

  public static void debug(String msg) {
    Log.debug(msg);
  }

  public static boolean debugEnabled() {
    return Log.debugEnabled();
  }
}
