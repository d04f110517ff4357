package dev.ett.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ett.config.Hosts;
import dev.ett.config.HostsFile;
import dev.ett.testing.FakeNameServer;
import dev.ett.wire.RefuseCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: the exit's resolver answers as the server needs — {@code --hosts} first and
 * without asking DNS, both address families IPv4 first, answers cached for their TTL, and every
 * failure typed as the client will be told (TIMED_OUT within the deadline, or HOST_UNREACHABLE).
 * Against a fake name server on 127.0.0.1; names from the .test and .invalid TLDs only.
 */
class ResolverTest {
  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal); // a literal: no lookup
  }

  private static Resolver resolver(List<InetSocketAddress> dns, Duration timeout) throws Exception {
    Hosts hosts = HostsFile.parse("hosts", "10.0.0.5 db.test\n");
    return new Resolver(() -> hosts, new Resolver.Options(dns, timeout, 4));
  }

  @Test
  void aHostsNameResolvesWithoutAskingTheNameServer() throws Exception {
    try (FakeNameServer dns =
            FakeNameServer.start(Map.of("db.test", List.of(ip("192.0.2.9"))), n -> false, 300);
        Resolver r = resolver(List.of(dns.address()), Duration.ofSeconds(2))) {
      assertThat(r.fromHosts("DB.test.")).containsExactly(ip("10.0.0.5"));
      assertThat(r.resolve("db.test")).containsExactly(ip("10.0.0.5"));
      assertThat(dns.queries("db.test")).isZero();
    }
  }

  @Test
  void bothAddressFamiliesAreReturnedIpv4First() throws Exception {
    try (FakeNameServer dns =
            FakeNameServer.start(
                Map.of("dual.test", List.of(ip("2001:db8::1"), ip("192.0.2.1"), ip("192.0.2.2"))),
                n -> false,
                300);
        Resolver r = resolver(List.of(dns.address()), Duration.ofSeconds(2))) {
      assertThat(r.resolve("dual.test"))
          .containsExactly(ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8::1"));
    }
  }

  @Test
  void answersAreCachedForTheirTtlAndNotBeyondIt() throws Exception {
    try (FakeNameServer longTtl =
            FakeNameServer.start(Map.of("cached.test", List.of(ip("192.0.2.1"))), n -> false, 300);
        FakeNameServer zeroTtl =
            FakeNameServer.start(Map.of("fresh.test", List.of(ip("192.0.2.1"))), n -> false, 0);
        Resolver cached = resolver(List.of(longTtl.address()), Duration.ofSeconds(2));
        Resolver fresh = resolver(List.of(zeroTtl.address()), Duration.ofSeconds(2))) {
      for (int i = 0; i < 3; i++) {
        assertThat(cached.resolve("cached.test")).containsExactly(ip("192.0.2.1"));
        assertThat(fresh.resolve("fresh.test")).containsExactly(ip("192.0.2.1"));
      }
      int perLookup = longTtl.queries("cached.test"); // A and AAAA
      assertThat(perLookup).isBetween(1, 2);
      assertThat(zeroTtl.queries("fresh.test")).isEqualTo(3 * perLookup);
    }
  }

  @Test
  void theLookupTimerHearsEachDnsLookupsOutcomeAndNotTheHostsTable() throws Exception {
    try (FakeNameServer dns =
            FakeNameServer.start(
                Map.of("ok.test", List.of(ip("192.0.2.1"))), n -> n.startsWith("hangs"), 300);
        Resolver r = resolver(List.of(dns.address()), Duration.ofMillis(800))) {
      List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
      r.setLookupTimer((outcome, nanos) -> heard.add(outcome + (nanos > 0 ? "" : " (no time)")));
      r.resolve("db.test"); // --hosts: no lookup
      r.resolve("ok.test");
      assertThat(catchThrowableOfType(Resolver.Unresolved.class, () -> r.resolve("nosuch.invalid")))
          .isNotNull();
      assertThat(catchThrowableOfType(Resolver.Unresolved.class, () -> r.resolve("hangs.invalid")))
          .isNotNull();
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (heard.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10); // told on the lookup's event loop, maybe just after resolve() returned
      }
      assertThat(heard).containsExactly("ok", "not_found", "timeout");
    }
  }

  @Test
  void aNameThatDoesNotExistIsHostUnreachable() throws Exception {
    try (FakeNameServer dns = FakeNameServer.start(Map.of(), n -> false, 300);
        Resolver r = resolver(List.of(dns.address()), Duration.ofSeconds(5))) {
      long t0 = System.nanoTime();
      Resolver.Unresolved e =
          catchThrowableOfType(Resolver.Unresolved.class, () -> r.resolve("nosuch.invalid"));
      assertThat(e.code).isEqualTo(RefuseCode.HOST_UNREACHABLE);
      assertThat(e.getMessage()).isEqualTo("name does not resolve");
      assertThat((System.nanoTime() - t0) / 1e9).as("seconds for an NXDOMAIN").isLessThan(3.0);
    }
  }

  @Test
  void aSilentNameServerEndsInTimedOutWithinTheDeadline() throws Exception {
    try (FakeNameServer dns = FakeNameServer.start(Map.of(), n -> true, 300);
        Resolver r = resolver(List.of(dns.address()), Duration.ofMillis(800))) {
      long t0 = System.nanoTime();
      Resolver.Unresolved e =
          catchThrowableOfType(Resolver.Unresolved.class, () -> r.resolve("hangs.invalid"));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(e.code).isEqualTo(RefuseCode.TIMED_OUT);
      assertThat(e.getMessage()).isEqualTo("name did not resolve within 0.8 s");
      assertThat(seconds).as("seconds until the lookup gave up").isLessThan(0.8 + 2.0);
      assertThat(dns.queries("hangs.invalid")).isPositive();
    }
  }

  @Test
  void theNextNameServerIsAskedWhenTheFirstIsSilent() throws Exception {
    try (FakeNameServer silent = FakeNameServer.start(Map.of(), n -> true, 300);
        FakeNameServer answering =
            FakeNameServer.start(Map.of("ok.test", List.of(ip("192.0.2.7"))), n -> false, 300);
        Resolver r =
            resolver(List.of(silent.address(), answering.address()), Duration.ofSeconds(4))) {
      assertThat(r.resolve("ok.test")).containsExactly(ip("192.0.2.7"));
      assertThat(silent.queries("ok.test")).isPositive();
    }
  }

  @Test
  void aResolvConfWithoutNameServerMeansLoopbackNotAPublicResolver(@TempDir Path dir)
      throws Exception {
    Path conf = dir.resolve("resolv.conf");
    Files.writeString(
        conf,
        "search example.test\noptions ndots:1\n# nameserver 8.8.8.8\nnameservers-are-not-this\n");
    assertThat(Resolver.resolvConfNamesAServer(conf)).isFalse();
    assertThat(Resolver.resolvConfNamesAServer(dir.resolve("missing"))).isFalse();
    Files.writeString(conf, "search example.test\n  nameserver\t192.0.2.53\n");
    assertThat(Resolver.resolvConfNamesAServer(conf)).isTrue();
  }
}
