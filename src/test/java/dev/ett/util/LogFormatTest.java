package dev.ett.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.testing.LogCapture;
import dev.ett.testing.LogFrom;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: the log renders each format as the README says (text with a date, one JSON
 * object per line with time, level, logger, thread and message, journald's syslog priorities
 * without a date), levels can be set per package, Netty's own messages come through the same
 * configuration, and in every format text from outside cannot forge a second line.
 */
class LogFormatTest {
  /** A marker in each message: other tests' leftover threads may log into the same capture. */
  private final String id = UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void backToTheDefault() {
    LogSetup.configure("text", "info", List.of());
  }

  private List<String> ours(LogCapture log) {
    return log.lines().stream().filter(l -> l.contains(id)).toList();
  }

  @Test
  void textLinesCarryTheIsoDateAndTimeWithMillisecondsTheLevelAndTheMessage() {
    LogSetup.configure("text", "info", List.of());
    try (LogCapture log = new LogCapture()) {
      Log.info("hello " + id);
      Log.warn("careful " + id);
      Log.error("broken " + id);
      Log.debug("hidden " + id);
      assertThat(ours(log))
          .hasSize(3)
          .satisfiesExactly(
              l ->
                  assertThat(l)
                      .matches(
                          "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO hello "
                              + id),
              l -> assertThat(l).endsWith(" WARN careful " + id),
              l -> assertThat(l).endsWith(" ERROR broken " + id));
    }
  }

  @Test
  void jsonLinesAreOneObjectEachWithTimeLevelLoggerThreadAndMessage() {
    LogSetup.configure("json", "info", List.of());
    try (LogCapture log = new LogCapture()) {
      Log.info("hello " + id);
      List<String> lines = ours(log);
      assertThat(lines).hasSize(1);
      Map<String, String> o = parseObject(lines.get(0));
      assertThat(o).containsOnlyKeys("time", "level", "logger", "thread", "message");
      assertThat(o.get("time"))
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)");
      assertThat(o)
          .containsEntry("level", "INFO")
          .containsEntry("logger", LogFormatTest.class.getName());
      assertThat(o)
          .containsEntry("thread", Thread.currentThread().getName())
          .containsEntry("message", "hello " + id);
    }
  }

  @Test
  void journaldLinesStartWithTheSyslogPriorityAndHaveNoDate() {
    LogSetup.configure("journald", "debug", List.of());
    try (LogCapture log = new LogCapture()) {
      Log.error("e " + id);
      Log.warn("w " + id);
      Log.info("i " + id);
      Log.debug("d " + id);
      assertThat(ours(log))
          .containsExactly(
              "<3>ERROR e " + id, "<4>WARN w " + id, "<6>INFO i " + id, "<7>DEBUG d " + id);
    }
  }

  @Test
  void aPackageAtDebugShowsItsDebugLinesAndNotAnotherPackages() {
    LogSetup.configure("text", "info", List.of("dev.ett.testing=debug"));
    try (LogCapture log = new LogCapture()) {
      LogFrom.debug("from testing " + id);
      Log.debug("from util " + id);
      assertThat(LogFrom.debugEnabled()).isTrue();
      assertThat(Log.debugEnabled()).isFalse();
      assertThat(ours(log)).singleElement().asString().endsWith(" DEBUG from testing " + id);
    }
    LogSetup.configure("text", "info", List.of("dev.ett.util=debug", "dev.ett.testing=warn"));
    try (LogCapture log = new LogCapture()) {
      LogFrom.debug("from testing " + id);
      Log.debug("from util " + id);
      assertThat(ours(log)).singleElement().asString().endsWith(" DEBUG from util " + id);
    }
  }

  @Test
  void theOldIntegerLevelsStillWorkAndSetLevelDropsPackageLevels() {
    LogSetup.configure("text", "info", List.of("dev.ett.testing=debug"));
    assertThat(Log.level()).as("some package logs debug").isEqualTo(2);
    Log.setLevel(1);
    assertThat(Log.level()).isEqualTo(1);
    assertThat(LogFrom.debugEnabled()).isFalse();
    Log.setLevel(Log.SILENT);
    try (LogCapture log = new LogCapture()) {
      Log.error("silenced " + id);
      assertThat(ours(log)).isEmpty();
    }
    assertThat(Log.level()).isEqualTo(Log.SILENT);
    Log.setLevel(2); // -Dett.log=2, the old -v: ett's debug lines, not Netty's
    assertThat(Log.debugEnabled()).isTrue();
    assertThat(InternalLoggerFactory.getInstance("io.netty.ett.LogFormatTest").isDebugEnabled())
        .isFalse();
  }

  @Test
  void badLevelsAndFormatsAreRefusedNamingTheOption() {
    assertThatThrownBy(() -> LogSetup.configure("xml", "info", List.of()))
        .hasMessage("--log-format: 'xml' (expected: text, json or journald)");
    assertThatThrownBy(() -> LogSetup.configure(null, "info", List.of("dev.ett.mux=loud")))
        .hasMessage(
            "--log-level dev.ett.mux: 'loud' (expected: off, error, warn, info, debug or trace)");
    assertThatThrownBy(() -> LogSetup.configure(null, "info", List.of("dev ett=debug")))
        .hasMessageStartingWith(
            "--log-level dev ett=debug: 'dev ett' is not a package or class name");
  }

  @Test
  void nettysOwnMessagesGoThroughTheSameConfiguration() {
    assertThat(InternalLoggerFactory.getDefaultFactory()).isInstanceOf(Slf4JLoggerFactory.class);
    InternalLogger netty = InternalLoggerFactory.getInstance("io.netty.ett.LogFormatTest");
    LogSetup.configure("journald", "info", List.of());
    try (LogCapture log = new LogCapture()) {
      netty.debug("netty debug {}", id);
      netty.warn("netty warn {}", id);
      assertThat(ours(log)).containsExactly("<4>WARN io.netty.ett.LogFormatTest: netty warn " + id);
    }
    LogSetup.configure("text", "info", List.of("io.netty=debug"));
    try (LogCapture log = new LogCapture()) {
      netty.debug("netty debug {}", id);
      assertThat(ours(log))
          .singleElement()
          .asString()
          .endsWith(" DEBUG io.netty.ett.LogFormatTest: netty debug " + id);
    }
  }

  @Test
  void aLineBreakFromOutsideCannotForgeALineInAnyFormat() {
    String evil =
        "a\nb.example:80 "
            + id
            + "\n2026-01-01T00:00:00.000Z INFO link up: mallory\r\u2028\u0085\\n";
    InternalLogger netty = InternalLoggerFactory.getInstance("io.netty.ett.LogFormatTest");
    for (String format : List.of("text", "json", "journald")) {
      LogSetup.configure(format, "info", List.of());
      try (LogCapture log = new LogCapture()) {
        Log.warn("proxy: " + evil);
        netty.warn("netty: {}", evil);
        List<String> lines = ours(log);
        assertThat(lines).as(format).hasSize(2);
        if (format.equals("json")) {
          assertThat(parseObject(lines.get(0)).get("message"))
              .isEqualTo("proxy: " + Log.escape(evil));
          assertThat(parseObject(lines.get(1)).get("message"))
              .isEqualTo("netty: " + Log.escape(evil));
        } else {
          assertThat(lines.get(0)).as(format).endsWith("WARN proxy: " + Log.escape(evil));
          assertThat(lines.get(1))
              .as(format)
              .endsWith("WARN io.netty.ett.LogFormatTest: netty: " + Log.escape(evil));
        }
        assertThat(log.lines())
            .as(format)
            .noneMatch(l -> l.contains("link up: mallory") && !l.contains(id));
      }
    }
  }

  @Test
  void anExceptionFollowsOnIndentedLinesOrInAJsonField() {
    InternalLogger netty = InternalLoggerFactory.getInstance("io.netty.ett.LogFormatTest");
    IOException boom = new IOException("bad\nINFO forged " + id);
    LogSetup.configure("text", "info", List.of());
    try (LogCapture log = new LogCapture()) {
      netty.warn("failed " + id, boom);
      List<String> lines = log.lines();
      int first =
          lines.indexOf(
              lines.stream().filter(l -> l.endsWith("failed " + id)).findFirst().orElseThrow());
      assertThat(lines.get(first + 1)).isEqualTo("\tjava.io.IOException: bad\\nINFO forged " + id);
      assertThat(lines.get(first + 2)).startsWith("\t\tat dev.ett.util.LogFormatTest.");
    }
    LogSetup.configure("json", "info", List.of());
    try (LogCapture log = new LogCapture()) {
      netty.warn("failed " + id, boom);
      List<String> lines = ours(log);
      assertThat(lines).hasSize(1);
      assertThat(parseObject(lines.get(0)).get("exception"))
          .startsWith(
              "java.io.IOException: bad\\nINFO forged "
                  + id
                  + "\n\tat dev.ett.util.LogFormatTest.");
    }
  }

  /** A flat JSON object of strings (all our encoder writes), strictly: anything else fails. */
  static Map<String, String> parseObject(String s) {
    Map<String, String> o = new HashMap<>();
    int[] at = {0};
    expect(s, at, '{');
    while (true) {
      String key = string(s, at);
      expect(s, at, ':');
      o.put(key, string(s, at));
      if (s.charAt(at[0]) == '}') {
        assertThat(at[0]).as("nothing after the object: " + s).isEqualTo(s.length() - 1);
        return o;
      }
      expect(s, at, ',');
    }
  }

  private static void expect(String s, int[] at, char c) {
    assertThat(s.charAt(at[0])).as("at " + at[0] + " of " + s).isEqualTo(c);
    at[0]++;
  }

  private static String string(String s, int[] at) {
    expect(s, at, '"');
    StringBuilder sb = new StringBuilder();
    for (char c; (c = s.charAt(at[0]++)) != '"'; ) {
      assertThat(c).as("a raw control character in JSON: " + s).isGreaterThanOrEqualTo(' ');
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = s.charAt(at[0]++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          sb.append((char) Integer.parseInt(s.substring(at[0], at[0] + 4), 16));
          at[0] += 4;
        }
        default -> throw new AssertionError("bad escape \\" + e + " in " + s);
      }
    }
    return sb.toString();
  }
}
