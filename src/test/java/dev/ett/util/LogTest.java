package dev.ett.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: no text handed to the log — a destination name from a local application, a
 * reason from the peer — can forge a line or hide one: every control character (C0, DEL, C1) and
 * the Unicode line and paragraph separators come out escaped, so one event is one line.
 */
class LogTest {
  @Test
  void controlCharactersAreEscaped() {
    String[][] cases = {
      {"a\nb", "a\\nb"},
      {"a\rb", "a\\rb"},
      {"a\tb", "a\\tb"},
      {"a\u0000b", "a\\x00b"},
      {"a\u001bb", "a\\x1bb"},
      {"a\u007fb", "a\\x7fb"},
      {"a\u0085b", "a\\x85b"},
      {"a\u009bb", "a\\x9bb"},
      {"a\u2028b", "a\\u2028b"},
      {"a\u2029b", "a\\u2029b"},
      {"a\\nb", "a\\\\nb"}, // a backslash is doubled, so an escape cannot be faked either
      {"plain: 127.0.0.1:80 [::1] \u00e9 \u00a0", "plain: 127.0.0.1:80 [::1] \u00e9 \u00a0"},
    };
    for (String[] c : cases) {
      assertThat(Log.escape(c[0])).as(c[1]).isEqualTo(c[1]);
    }
    String plain = "link up: alice from /127.0.0.1:4000";
    assertThat(Log.escape(plain)).isSameAs(plain);
  }

  @Test
  void aLineBreakInAMessageDoesNotStartANewLogLine() {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      Log.setLevel(1);
      Log.warn("proxy: a\nb.example:80 refused\n12:00:00.000 INFO link up: mallory\r\u2028");
    } finally {
      System.setErr(saved);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(out.lines()).hasSize(1);
    assertThat(out)
        .endsWith(
            " WARN proxy: a\\nb.example:80 refused\\n12:00:00.000 INFO link up: mallory\\r\\u2028"
                + System.lineSeparator());
  }
}
