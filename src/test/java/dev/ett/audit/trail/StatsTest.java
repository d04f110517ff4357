package dev.ett.audit.trail;

import static dev.ett.audit.trail.Lines.closed;
import static dev.ett.audit.trail.Lines.opened;
import static dev.ett.audit.trail.Lines.refused;
import static dev.ett.audit.trail.Lines.up;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: stats rank clients and destinations by bytes (then streams), count refusals
 * by end and code, and count only what happened in the range.
 */
class StatsTest {
  private static Trail trail() {
    return TrailReader.parse(
        "exit",
        List.of(
            up("2025-06-01T12:00:00Z", 1, "alice", "aa", "127.0.0.1:1"),
            up("2025-06-01T12:00:00Z", 2, "bob", "bb", "127.0.0.1:2"),
            opened("2025-06-01T12:00:01Z", 1, "alice", 1, "db:5432", null),
            closed("2025-06-01T12:00:02Z", 1, "alice", 1, "db:5432", 10, 20),
            opened("2025-06-01T12:00:01Z", 2, "bob", 1, "web:80", null),
            closed("2025-06-01T12:00:02Z", 2, "bob", 1, "web:80", 1000, 2000),
            opened("2025-06-01T12:00:03Z", 2, "bob", 3, "db:5432", null),
            closed("2025-06-01T12:00:04Z", 2, "bob", 3, "db:5432", 5, 5),
            refused("2025-06-01T12:00:05Z", 1, "alice", 5, "policy", "POLICY"),
            refused("2025-06-01T12:00:06Z", 1, "alice", 7, "policy", "POLICY"),
            refused("2025-06-01T12:00:07Z", 2, "bob", 5, "refused", "CONNECTION_REFUSED"),
            opened("2025-06-01T13:00:00Z", 1, "alice", 9, "late:1", null)));
  }

  @Test
  void clientsAndDestinationsAreRankedByBytesAndRefusalsCountedByEndAndCode() {
    Stats.Report r = Stats.of(List.of(trail()), null, null, 10);
    assertThat(r.links()).isEqualTo(2);
    assertThat(r.streams()).isEqualTo(4);
    assertThat(r.bytes()).isEqualTo(3040);
    assertThat(r.clients())
        .containsExactly(new Stats.Row("bob", 2, 3010), new Stats.Row("alice", 2, 30));
    assertThat(r.destinations())
        .containsExactly(
            new Stats.Row("web:80", 1, 3000),
            new Stats.Row("db:5432", 2, 40),
            new Stats.Row("late:1", 1, 0));
    assertThat(r.refusals())
        .containsExactly(
            new Stats.Row("policy POLICY", 2, 0),
            new Stats.Row("refused CONNECTION_REFUSED", 1, 0));
  }

  @Test
  void onlyTheRangeCountsAndTopCutsEachTable() {
    Stats.Report r =
        Stats.of(
            List.of(trail()),
            Instant.parse("2025-06-01T12:00:02Z"),
            Instant.parse("2025-06-01T13:00:00Z"),
            1);
    assertThat(r.streams()).isEqualTo(1); // bob's second stream; 13:00 is excluded
    assertThat(r.clients()).containsExactly(new Stats.Row("bob", 1, 10));
    assertThat(r.refusals()).containsExactly(new Stats.Row("policy POLICY", 2, 0));
    assertThat(r.links()).isZero();
  }
}
