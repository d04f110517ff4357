package dev.ett.cli;

import dev.ett.util.Log;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ett}: the command line. Each subcommand wires its objects by hand. */
@Command(
    name = "ett",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Encrypted TCP Tunneler: many TCP streams over one Noise IK link.")
public final class Main implements Runnable {
  static final String VERSION = "ett 0.1.0 (protocol 1)";

  /**
   * The subcommands, in the order help lists them. Picocli reads a command's annotations (every
   * option of every subcommand, by reflection) when it is added; a start that names its command
   * adds only that one, which keeps {@code ett connect}, spawned per ssh session, from paying for
   * the other nine.
   */
  private static final List<String> COMMANDS =
      List.of("keygen", "pubkey", "server", "policy", "client", "status", "connect", "passwd", "selftest", "target", "bench", "help");

  /** A new instance of subcommand {@code name}, one of {@link #COMMANDS}. */
  private static Object command(String name) {
    return switch (name) {
      case "keygen" -> new KeygenCommand();
      case "pubkey" -> new PubkeyCommand();
      case "server" -> new ServerCommand();
      case "policy" -> new PolicyCommand();
      case "client" -> new ClientCommand();
      case "status" -> new StatusCommand();
      case "connect" -> new ConnectCommand();
      case "passwd" -> new PasswdCommand();
      case "selftest" -> new SelftestCommand();
      case "target" -> new TargetCommand();
      case "bench" -> new BenchCommand();
      case "help" -> new CommandLine.HelpCommand();
      default -> throw new IllegalArgumentException("command: " + name + " (expected: one of " + COMMANDS + ")");
    };
  }

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

  private static void warmUpCrypto() {
    try {
      dev.ett.noise.KeyPair a = dev.ett.noise.X25519.generate();
      dev.ett.noise.X25519.dh(a.privateKey(), dev.ett.noise.X25519.generate().publicKey());
      javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      javax.crypto.Mac.getInstance("HmacSHA256");
    } catch (Exception | Error e) {
      // Only a head start: the handshake does the same work and reports what fails.
    }
  }

  /** Runs a command line and returns its exit status (used by tests too). */
  public static int run(String... args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      // What picocli would print, without building the command tree first (a third of a second).
      System.out.println(VERSION);
      return 0;
    }
    if (args.length > 0 && (args[0].equals("connect") || args[0].equals("client"))) {
      // The first X25519 operation of a process costs ~0.2 s of provider set-up and interpreted
      // field arithmetic, and the handshake needs five. Start that set-up now on another core,
      // while picocli reads the options and Netty starts its event loop on this one.
      Thread.ofPlatform().daemon().name("ett-warm-up").start(Main::warmUpCrypto);
    }
    CommandLine cl = new CommandLine(new Main());
    if (args.length > 0 && COMMANDS.contains(args[0]) && !args[0].equals("help")) {
      cl.addSubcommand(args[0], command(args[0]));
    } else {
      for (String name : COMMANDS) {
        cl.addSubcommand(name, command(name));
      }
    }
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
