package dev.ett.exit;

import dev.ett.policy.OwnAddresses;
import dev.ett.util.Log;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The addresses of this machine's network interfaces, as the exit policy's {@link OwnAddresses}
 * (closed unless a rule names them). Read at start, then again every {@link #PERIOD} on a daemon
 * thread of its own and at each reload ({@link #refresh}), so that an address added by DHCP, SLAAC
 * or an operator is closed within the period while the stream-open path only reads a volatile
 * field.
 *
 * <p>What it cannot see: an address the kernel treats as local without its being on an interface
 * ({@code ip route add local 192.0.2.0/24 dev lo}), and a public address that NAT maps to this
 * machine (a cloud VM's elastic IP, which the VM reaches through the provider's NAT). Such
 * addresses need a {@code reject} rule of their own.
 */
public final class InterfaceAddresses implements Supplier<OwnAddresses>, AutoCloseable {
  /** How often the interfaces are read again: the longest a new address stays open. */
  public static final Duration PERIOD = Duration.ofSeconds(2);

  /** Where the addresses come from: the machine's interfaces, or a test's list. */
  interface Source {
    Collection<InetAddress> read() throws IOException;
  }

  private final Source source;
  private final ScheduledExecutorService timer;
  private volatile OwnAddresses current;

  /** Set while reads fail, so that a lasting failure is logged once. Guarded by this. */
  private boolean failing;

  /** Reads this machine's interfaces now and every {@link #PERIOD} until closed. */
  public static InterfaceAddresses watch() {
    return new InterfaceAddresses(InterfaceAddresses::readInterfaces, PERIOD);
  }

  /** This machine's interface addresses, read once (for {@code ett policy check}). */
  public static OwnAddresses read() throws IOException {
    return OwnAddresses.of(readInterfaces());
  }

  /**
   * @throws UncheckedIOException if the first read fails: a server that cannot tell its own
   *     addresses must not start as if it had none
   */
  InterfaceAddresses(Source source, Duration period) {
    this.source = source;
    try {
      current = OwnAddresses.of(source.read());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read this machine's interface addresses: " + e.getMessage(), e);
    }
    Log.info("addresses of this server (closed unless a rule names them): " + describe(current));
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ett-interfaces");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        this::refresh, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The addresses as last read. */
  @Override
  public OwnAddresses get() {
    return current;
  }

  /**
   * Reads the interfaces again now. A failed read keeps the last addresses (closing nothing that
   * was closed), says so once, and is tried again at the next period.
   */
  public synchronized void refresh() {
    OwnAddresses next;
    try {
      next = OwnAddresses.of(source.read());
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: one escaping the timer's task would cancel every later read.
      if (!failing) {
        failing = true;
        Log.warn(
            "cannot read this machine's interface addresses ("
                + e
                + "); keeping the last ones: "
                + describe(current));
      }
      return;
    }
    failing = false;
    OwnAddresses was = current;
    if (!next.equals(was)) {
      current = next;
      Log.info("addresses of this server changed:" + change(was, next));
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private static String describe(OwnAddresses own) {
    return own.isEmpty() ? "(none besides loopback)" : own.toString();
  }

  /** {@code " added 198.51.100.7; removed 2001:db8::7"} */
  private static String change(OwnAddresses was, OwnAddresses now) {
    Set<InetAddress> added = new HashSet<>(now.addresses());
    added.removeAll(was.addresses());
    Set<InetAddress> removed = new HashSet<>(was.addresses());
    removed.removeAll(now.addresses());
    return (added.isEmpty() ? "" : " added " + OwnAddresses.of(added))
        + (added.isEmpty() || removed.isEmpty() ? "" : ";")
        + (removed.isEmpty() ? "" : " removed " + OwnAddresses.of(removed));
  }

  /**
   * Every address of every interface, up or down (an address on a down interface costs nothing).
   */
  static List<InetAddress> readInterfaces() throws IOException {
    return NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses).toList();
  }
}
