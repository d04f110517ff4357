package dev.ett.audit.trail;

import static dev.ett.audit.trail.Lines.closed;
import static dev.ett.audit.trail.Lines.opened;
import static dev.ett.audit.trail.Lines.up;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: a stream to a destination is followed back through the trails of the hops
 * before it by joining each link's remote address with the source of a stream at the hop before,
 * near the same time; the trace says where it stops, and never joins on a port reused later.
 */
class TraceTest {
  private static final Instant AT = Instant.parse("2025-06-01T12:00:30Z");
  private static final Duration W = Duration.ofMinutes(5);

  /** A client at 192.0.2.7 → hop 1 (10.0.0.1) → hop 2 (10.0.0.2) → exit → db.internal:5432. */
  private static Trail hop1() {
    return TrailReader.parse(
        "hop1",
        List.of(
            up("2025-06-01T12:00:00Z", 1, "alice", "aa", "192.0.2.7:40000"),
            opened("2025-06-01T12:00:01Z", 1, "alice", 1, "10.0.0.2:7000", "10.0.0.1:51000")));
  }

  private static Trail hop2() {
    return TrailReader.parse(
        "hop2",
        List.of(
            up("2025-06-01T12:00:01Z", 4, "alice", "aa", "10.0.0.1:51000"),
            opened("2025-06-01T12:00:02Z", 4, "alice", 1, "10.0.0.3:7000", "10.0.0.2:52000")));
  }

  private static Trail exit() {
    return TrailReader.parse(
        "exit",
        List.of(
            up("2025-06-01T12:00:02Z", 9, "alice", "aa", "10.0.0.2:52000"),
            opened("2025-06-01T12:00:10Z", 9, "alice", 3, "db.internal:5432", "10.0.0.3:53000"),
            opened("2025-06-01T12:00:11Z", 9, "alice", 5, "web.internal:80", "10.0.0.3:53001"),
            closed("2025-06-01T12:00:20Z", 9, "alice", 3, "db.internal:5432", 100, 2000)));
  }

  @Test
  void aStreamIsFollowedBackToTheClientsAddressWhateverTheOrderOfTheTrails() {
    List<Trace.Path> paths =
        Trace.trace(List.of(hop2(), exit(), hop1()), Trace.Target.parse("db.internal:5432"), AT, W);
    assertThat(paths).hasSize(1);
    Trace.Path p = paths.get(0);
    assertThat(p.hops()).extracting(s -> s.link().trail()).containsExactly("exit", "hop2", "hop1");
    assertThat(p.hops().get(0).bytesToClient()).isEqualTo(2000);
    assertThat(p.first().link().remote()).isEqualTo("192.0.2.7:40000");
    assertThat(p.end().remote()).isEqualTo("192.0.2.7:40000");
    assertThat(p.end().why())
        .isEqualTo(
            "the link came from 192.0.2.7:40000, which no given audit file shows opening: the"
                + " client itself, or a hop whose audit is missing");
  }

  @Test
  void withoutTheFirstHopsTrailTheTraceStopsAtTheSecondHopNamingTheAddress() {
    List<Trace.Path> paths =
        Trace.trace(List.of(exit(), hop2()), Trace.Target.parse("db.internal"), AT, W);
    assertThat(paths).hasSize(1);
    assertThat(paths.get(0).hops())
        .extracting(s -> s.link().trail())
        .containsExactly("exit", "hop2");
    assertThat(paths.get(0).end().remote()).isEqualTo("10.0.0.1:51000");
  }

  @Test
  void theDestinationMatchesByResolvedAddressAndPortToo() {
    assertThat(Trace.trace(List.of(exit()), Trace.Target.parse("10.9.9.9:5432"), AT, W)).hasSize(1);
    assertThat(Trace.trace(List.of(exit()), Trace.Target.parse("10.9.9.9"), AT, W)).hasSize(2);
    assertThat(Trace.trace(List.of(exit()), Trace.Target.parse("db.internal:5433"), AT, W))
        .isEmpty();
  }

  @Test
  void aStreamOutsideTheWindowIsNotAMatch() {
    assertThat(
            Trace.trace(
                List.of(exit()),
                Trace.Target.parse("db.internal:5432"),
                Instant.parse("2025-06-01T13:00:00Z"),
                W))
        .isEmpty();
  }

  @Test
  void aSourcePortReusedLongAfterTheLinkCameUpIsNotJoined() {
    Trail later =
        TrailReader.parse(
            "other",
            List.of(
                up("2025-06-01T15:00:00Z", 1, "mallory", "ff", "198.51.100.1:1"),
                opened(
                    "2025-06-01T15:00:01Z", 1, "mallory", 1, "10.0.0.3:7000", "10.0.0.2:52000")));
    List<Trace.Path> paths =
        Trace.trace(List.of(exit(), later), Trace.Target.parse("db.internal:5432"), AT, W);
    assertThat(paths.get(0).hops()).hasSize(1);
    assertThat(paths.get(0).end().remote()).isEqualTo("10.0.0.2:52000");
  }

  @Test
  void timesAreRfc3339WithAnOffsetIncludingTheTrailsOwn() {
    assertThat(Trace.time("2025-06-01T12:00:00.123Z"))
        .isEqualTo(Instant.parse("2025-06-01T12:00:00.123Z"));
    assertThat(Trace.time("2025-06-01 14:00:00+02:00"))
        .isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
    assertThat(Trace.time("2025-06-01t12:00:00z")).isEqualTo(Instant.parse("2025-06-01T12:00:00Z"));
    assertThatThrownBy(() -> Trace.time("2025-06-01T12:00:00"))
        .hasMessageContaining("expected: RFC 3339 with an offset");
  }

  @Test
  void destinationsParseWithOrWithoutPortAndBracketsForIpv6() {
    assertThat(Trace.Target.parse("db.internal:5432"))
        .isEqualTo(new Trace.Target("db.internal", 5432));
    assertThat(Trace.Target.parse("DB.internal")).isEqualTo(new Trace.Target("db.internal", 0));
    assertThat(Trace.Target.parse("[2001:db8::1]:443"))
        .isEqualTo(new Trace.Target("2001:db8::1", 443));
    assertThat(Trace.Target.parse("2001:db8::1")).isEqualTo(new Trace.Target("2001:db8::1", 0));
    assertThat(new Trace.Target("2001:db8::1", 443).matches("[2001:db8::1]:443")).isTrue();
    assertThatThrownBy(() -> Trace.Target.parse("db:http")).hasMessageContaining("HOST[:PORT]");
  }
}
