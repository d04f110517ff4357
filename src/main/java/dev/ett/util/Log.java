package dev.ett.util;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * A tiny logger: one line per event on standard error. Never given keys or payload. Levels: -1
 * silent (ett connect, which says what failed in its own one line), 0 errors and warnings, 1 info
 * (default), 2 debug.
 */
public final class Log {
  private static volatile int level = Integer.getInteger("ett.log", 1);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private Log() {}

  public static final int SILENT = -1;

  public static void setLevel(int l) {
    level = l;
  }

  public static boolean debugEnabled() {
    return level >= 2;
  }

  public static void error(String msg) {
    print("ERROR", msg);
  }

  public static void warn(String msg) {
    print("WARN", msg);
  }

  public static void info(String msg) {
    if (level >= 1) {
      print("INFO", msg);
    }
  }

  public static void debug(String msg) {
    if (level >= 2) {
      print("DEBUG", msg);
    }
  }

  private static void print(String lvl, String msg) {
    if (level < 0) {
      return;
    }
    System.err.println(LocalTime.now().format(TIME) + " " + lvl + " " + msg);
  }
}
