package dev.ett.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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

    /**
     * This CPU time spread over {@code units} (GB, connections), scaled (1 for seconds, 1e6 for
     * microseconds) and printed with {@code number}: "TOTAL (user U, sys S)".
     */
    String per(double units, double scale, String number) {
      double k = scale / HZ / units;
      return String.format(
          java.util.Locale.ROOT,
          number + " (user " + number + ", sys " + number + ")",
          (user + sys) * k,
          user * k,
          sys * k);
    }
  }

  static Times of(long pid) {
    return stat(pid, false);
  }

  /**
   * From /proc/PID/stat: utime and stime (fields 14 and 15), plus cutime and cstime (16 and 17, the
   * children it reaped) if asked; zero for a process that is gone.
   */
  private static Times stat(long pid, boolean reapedChildren) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // fields after "(comm) ": state is f[0], so field N of the line is f[N - 3]
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long user = Long.parseLong(f[11]);
      long sys = Long.parseLong(f[12]);
      if (reapedChildren) {
        user += Long.parseLong(f[13]);
        sys += Long.parseLong(f[14]);
      }
      return new Times(user, sys);
    } catch (IOException | RuntimeException e) {
      return new Times(0, 0);
    }
  }

  /**
   * The processes and all their live descendants, each counted once, with the time of the children
   * they have already reaped: sshd and socat fork a process per connection, and those do the work.
   */
  static Times sum(List<Long> pids) {
    Set<Long> all = new LinkedHashSet<>();
    for (long p : pids) {
      all.add(p);
      ProcessHandle.of(p).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
    }
    long u = 0;
    long s = 0;
    for (long p : all) {
      Times t = stat(p, true);
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

  /** One thread of a process: its name (/proc comm, at most 15 characters) and CPU time. */
  record ThreadCpu(String name, Times times) {}

  /**
   * Every live thread of {@code pid} by thread id, from /proc/PID/task/TID/{stat,comm}: what shows
   * which event loops did the work (Netty names them after their group, e.g. ett-server-3-1).
   */
  static java.util.Map<Long, ThreadCpu> threads(long pid) {
    java.util.Map<Long, ThreadCpu> m = new java.util.TreeMap<>();
    try (var s = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : s.toList()) {
        try {
          long tid = Long.parseLong(t.getFileName().toString());
          String name = Files.readString(t.resolve("comm")).strip();
          String st = Files.readString(t.resolve("stat"));
          String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
          m.put(tid, new ThreadCpu(name, new Times(Long.parseLong(f[11]), Long.parseLong(f[12]))));
        } catch (IOException | RuntimeException e) {
          // the thread ended between the listing and the read
        }
      }
    } catch (IOException e) {
      // the process is gone: no threads
    }
    return m;
  }

  /**
   * The CPU each thread spent between two {@link #threads} readings, by thread id (threads born
   * meanwhile count from zero; threads that ended are lost, with their time).
   */
  static java.util.Map<Long, ThreadCpu> minus(
      java.util.Map<Long, ThreadCpu> after, java.util.Map<Long, ThreadCpu> before) {
    java.util.Map<Long, ThreadCpu> d = new java.util.TreeMap<>();
    after.forEach(
        (tid, t) -> {
          ThreadCpu b = before.get(tid);
          d.put(tid, new ThreadCpu(t.name(), b == null ? t.times() : t.times().minus(b.times())));
        });
    return d;
  }
}
