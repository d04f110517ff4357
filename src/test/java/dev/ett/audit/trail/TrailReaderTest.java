package dev.ett.audit.trail;

import static dev.ett.audit.trail.Lines.closed;
import static dev.ett.audit.trail.Lines.down;
import static dev.ett.audit.trail.Lines.opened;
import static dev.ett.audit.trail.Lines.up;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: a trail read back ties each stream to the link that carried it (the right
 * one across a restart and across rotated files), and damaged or unknown lines are counted and
 * skipped, never fatal.
 */
class TrailReaderTest {
  @TempDir Path dir;

  @Test
  void aStreamIsTiedToItsLinkAndItsCloseToItsOpen() {
    Trail t =
        TrailReader.parse(
            "exit",
            List.of(
                up("2025-06-01T12:00:00Z", 1, "alice", "aa11", "127.0.0.1:5000"),
                opened("2025-06-01T12:00:01Z", 1, "alice", 1, "db.internal:5432", "10.0.0.1:6000"),
                closed("2025-06-01T12:00:02Z", 1, "alice", 1, "db.internal:5432", 12, 34),
                down("2025-06-01T12:00:03Z", 1, "alice", "127.0.0.1:5000")));
    assertThat(t.streams()).hasSize(1);
    Trail.Stream s = t.streams().get(0);
    assertThat(s.link().remote()).isEqualTo("127.0.0.1:5000");
    assertThat(s.link().fingerprint()).isEqualTo("aa11");
    assertThat(s.link().down()).isEqualTo(Instant.parse("2025-06-01T12:00:03Z"));
    assertThat(s.source()).isEqualTo("10.0.0.1:6000");
    assertThat(s.opened()).isEqualTo(Instant.parse("2025-06-01T12:00:01Z"));
    assertThat(s.closed()).isEqualTo(Instant.parse("2025-06-01T12:00:02Z"));
    assertThat(s.bytesFromClient()).isEqualTo(12);
    assertThat(s.bytesToClient()).isEqualTo(34);
    assertThat(s.end()).isEqualTo("fin");
    assertThat(t.skipped().total()).isZero();
  }

  @Test
  void afterARestartLinkOneIsTheNewLinkOne() {
    Trail t =
        TrailReader.parse(
            "exit",
            List.of(
                up("2025-06-01T12:00:00Z", 1, "alice", "aa", "127.0.0.1:5000"),
                up("2025-06-01T13:00:00Z", 1, "bob", "bb", "127.0.0.1:7000"),
                opened("2025-06-01T13:00:01Z", 1, "bob", 1, "db.internal:5432", null)));
    assertThat(t.streams().get(0).link().remote()).isEqualTo("127.0.0.1:7000");
    assertThat(t.links()).hasSize(2);
  }

  @Test
  void damagedAndUnknownLinesAreCountedAndSkipped() {
    Trail t =
        TrailReader.parse(
            "exit",
            List.of(
                "not json at all",
                up("2025-06-01T12:00:00Z", 1, "alice", "aa", "127.0.0.1:5000"),
                "{\"time\":\"2025-06-01T12:00:00Z\",\"event\":\"listener_up\",\"port\":1}",
                "{\"time\":\"2025-06-01T12:00:00Z\",\"event\":\"stream_opened\",\"link\":\"one\"}",
                "[1,2]",
                opened("2025-06-01T12:00:01Z", 1, "alice", 1, "db.internal:5432", null),
                "{\"time\":\"2025-06-01T12:00:02Z\",\"event\":\"stream_clo"));
    assertThat(t.streams()).hasSize(1);
    assertThat(t.skipped().notJson()).isEqualTo(3);
    assertThat(t.skipped().unknownEvent()).isEqualTo(1);
    assertThat(t.skipped().badFields()).isEqualTo(1);
    assertThat(t.skipped().describe())
        .isEqualTo(
            "5 lines skipped: 3 not JSON (exit:1), 1 of unknown events (exit:3: event"
                + " listener_up), 1 with missing or ill-typed fields (exit:4: link: \"one\" (not an"
                + " integer))");
  }

  @Test
  void aStreamWhoseOpeningIsInNoFileStillCountsFromItsClose() {
    Trail t =
        TrailReader.parse(
            "exit", List.of(closed("2025-06-01T12:00:02Z", 4, "alice", 9, "db:1", 1, 2)));
    Trail.Stream s = t.streams().get(0);
    assertThat(s.opened()).isEqualTo(Instant.parse("2025-06-01T12:00:01Z"));
    assertThat(s.link().client()).isEqualTo("alice");
    assertThat(s.link().remote()).isNull();
  }

  @Test
  void rotatedFilesGzipdOrNotAreReadOldestFirstWhateverTheirOrderOnTheCommandLine()
      throws Exception {
    Path old = dir.resolve("audit.jsonl.1.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(old))) {
      out.write(
          (up("2025-06-01T12:00:00Z", 1, "alice", "aa", "127.0.0.1:5000") + "\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    Path now = dir.resolve("audit.jsonl");
    Files.writeString(
        now,
        opened("2025-06-01T12:00:01Z", 1, "alice", 1, "db.internal:5432", "10.0.0.1:6000") + "\n");
    Trail t = TrailReader.read("exit", List.of(now, old));
    assertThat(t.streams()).hasSize(1);
    assertThat(t.streams().get(0).link().remote()).isEqualTo("127.0.0.1:5000");
    assertThat(t.skipped().total()).isZero();
  }
}
