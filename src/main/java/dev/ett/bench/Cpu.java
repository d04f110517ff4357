package dev.ett.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU time from /proc, in clock ticks (USER_HZ, 100 on Linux). */
final class Cpu {
  private Cpu() {}

  static final double HZ = 100.0;

  /** user and system ticks of one process (all its threads). */
  record Times(long user, long sys) {
    Times minus(Times o) {
      return new Times(user - o.user, sys - o.sys);
    }

    double seconds() {
      return (user + sys) / HZ;
    }
  }

  static Times of(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // fields after "(comm) ": state is f[0]; utime is field 14 of the line, so f[11]; stime f[12]
      return new Times(Long.parseLong(f[11]), Long.parseLong(f[12]));
    } catch (IOException | RuntimeException e) {
      return new Times(0, 0);
    }
  }

  static Times sum(List<Long> pids) {
    long u = 0;
    long s = 0;
    for (long p : pids) {
      Times t = of(p);
      u += t.user;
      s += t.sys;
    }
    return new Times(u, s);
  }

  /** Busy ticks of the whole machine (all CPUs): everything but idle and iowait. */
  static long machineBusy() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
