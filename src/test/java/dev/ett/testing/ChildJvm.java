package dev.ett.testing;

import java.util.ArrayList;
import java.util.List;

/** The command line of {@code ett ARGS} in a JVM of its own, with this test's class path. */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * {@code java [bin/ett's heap and access options] jvmOptions -cp CLASSPATH dev.ett.cli.Main
   * args}: serial GC, a 64 MiB heap, native access for Netty's epoll, and (JDK 24+) Unsafe memory
   * access, as bin/ett starts it. {@code jvmOptions} come after, so they may override.
   */
  public static List<String> ett(List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx64m", "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 24) {
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.ett.cli.Main"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** {@link #ett(List, String...)} without extra JVM options. */
  public static List<String> ett(String... args) {
    return ett(List.of(), args);
  }
}
