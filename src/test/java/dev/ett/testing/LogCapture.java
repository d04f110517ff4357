package dev.ett.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * Captures what the log writes while still passing it on, for tests that check the operator-facing
 * log. Close it to stop capturing. It swaps {@code System.err}: Logback's console appender
 * (util/LogSetup) writes each event to whatever {@code System.err} is at that moment, so every line
 * of every logger, in the configured format, comes through here.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream previous = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  public LogCapture() {
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (captured) {
              captured.write(b);
            }
            previous.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (captured) {
              captured.write(b, off, len);
            }
            previous.write(b, off, len);
          }
        };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Every line captured so far. */
  public List<String> lines() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** Waits for a line that matches and returns it; fails the test after {@code timeout}. */
  public String await(Predicate<String> line, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String l : lines()) {
        if (line.test(l)) {
          return l;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no log line matched within " + timeout + "; log:\n" + String.join("\n", lines()));
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    System.setErr(previous);
  }
}
