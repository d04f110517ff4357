package dev.ett.cli;

import dev.ett.util.Log;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ett}: the command line. Each subcommand wires its objects by hand. */
@Command(
    name = "ett",
    mixinStandardHelpOptions = true,
    version = "ett 0.1.0 (protocol 1)",
    description = "Encrypted TCP Tunneler: many TCP streams over one Noise IK link.",
    subcommands = {
      KeygenCommand.class,
      PubkeyCommand.class,
      ServerCommand.class,
      PolicyCommand.class,
      ClientCommand.class,
      ConnectCommand.class,
      PasswdCommand.class,
      SelftestCommand.class,
      TargetCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see ett --help)");
  }

  public static void main(String[] args) {
    // bin/ett runs with -Xmx64m: streams live off-heap. Netty's adaptive allocator takes a heap
    // under 512 MiB for a machine short of memory and then pools no buffer above its size classes:
    // every link read that a 64 KiB record spills over (the record decoder's cumulation) became a
    // fresh, zeroed, Cleaner-freed direct buffer, among the top frames of a bulk transfer's profile.
    // Pooling them: bulk medians +5-7 % here (bin/ett bench --only bulk, alternating A/B on a quiet
    // machine). The user's -D wins.
    if (System.getProperty("io.netty.allocator.lowMemory") == null) {
      System.setProperty("io.netty.allocator.lowMemory", "false");
    }
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit status (used by tests too). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          // Expected failures (bad key file, port in use...) are one line, not a stack trace.
          String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
          commandLine.getErr().println("ett: " + msg);
          if (Log.debugEnabled()) {
            ex.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    cl.setErr(new PrintWriter(System.err, true));
    return cl.execute(args);
  }
}
