package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.policy.Limits;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: through a real server, no spelling of a loopback or unspecified address —
 * numeric shorthands, mapped IPv6, a --hosts name that points at 127.0.0.1 — gets past {@code
 * accept *:*}; each one is reachable once a rule names its range; and two clients' own rules give
 * them different reach.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicySsrfEndToEndTest {
  static TestTarget v4;
  static TestTarget v6;

  @BeforeAll
  static void targets() throws Exception {
    v4 = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
    v6 = TestTarget.start(new InetSocketAddress("::1", 0), TestTarget.Mode.ECHO);
  }

  @AfterAll
  static void stopTargets() {
    v4.close();
    v6.close();
  }

  /**
   * One way of writing the target's address, as the client puts it on the wire. {@code connectable}
   * is false for the unspecified addresses: whether a connect to 0.0.0.0 or :: lands on a loopback
   * listener depends on the kernel and the socket API (Java's own sockets rewrite it, native epoll
   * does not), so for them "reachable" means "the policy let it through".
   */
  record Spelling(String label, Destination destination, String resolved, boolean connectable) {
    Spelling(String label, Destination destination, String resolved) {
      this(label, destination, resolved, true);
    }
  }

  static List<Spelling> spellings() throws Exception {
    int p4 = v4.address().getPort();
    int p6 = v6.address().getPort();
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 127;
    mapped[15] = 1;
    List<Spelling> s = new ArrayList<>();
    String loop4 = "127.0.0.1:" + p4;
    s.add(
        new Spelling(
            "127.0.0.1 (address)", Destination.of(InetAddress.getByName("127.0.0.1"), p4), loop4));
    for (String name :
        List.of(
            "127.1",
            "2130706433",
            "0x7f.1",
            "0177.0.0.1",
            "0x7f000001",
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "[::ffff:127.0.0.1]",
            "[::127.0.0.1]")) {
      s.add(new Spelling(name + " (name)", Destination.ofName(name, p4), loop4));
    }
    s.add(
        new Spelling(
            "::ffff:127.0.0.1 (IPv6 address)",
            Destination.of(Inet6Address.getByAddress(null, mapped, -1), p4),
            loop4));
    s.add(
        new Spelling(
            "0.0.0.0 (address)",
            Destination.of(InetAddress.getByName("0.0.0.0"), p4),
            "0.0.0.0:" + p4,
            false));
    s.add(new Spelling("0 (name)", Destination.ofName("0", p4), "0.0.0.0:" + p4, false));
    s.add(new Spelling("rebind.test (--hosts name)", Destination.ofName("rebind.test", p4), loop4));
    s.add(new Spelling("[::] (name)", Destination.ofName("[::]", p6), "[::]:" + p6, false));
    s.add(
        new Spelling(
            "::1 (address)", Destination.of(InetAddress.getByName("::1"), p6), "[::1]:" + p6));
    s.add(new Spelling("[::1] (name)", Destination.ofName("[::1]", p6), "[::1]:" + p6));
    return s;
  }

  private static PolicyTunnel tunnel(Path dir, String... rules) throws Exception {
    PolicyTunnel t = new PolicyTunnel(dir);
    t.writeAuthorized("alice");
    t.writeHosts("127.0.0.1 rebind.test\n10.0.0.1 multi.test\n127.0.0.1 multi.test\n");
    t.startServer(List.of(rules), Limits.UNLIMITED);
    t.awaitLink("alice");
    return t;
  }

  @Test
  void everySpellingOfLoopbackIsRefusedUnderAcceptAll(@TempDir Path dir) throws Exception {
    try (PolicyTunnel t = tunnel(dir, "accept *:*")) {
      int n = 0;
      for (Spelling s : spellings()) {
        AnyForward f = t.front("alice", s.destination());
        f.assertRefused(RefuseCode.POLICY);
        Map<String, Object> e = t.nthEvent("stream_refused", n++);
        assertThat(e.get("end")).as(s.label()).isEqualTo("policy");
        assertThat(e.get("code")).as(s.label()).isEqualTo("POLICY");
        assertThat(e.get("resolved")).as(s.label()).isEqualTo(s.resolved());
        assertThat((String) e.get("rule"))
            .as(s.label())
            .contains("is special-purpose")
            .contains("does not open it");
      }
      assertThat(t.auditEvents()).noneMatch(e -> "stream_opened".equals(e.get("event")));
    }
  }

  @Test
  void everySpellingIsReachableOnceARuleNamesItsRange(@TempDir Path dir) throws Exception {
    try (PolicyTunnel t =
        tunnel(
            dir,
            "accept 127.0.0.0/8:*, accept 0.0.0.0/8:*, accept [::]:*, accept [::1]:*, accept *:*")) {
      int opened = 0;
      int failed = 0;
      for (Spelling s : spellings()) {
        AnyForward f = t.front("alice", s.destination());
        Map<String, Object> e;
        if (s.connectable()) {
          f.assertEchoes();
          e = t.nthEvent("stream_opened", opened++);
        } else {
          f.assertOpensOrFailsPastPolicy();
          int o = opened, r = failed;
          PolicyTunnel.await(() -> t.count("stream_opened") > o || t.count("stream_refused") > r);
          if (t.count("stream_refused") > failed) {
            e = t.nthEvent("stream_refused", failed++);
            assertThat(e.get("code")).as(s.label()).isNotEqualTo("POLICY");
          } else {
            e = t.nthEvent("stream_opened", opened++);
          }
        }
        assertThat(e.get("resolved")).as(s.label()).isEqualTo(s.resolved());
        assertThat((String) e.get("rule")).as(s.label()).startsWith("accepted by global rule");
      }
    }
  }

  @Test
  void aNameWithAPrivateAndAnAllowedAddressConnectsOnlyToTheAllowedOne(@TempDir Path dir)
      throws Exception {
    // multi.test is 10.0.0.1 and 127.0.0.1 in --hosts; only 127.0.0.0/8 is open, and the server
    // must never try 10.0.0.1 (it is not loopback: a connect would leave this machine).
    try (PolicyTunnel t = tunnel(dir, "accept 127.0.0.0/8:" + v4.address().getPort())) {
      t.frontToName("alice", "multi.test", v4.address().getPort()).assertEchoes();
      Map<String, Object> e =
          t.awaitEvent(
              PolicyTunnel.event(
                  "stream_opened", "requested", "multi.test:" + v4.address().getPort()));
      assertThat(e.get("resolved")).isEqualTo("127.0.0.1:" + v4.address().getPort());
    }
  }

  @Test
  void twoClientsWithDifferentRulesReachDifferentPlaces(@TempDir Path dir) throws Exception {
    PolicyTunnel t = new PolicyTunnel(dir);
    int echo = v4.address().getPort();
    try (TestTarget other =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        t) {
      int otherPort = other.address().getPort();
      t.writeAuthorized("alice accept 127.0.0.1:" + echo, "bob accept 127.0.0.1:" + otherPort);
      t.startServer(List.of("accept 127.0.0.0/8:*"), Limits.UNLIMITED);
      t.awaitLink("alice");
      t.awaitLink("bob");
      Destination toEcho = Destination.ofName("127.0.0.1", echo);
      Destination toOther = Destination.ofName("127.0.0.1", otherPort);

      t.front("alice", toEcho).assertEchoes();
      t.front("alice", toOther).assertRefused(RefuseCode.POLICY);
      t.front("bob", toOther).assertEchoes();
      t.front("bob", toEcho).assertRefused(RefuseCode.POLICY);

      Map<String, Object> aliceOk =
          t.awaitEvent(
              e -> "stream_opened".equals(e.get("event")) && "alice".equals(e.get("client")));
      assertThat(aliceOk.get("rule"))
          .isEqualTo(
              "accepted by client alice rule 1 'accept 127.0.0.1:"
                  + echo
                  + "' and global rule 1 'accept 127.0.0.0/8:*'");
      Map<String, Object> bobNo =
          t.awaitEvent(
              e -> "stream_refused".equals(e.get("event")) && "bob".equals(e.get("client")));
      assertThat((String) bobNo.get("rule"))
          .startsWith("refused by client bob: 127.0.0.1 is special-purpose");
    }
  }
}
