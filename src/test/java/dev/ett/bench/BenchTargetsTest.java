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

  @Test
  void twoLinksPassAtOnePointThreeTimesOneLinkOfTheSameRunAndMissJustBelow() {
    Bench.Target pass = Bench.linksTarget(8, 650, 500);
    assertThat(pass.verdict()).isEqualTo("PASS");
    assertThat(pass.ratio()).isEqualTo("1.30x");
    assertThat(pass.ssh()).isEqualTo("500 --links 1");
    assertThat(pass.name()).contains("8 streams");
    assertThat(Bench.linksTarget(8, 645, 500).verdict()).isEqualTo("MISS");
    assertThat(Bench.linksTarget(8, Double.NaN, Double.NaN).verdict())
        .isEqualTo("n/a (--only links)");
  }

  @Test
  void aThreadsCpuBetweenTwoReadingsCountsANewThreadFromZero() {
    var before = java.util.Map.of(1L, new Cpu.ThreadCpu("ett-server-3-1", new Cpu.Times(10, 5)));
    var after =
        java.util.Map.of(
            1L, new Cpu.ThreadCpu("ett-server-3-1", new Cpu.Times(40, 15)),
            2L, new Cpu.ThreadCpu("ett-server-3-2", new Cpu.Times(7, 3)));
    var d = Cpu.minus(after, before);
    assertThat(d.get(1L).times()).isEqualTo(new Cpu.Times(30, 10));
    assertThat(d.get(2L).times()).isEqualTo(new Cpu.Times(7, 3));
  }

  @Test
  void theThreadsOfThisProcessAreReadFromProc() {
    assertThat(Cpu.threads(ProcessHandle.current().pid()).values())
        .extracting(Cpu.ThreadCpu::name)
        .contains("Finalizer"); // the main thread is "java" in /proc
  }
}
