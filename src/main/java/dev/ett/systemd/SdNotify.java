package dev.ett.systemd;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * systemd's notification protocol (sd_notify(3)) without the socket: where the service manager
 * listens, whether it wants watchdog pings, and the text of each message. {@link Notifier} sends
 * them; this class knows nothing of Netty so that tests drive it directly.
 *
 * <p>From sd_notify(3) and systemd.service(5):
 *
 * <ul>
 *   <li>{@code NOTIFY_SOCKET} names an AF_UNIX datagram socket: an absolute path, or an abstract
 *       socket written with a leading {@code @} that stands for the NUL byte of the address.
 *       (systemd 254 also passes {@code vsock:} addresses, to virtual machines; ett does not run
 *       there as a guest's init and refuses them by name.)
 *   <li>A message is newline-separated {@code KEY=VALUE} assignments in one datagram.
 *   <li>{@code WATCHDOG_USEC} is the watchdog timeout in microseconds; "daemons should send
 *       WATCHDOG=1 at an interval of half of it". {@code WATCHDOG_PID}, when set, names the process
 *       meant to ping; any other process must not.
 *   <li>{@code RELOADING=1} goes with {@code MONOTONIC_USEC=}, the CLOCK_MONOTONIC time in
 *       microseconds at which the reload began (Type=notify-reload requires it, to match the reload
 *       to the request); {@code READY=1} ends the reload.
 * </ul>
 *
 * @param socket {@code NOTIFY_SOCKET} as given: {@code /run/systemd/notify} or {@code @name}
 * @param watchdog the watchdog timeout, or {@link Duration#ZERO} when none is asked of us
 */
public record SdNotify(String socket, Duration watchdog) {
  /** sockaddr_un's sun_path is 108 bytes, its last one kept for a path's terminating NUL. */
  static final int MAX_ADDRESS_BYTES = 107;

  public static final String WATCHDOG = "WATCHDOG=1";

  public SdNotify {
    if (!socket.startsWith("/") && !(socket.startsWith("@") && socket.length() > 1)) {
      throw new IllegalArgumentException(
          "NOTIFY_SOCKET: "
              + printable(socket)
              + " (expected: an absolute path or an @abstract name)");
    }
    int bytes = socket.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ADDRESS_BYTES) {
      throw new IllegalArgumentException(
          "NOTIFY_SOCKET: " + bytes + " bytes long (expected: at most " + MAX_ADDRESS_BYTES + ")");
    }
    if (watchdog.isNegative()) {
      throw new IllegalArgumentException("watchdog: " + watchdog + " (expected: >= 0)");
    }
  }

  /**
   * Reads {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} from {@code env};
   * empty when there is no service manager to tell (NOTIFY_SOCKET unset or empty). A watchdog meant
   * for another process ({@code WATCHDOG_PID} not {@code pid}) is none of ours.
   *
   * @throws IllegalArgumentException naming the variable and its value when one is malformed
   */
  public static Optional<SdNotify> fromEnvironment(Map<String, String> env, long pid) {
    String socket = env.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return Optional.empty();
    }
    Duration watchdog = Duration.ZERO;
    String usec = env.get("WATCHDOG_USEC");
    if (usec != null && !usec.isEmpty()) {
      long us = positive("WATCHDOG_USEC", usec, "a positive number of microseconds");
      String forPid = env.get("WATCHDOG_PID");
      if (forPid == null
          || forPid.isEmpty()
          || positive("WATCHDOG_PID", forPid, "a process id") == pid) {
        watchdog = Duration.ofNanos(Math.multiplyExact(us, 1000L));
      }
    }
    return Optional.of(new SdNotify(socket, watchdog));
  }

  private static long positive(String name, String value, String expected) {
    try {
      long v = Long.parseLong(value);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below, with the value
    }
    throw new IllegalArgumentException(
        name + ": " + printable(value) + " (expected: " + expected + ")");
  }

  /** The socket's address as sun_path holds it: an abstract name's {@code @} becomes NUL. */
  public String address() {
    return socket.startsWith("@") ? '\0' + socket.substring(1) : socket;
  }

  /** Whether a watchdog is asked of us. */
  public boolean watchdogEnabled() {
    return !watchdog.isZero();
  }

  /** How often to ping: half the watchdog timeout, as sd_watchdog_enabled(3) recommends. */
  public Duration pingInterval() {
    return watchdog.dividedBy(2);
  }

  /** Ready, with what we are doing and our pid (so systemd tracks the JVM, not a launcher). */
  public static String ready(String status, long pid) {
    return "READY=1\nSTATUS=" + printable(status) + "\nMAINPID=" + pid;
  }

  /** A reload began at {@code monotonicUsec} (see {@link #monotonicUsec}). */
  public static String reloading(long monotonicUsec, String status) {
    return "RELOADING=1\nMONOTONIC_USEC=" + monotonicUsec + "\nSTATUS=" + printable(status);
  }

  public static String stopping(String status) {
    return "STOPPING=1\nSTATUS=" + printable(status);
  }

  public static String status(String status) {
    return "STATUS=" + printable(status);
  }

  /**
   * CLOCK_MONOTONIC in microseconds, from {@link System#nanoTime()}: on Linux HotSpot reads that
   * very clock (clock_gettime(CLOCK_MONOTONIC)), which is system-wide, so systemd can compare it
   * with its own reading.
   */
  public static long monotonicUsec(long nanoTime) {
    return nanoTime / 1000;
  }

  /**
   * {@code s} on one line: a newline would start another assignment (a STATUS carrying text from a
   * file could otherwise say READY=1), so every control character becomes a space.
   */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' ? ' ' : c);
    }
    return sb.toString();
  }
}
