package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: a server whose standard error is the journal (systemd sets {@code
 * JOURNAL_STREAM} to that stream's device and inode) writes journald's lines, the syslog priority
 * first and no date of its own; one that only inherited the variable, its standard error being
 * something else now (a shell script's redirection), keeps the dated text lines.
 */
class JournaldLogTest {
  @TempDir Path dir;

  /**
   * Starts {@code ett server} in a child JVM with {@code JOURNAL_STREAM} set by a shell to {@code
   * value}, evaluated with the child's standard error as file descriptor 2, and returns its first
   * lines up to the one saying it listens.
   */
  private List<String> serverLines(String journalStream) throws Exception {
    KeyPair serverKey = X25519.generate();
    Path sk = dir.resolve("server.key");
    KeyFile.write(sk, serverKey.privateKey(), serverKey.publicKey());
    Path authorized = dir.resolve("authorized");
    Files.writeString(authorized, KeyFile.encode(X25519.generate().publicKey()) + " alice\n");
    List<String> cmd =
        new ArrayList<>(
            List.of("sh", "-c", "JOURNAL_STREAM=" + journalStream + " exec \"$@\"", "sh"));
    cmd.addAll(
        ChildJvm.ett(
            List.of("-XX:TieredStopAtLevel=1"),
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            sk.toString(),
            "--authorized",
            authorized.toString(),
            "--policy",
            "accept 127.0.0.1:9"));
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try (BufferedReader err =
        new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
      List<String> lines = new ArrayList<>();
      for (String line; (line = err.readLine()) != null; ) {
        lines.add(line);
        if (line.contains("listening on")) {
          return lines;
        }
      }
      throw new AssertionError("the server ended before listening:\n" + String.join("\n", lines));
    } finally {
      p.destroy();
      p.waitFor(30, TimeUnit.SECONDS);
      p.destroyForcibly();
    }
  }

  @Test
  void underJournaldLinesCarryTheSyslogPriorityAndNoDate() throws Exception {
    // What systemd does: the device and inode of the stream, here the pipe to this test.
    List<String> lines = serverLines("$(stat -L -c %d:%i /proc/self/fd/2)");
    assertThat(lines).last().asString().startsWith("<6>INFO ett server listening on /127.0.0.1:");
    assertThat(lines).allMatch(l -> l.matches("<[3-7]>[A-Z]+ .*"), "every line has a priority");
  }

  @Test
  void aJournalStreamThatIsNotStandardErrorKeepsTheTextFormat() throws Exception {
    List<String> lines = serverLines("1:1");
    assertThat(lines)
        .last()
        .asString()
        .matches(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO ett server listening on .*");
  }
}
