package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import dev.ett.exit.Resolver;
import dev.ett.policy.Limits;
import dev.ett.testing.FakeNameServer;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: one client whose names never resolve stalls no one else's lookups (issue 12,
 * item 4: 8 such OPENs made another client's {@code --hosts} name take 19.5 s). Its own lookups end
 * at the resolution timeout with TIMED_OUT, and lookups beyond its cap are refused at once.
 *
 * <p>The server asks a fake name server on 127.0.0.1 (via {@code --dns}) that never answers for
 * {@code *.invalid} and answers {@code ok.test} with 127.0.0.1; {@code intranet.test} is in the
 * server's {@code --hosts}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NameLookupEndToEndTest {
  private static final int CAP = 8;
  private static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(4);

  @Test
  void aClientWhoseNamesNeverResolveDelaysNoOtherClientAndHitsItsOwnCapAndTimeout(@TempDir Path dir)
      throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    try (TestTarget echo =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        FakeNameServer dns =
            FakeNameServer.start(
                Map.of("ok.test", List.of(loopback)), n -> n.endsWith(".invalid"), 300);
        PolicyTunnel t = new PolicyTunnel(dir)) {
      int port = echo.address().getPort();
      t.writeAuthorized("alice", "bob");
      t.writeHosts("127.0.0.1 intranet.test\n");
      t.resolver = new Resolver.Options(List.of(dns.address()), RESOLVE_TIMEOUT, CAP);
      t.startServer(List.of("accept 127.0.0.1:" + port), new Limits(0, 0, 0));
      t.awaitLink("alice");
      t.awaitLink("bob");
      // Warm both paths up (numeric address) so that the timings below measure waiting only.
      t.front("bob", Destination.ofName("127.0.0.1", port)).assertEchoes();

      // alice: CAP streams to names whose name server never answers.
      List<AnyForward> hanging = new ArrayList<>();
      List<Socket> sockets = new ArrayList<>();
      long hangStart = System.nanoTime();
      for (int i = 0; i < CAP; i++) {
        AnyForward f = t.frontToName("alice", "never-" + i + ".invalid", port);
        hanging.add(f);
        sockets.add(Io.connect(f.address));
      }
      PolicyTunnel.await(() -> dns.namesQueried(n -> n.endsWith(".invalid")) >= 4);

      // bob's --hosts name and bob's DNS name open at once meanwhile.
      long t0 = System.nanoTime();
      t.frontToName("bob", "intranet.test", port).assertEchoes();
      double hostsSeconds = (System.nanoTime() - t0) / 1e9;
      long t1 = System.nanoTime();
      t.frontToName("bob", "ok.test", port).assertEchoes();
      double dnsSeconds = (System.nanoTime() - t1) / 1e9;
      System.out.printf(
          "while alice's lookups hang: bob's --hosts name %.3f s, bob's DNS name %.3f s%n",
          hostsSeconds, dnsSeconds);
      assertThat(hostsSeconds)
          .as("seconds for bob's --hosts name while alice's lookups hang")
          .isLessThan(1.0);
      assertThat(dnsSeconds)
          .as("seconds for bob's DNS name while alice's lookups hang")
          .isLessThan(1.0);
      assertThat(dns.queries("ok.test")).as("ok.test was asked of the name server").isPositive();
      for (AnyForward f : hanging) {
        assertThat(f.refusals)
            .as("alice's lookups are still under way: the above overlapped them")
            .isEmpty();
      }

      // alice's lookup number CAP+1 is refused at once: her cap.
      PolicyTunnel.await(() -> dns.namesQueried(n -> n.endsWith(".invalid")) >= CAP);
      AnyForward over = t.frontToName("alice", "one-too-many.invalid", port);
      over.assertRefused(RefuseCode.GENERAL);
      Map<String, Object> capped =
          t.awaitEvent(
              PolicyTunnel.event("stream_refused", "requested", "one-too-many.invalid:" + port));
      assertThat(capped)
          .containsEntry("client", "alice")
          .containsEntry("end", "limit")
          .containsEntry("code", "GENERAL");
      assertThat(capped.get("reason"))
          .isEqualTo("client limit: " + CAP + " name lookups in flight (--client-max-lookups)");
      assertThat(dns.queries("one-too-many.invalid"))
          .as("a lookup over the cap is not sent")
          .isZero();

      // alice's hanging lookups end at the resolution timeout, each with TIMED_OUT.
      for (AnyForward f : hanging) {
        AnyForward.Refusal r = f.nextRefusal();
        assertThat(r.code()).isEqualTo(RefuseCode.TIMED_OUT);
        assertThat(r.reason()).isEqualTo("name did not resolve within 4 s");
      }
      double hangSeconds = (System.nanoTime() - hangStart) / 1e9;
      System.out.printf(
          "alice's %d hanging lookups refused %.3f s after she opened them%n", CAP, hangSeconds);
      assertThat(hangSeconds)
          .as("seconds until alice's lookups were refused")
          .isLessThan(4.0 + 5.0);
      Map<String, Object> timedOut =
          t.awaitEvent(
              PolicyTunnel.event("stream_refused", "requested", "never-0.invalid:" + port));
      assertThat(timedOut)
          .containsEntry("end", "timeout")
          .containsEntry("code", "TIMED_OUT")
          .containsEntry("resolved", null);
      for (Socket s : sockets) {
        s.close();
      }

      // Her slots came back: a name that resolves opens for her too.
      t.frontToName("alice", "ok.test", port).assertEchoes();
    }
  }
}
