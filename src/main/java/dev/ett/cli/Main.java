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
      List.of(
          "keygen",
          "pubkey",
          "server",
          "policy",
          "audit",
          "client",
          "status",
          "connect",
          "config",
          "passwd",
          "selftest",
          "target",
          "bench",
          "help");

  /** A new instance of subcommand {@code name}, one of {@link #COMMANDS}. */
  static Object command(String name) {
    return switch (name) {
      case "keygen" -> new KeygenCommand();
      case "pubkey" -> new PubkeyCommand();
      case "server" -> new ServerCommand();
      case "policy" -> new PolicyCommand();
      case "audit" -> new AuditCommand();
      case "client" -> new ClientCommand();
      case "status" -> new StatusCommand();
      case "connect" -> new ConnectCommand();
      case "config" -> new ConfigCommand();
      case "passwd" -> new PasswdCommand();
      case "selftest" -> new SelftestCommand();
      case "target" -> new TargetCommand();
      case "bench" -> new BenchCommand();
      case "help" -> new CommandLine.HelpCommand();
      default ->
          throw new IllegalArgumentException(
              "command: " + name + " (expected: one of " + COMMANDS + ")");
    };
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required (see ett --help)");
  }

  public static void main(String[] args) {
    // bin/ett runs with -Xmx64m: streams live off-heap. Netty's adaptive allocator takes a heap
    // under 512 MiB for a machine short of memory and then pools no buffer above its size classes:
    // every link read that a 64 KiB record spills over (the record decoder's cumulation) became a
    // fresh, zeroed, Cleaner-freed direct buffer, among the top frames of a bulk transfer's
    // profile.
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

  /**
   * The whole command tree, every subcommand added: what {@code ett help} lists, and what the
   * package's man pages and shell completion are generated from (packaging/GenerateDocs.java).
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    for (String name : COMMANDS) {
      cl.addSubcommand(name, command(name));
    }
    return cl;
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
    boolean one = args.length > 0 && COMMANDS.contains(args[0]) && !args[0].equals("help");
    return execute(one ? command(args[0]) : null, args);
  }

  /**
   * Runs a command line whose command ({@code args[0]}) is {@code sub}, an instance of it made by
   * the caller (a test, or {@code ett config check}, keeps it to look inside or to stop it); null:
   * every command is added and picocli finds the one named. A {@code --config} file is read here,
   * before picocli sees the arguments ({@link ConfigArgs}).
   */
  static int execute(Object sub, String... args) {
    CommandLine cl = new CommandLine(new Main());
    if (sub != null) {
      cl.addSubcommand(args[0], sub);
    } else {
      cl = commandLine();
    }
    cl.setErr(new PrintWriter(System.err, true));
    ConfigArgs.Loaded loaded = null;
    if (sub instanceof ConfigArgs.Configurable c) {
      try {
        loaded = ConfigArgs.load(args[0], List.of(args).subList(1, args.length));
      } catch (java.io.IOException e) {
        cl.getErr().println("ett: " + e.getMessage());
        return 1;
      }
      if (loaded != null) {
        c.configLoaded(loaded);
        List<String> merged = new java.util.ArrayList<>(List.of(args[0]));
        merged.addAll(loaded.args());
        args = merged.toArray(String[]::new);
      }
    }
    ConfigArgs.Loaded config = loaded;
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          // Expected failures (bad key file, port in use...) are one line, not a stack trace; about
          // a value from the config file, the line names the file, line and key.
          String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
          commandLine.getErr().println("ett: " + (config == null ? msg : config.explain(msg)));
          if (Log.debugEnabled()) {
            ex.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    return cl.execute(args);
  }
}
