package dev.ett.cli;

import dev.ett.util.LogSetup;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The log's options, shared by server, client and connect (docs/operations.md, "Logs"). */
final class LogOptions {
  @Option(
      names = "--log-level",
      split = ",",
      paramLabel = "[PACKAGE=]LEVEL",
      description =
          "off, error, warn, info, debug or trace: for everything, or PACKAGE=LEVEL for a package or class and what is under"
              + " it (dev.ett.mux=debug, io.netty=debug). Repeatable; the last one wins.")
  List<String> levels = new ArrayList<>();

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      description =
          "text (default: date, level, message), json (one object per line) or journald (syslog priority, no date; the"
              + " default when standard error is the journal).")
  String format;

  @Option(
      names = {"-q", "--quiet"},
      description = "Only errors and warnings (as --log-level warn).")
  boolean quiet;

  /**
   * Configures the log for a command: {@code defaultLevel} when nothing else is said, {@code -q}
   * (which never makes a command louder), then {@code verboseSpec} when -v was given, then the
   * --log-level values in order.
   */
  void apply(String defaultLevel, String verboseSpec) {
    List<String> specs = new ArrayList<>();
    if (quiet && !defaultLevel.equals("off")) {
      specs.add("warn");
    }
    if (verboseSpec != null) {
      specs.add(verboseSpec);
    }
    specs.addAll(levels);
    LogSetup.configure(format, defaultLevel, specs);
  }
}
