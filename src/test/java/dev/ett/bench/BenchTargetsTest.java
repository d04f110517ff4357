package dev.ett.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Goal of this test: the issue-17 table judges each figure the way the issue states it. */
class BenchTargetsTest {
  @Test
  void bulkPassesAtOneFifteenTimesSshAndMissesJustBelow() {
    assertThat(Bench.ratioTarget("bulk", 115, 100, 1.15, false, "").verdict()).isEqualTo("PASS");
    assertThat(Bench.ratioTarget("bulk", 114, 100, 1.15, false, "").verdict()).isEqualTo("MISS");
  }

  @Test
  void cpuPerGbPassesAtEightyFivePercentOfSshAndMissesAbove() {
    Bench.Target pass = Bench.ratioTarget("cpu", 1.7, 2.0, 0.85, true, "");
    assertThat(pass.verdict()).isEqualTo("PASS");
    assertThat(pass.ratio()).isEqualTo("0.85x");
    assertThat(Bench.ratioTarget("cpu", 1.8, 2.0, 0.85, true, "").verdict()).isEqualTo("MISS");
  }

  @Test
  void aFigureNotMeasuredSaysWhatWouldMeasureItInsteadOfAVerdict() {
    Bench.Target t =
        Bench.ratioTarget("bulk", 300, Double.NaN, 1.15, false, " (--with-ssh, figure bulk)");
    assertThat(t.verdict()).isEqualTo("n/a (--with-ssh, figure bulk)");
    assertThat(t.ssh()).isEqualTo("n/a");
    assertThat(t.ratio()).isEmpty();
  }

  @Test
  void startUpAndFootprintAreJudgedAgainstTheirLimit() {
    assertThat(Bench.limitTarget("version", 0.30, 0.3, "s", "").verdict()).isEqualTo("PASS");
    assertThat(Bench.limitTarget("rss", 48.5, 48, "MiB", "").verdict()).isEqualTo("MISS");
    assertThat(Bench.limitTarget("rss", Double.NaN, 48, "MiB", " (x)").verdict())
        .isEqualTo("n/a (x)");
  }
}
