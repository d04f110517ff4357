package dev.ett.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.policy.OwnAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the server's own addresses follow its interfaces — a new address is closed
 * within the refresh period (or at once on a reload), a failed read keeps the last addresses rather
 * than opening them — and reading them stays a field read.
 */
class InterfaceAddressesTest {
  static final InetAddress A = ip("93.184.215.14"), B = ip("2a00:1450:4001::7");

  static InetAddress ip(String text) {
    try {
      return InetAddress.getByName(text); // literals only: no DNS
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A source whose answer the test sets; null makes it fail. */
  static final class Scripted implements InterfaceAddresses.Source {
    final AtomicReference<Collection<InetAddress>> next;

    Scripted(Collection<InetAddress> first) {
      next = new AtomicReference<>(first);
    }

    @Override
    public Collection<InetAddress> read() throws IOException {
      Collection<InetAddress> n = next.get();
      if (n == null) {
        throw new IOException("no interfaces today");
      }
      return n;
    }
  }

  @Test
  void anAddressAddedToAnInterfaceIsClosedWithinThePeriod() throws Exception {
    Scripted source = new Scripted(List.of(A));
    try (InterfaceAddresses own = new InterfaceAddresses(source, Duration.ofMillis(50))) {
      assertThat(own.get()).isEqualTo(OwnAddresses.of(A));
      source.next.set(List.of(A, B));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!own.get().contains(B) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(own.get()).isEqualTo(OwnAddresses.of(A, B));
    }
  }

  @Test
  void aReloadReadsThemAtOnce() {
    Scripted source = new Scripted(List.of(A));
    try (InterfaceAddresses own = new InterfaceAddresses(source, Duration.ofHours(1))) {
      source.next.set(List.of(B, ip("127.0.0.1")));
      own.refresh();
      assertThat(own.get()).isEqualTo(OwnAddresses.of(B));
    }
  }

  @Test
  void aFailedReadKeepsTheLastAddresses() {
    Scripted source = new Scripted(List.of(A, B));
    try (InterfaceAddresses own = new InterfaceAddresses(source, Duration.ofHours(1))) {
      source.next.set(null);
      own.refresh();
      own.refresh();
      assertThat(own.get()).isEqualTo(OwnAddresses.of(A, B));
      source.next.set(List.of(A));
      own.refresh();
      assertThat(own.get()).isEqualTo(OwnAddresses.of(A));
    }
  }

  @Test
  void aServerThatCannotReadItsAddressesDoesNotStart() {
    assertThatThrownBy(() -> new InterfaceAddresses(new Scripted(null), Duration.ofHours(1)))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessage("cannot read this machine's interface addresses: no interfaces today");
  }

  @Test
  void thisMachinesAddressesAreEveryInterfaceAddressButLoopback() throws Exception {
    OwnAddresses own = InterfaceAddresses.read();
    assertThat(own.contains(ip("127.0.0.1"))).isFalse();
    assertThat(own.contains(ip("::1"))).isFalse();
    for (NetworkInterface ni : NetworkInterface.networkInterfaces().toList()) {
      for (InetAddress a : ni.inetAddresses().toList()) {
        if (!a.isLoopbackAddress()) {
          assertThat(own.contains(InetAddress.getByAddress(a.getAddress())))
              .as(ni + " " + a)
              .isTrue();
        }
      }
    }
  }
}
