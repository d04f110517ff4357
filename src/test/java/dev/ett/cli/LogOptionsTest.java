package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.util.Log;
import dev.ett.util.LogSetup;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the log options of server, client and connect combine as the README says
 * (-q, -v, then --log-level in order) and a wrong value stops the command with one line naming it.
 */
class LogOptionsTest {
  @AfterEach
  void backToTheDefault() {
    LogSetup.configure("text", "info", List.of());
  }

  private static LogOptions options(boolean quiet, String... levels) {
    LogOptions o = new LogOptions();
    o.quiet = quiet;
    o.levels = List.of(levels);
    return o;
  }

  @Test
  void quietIsWarnButNeverMakesASilentCommandLouder() {
    options(true).apply("info", null);
    assertThat(Log.level()).isEqualTo(0);
    options(true).apply("off", null);
    assertThat(Log.level()).as("connect stays silent").isEqualTo(Log.SILENT);
  }

  @Test
  void verboseIsOwnDebugAndAnExplicitLevelComesLast() {
    options(false).apply("info", "dev.ett=debug");
    assertThat(Log.level()).isEqualTo(2);
    assertThat(Log.debugEnabled()).as("this class is under dev.ett").isTrue();
    options(false, "dev.ett=info").apply("info", "dev.ett=debug");
    assertThat(Log.level()).isEqualTo(1);
    options(true, "info").apply("off", "info");
    assertThat(Log.level()).isEqualTo(1);
  }

  @Test
  void aWrongLevelStopsTheServerWithOneLineNamingTheOption() {
    CliTest.Run r =
        CliTest.run(
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            "/nonexistent/k",
            "--authorized",
            "/nonexistent/a",
            "--log-level",
            "dev.ett.mux=loud");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "ett: --log-level dev.ett.mux: 'loud' (expected: off, error, warn, info, debug or trace)\n");
    CliTest.Run f =
        CliTest.run(
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            "x",
            "--key",
            "k",
            "-L",
            "1:h:2",
            "--log-format",
            "xml");
    assertThat(f.err()).isEqualTo("ett: --log-format: 'xml' (expected: text, json or journald)\n");
  }
}
