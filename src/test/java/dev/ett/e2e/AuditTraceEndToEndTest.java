package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.audit.trail.Trace;
import dev.ett.audit.trail.Trail;
import dev.ett.audit.trail.TrailReader;
import dev.ett.bench.TestTarget;
import dev.ett.cli.Main;
import dev.ett.config.KeyFile;
import dev.ett.wire.Destination;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: with each hop of a three-hop chain writing its own audit trail, {@code ett
 * audit trace} follows a stream from the exit back through both relays to the client's key and
 * address, given the three files in any order; without the first hop's file it stops at hop 2 and
 * names the address it cannot follow; {@code ett audit stats} counts the same streams. Only what
 * each hop already knew is in its trail (ChainEndToEndTest checks the relays never see the
 * destination; the new {@code source} field is the hop's own address).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AuditTraceEndToEndTest {
  static final String SECRET = "secret-intranet.ett-test";

  @TempDir Path dir;

  /** What a chain did: streams to two destinations, and where to find each hop's trail. */
  record Run(
      List<Path> files,
      String clientAddress,
      String hop1Source,
      String dest,
      int destStreams,
      Instant at) {}

  private Run chainWithStreams(ChainNet net, TestTarget a, TestTarget b) throws Exception {
    net.connect();
    AnyForward toA = net.front(Destination.ofName(SECRET, a.address().getPort()));
    AnyForward toB = net.front(Destination.of(b.address().getAddress(), b.address().getPort()));
    net.awaitRoute();
    Instant at = Instant.now();
    for (int i = 0; i < 3; i++) {
      assertThat(ChainEndToEndTest.echoes(toA.address, 1000 + i, i)).isTrue();
    }
    for (int i = 0; i < 2; i++) {
      assertThat(ChainEndToEndTest.echoes(toB.address, 500, 10 + i)).isTrue();
    }
    // Every stream to a destination is closed at the exit before its trail is read.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (net.hop(3).events().stream().filter(e -> "stream_closed".equals(e.get("event"))).count()
        < 5) {
      assertThat(System.nanoTime())
          .as("5 stream_closed at the exit within 30 s")
          .isLessThan(deadline);
      Thread.sleep(20);
    }
    String client = net.clientAddressAtHop1();
    Map<String, Object> opened1 = ChainEndToEndTest.first(net.hop(1).events(), "stream_opened");
    List<Path> files = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      net.hop(n).events(); // waits for the writer
      files.add(net.hop(n).auditFile);
    }
    return new Run(
        files, client, (String) opened1.get("source"), SECRET + ":" + a.address().getPort(), 3, at);
  }

  @Test
  void aStreamIsTracedFromTheExitBackToTheClientsKeyAndStopsAtHop2WithoutHop1sTrail()
      throws Exception {
    try (TestTarget a =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        TestTarget b =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net =
            ChainNet.start(dir, 3, "accept 127.0.0.0/8:*", "127.0.0.1 " + SECRET + "\n")) {
      Run r = chainWithStreams(net, a, b);
      String fingerprint = KeyFile.fingerprint(net.alice.publicKey());
      // Given in the order 3, 1, 2: each file is one hop's whole trail.
      List<Trail> all = new ArrayList<>();
      for (int n : new int[] {3, 1, 2}) {
        all.add(TrailReader.read("hop" + n, List.of(r.files().get(n - 1))));
      }
      assertThat(all).allSatisfy(t -> assertThat(t.skipped().total()).isZero());

      List<Trace.Path> paths =
          Trace.trace(all, Trace.Target.parse(r.dest()), r.at(), java.time.Duration.ofMinutes(5));
      assertThat(paths).hasSize(r.destStreams());
      for (Trace.Path p : paths) {
        assertThat(p.hops())
            .extracting(s -> s.link().trail())
            .containsExactly("hop3", "hop2", "hop1");
        assertThat(p.hops().get(0).requested()).isEqualTo(r.dest());
        assertThat(p.hops().get(0).bytesFromClient()).isBetween(1000L, 1002L);
        assertThat(p.first().link().client()).isEqualTo("alice");
        assertThat(p.first().link().fingerprint()).isEqualTo(fingerprint);
        assertThat(p.end().remote()).isEqualTo(r.clientAddress());
      }

      // Hop 1's operator does not hand over their file: the trail ends at hop 2, at hop 1's
      // address, and says so.
      List<Trace.Path> without =
          Trace.trace(
              List.of(all.get(0), all.get(2)),
              Trace.Target.parse(r.dest()),
              r.at(),
              java.time.Duration.ofMinutes(5));
      assertThat(without).hasSize(r.destStreams());
      for (Trace.Path p : without) {
        assertThat(p.hops()).extracting(s -> s.link().trail()).containsExactly("hop3", "hop2");
        assertThat(p.end().remote()).isEqualTo(r.hop1Source()).isNotEqualTo(r.clientAddress());
      }

      // The same through the command line, as an operator runs it.
      Cli text =
          cli(
              "audit",
              "trace",
              "--at",
              r.at().toString(),
              r.dest(),
              r.files().get(2).toString(),
              r.files().get(0).toString(),
              r.files().get(1).toString());
      assertThat(text.status()).isZero();
      assertThat(text.out())
          .startsWith("3 streams to " + r.dest() + " within ")
          .contains("client: alice (fingerprint " + fingerprint + ") from " + r.clientAddress())
          .contains(
              "the trail ends: the link came from "
                  + r.clientAddress()
                  + ", which no given audit file shows opening");
      assertThat(text.err()).isEmpty();
      Cli stopped =
          cli(
              "audit",
              "trace",
              "--at",
              r.at().toString(),
              "--json",
              r.dest(),
              r.files().get(2).toString(),
              r.files().get(1).toString());
      assertThat(stopped.status()).isZero();
      assertThat(stopped.out())
          .contains("\"ends_at\" : \"" + r.hop1Source() + "\"")
          .doesNotContain(r.clientAddress());
    }
  }

  @Test
  void statsCountTheStreamsOfEachDestinationAtTheExit() throws Exception {
    try (TestTarget a =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        TestTarget b =
            TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
        ChainNet net =
            ChainNet.start(dir, 3, "accept 127.0.0.0/8:*", "127.0.0.1 " + SECRET + "\n")) {
      Run r = chainWithStreams(net, a, b);
      Cli stats = cli("audit", "stats", "--top", "5", r.files().get(2).toString());
      assertThat(stats.status()).isZero();
      String bDest = "127.0.0.1:" + b.address().getPort();
      assertThat(stats.out())
          .startsWith("1 links, 5 streams, ")
          .containsPattern("\\n +3 +\\d+ bytes  " + java.util.regex.Pattern.quote(r.dest()) + "\\n")
          .containsPattern("\\n +2 +2000 bytes  " + java.util.regex.Pattern.quote(bDest) + "\\n")
          .containsPattern("\\n +5 +\\d+ bytes  alice\\n");
    }
  }

  record Cli(int status, String out, String err) {}

  /** Runs {@code ett ARGS} in this JVM with its standard output and error captured. */
  static synchronized Cli cli(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int status = Main.run(args);
      return new Cli(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
