package dev.ett.cli;

import dev.ett.config.ConfigFile;
import dev.ett.config.ConfigFile.Setting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

@Command(
    name = "config",
    description = "Check a configuration file, or print the effective configuration.",
    subcommands = {ConfigCommand.Check.class, ConfigCommand.Print.class})
final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a subcommand is required (config check, config print)");
  }

  /**
   * {@code ett config check FILE}: everything {@code ett server} or {@code ett client} (the file's
   * {@code role}) would check before starting — the file's keys and types, every option's value,
   * the files it names (keys, authorized clients, policy, hosts, users, with their permissions) —
   * through the same code, without binding a port or connecting.
   */
  @Command(
      name = "check",
      description =
          "Check FILE as ett server or ett client (its role key) would at start, without starting.",
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:the configuration is valid",
        "1:it is not (the errors are on standard error)"
      })
  static final class Check implements Callable<Integer> {
    @Parameters(
        paramLabel = "FILE",
        description = "A configuration file with role = \"server\" or role = \"client\".")
    Path file;

    @Override
    public Integer call() throws Exception {
      String role = ConfigArgs.role(ConfigFile.read(file));
      Object command = Main.command(role);
      if (command instanceof ServerCommand s) {
        s.checkOnly = true;
      } else if (command instanceof ClientCommand c) {
        c.checkOnly = true;
      }
      int status = Main.execute(command, role, "--config", file.toString());
      if (status != 0) {
        return 1;
      }
      System.out.println(file + ": ok (ett " + role + ")");
      return 0;
    }
  }

  /**
   * {@code ett config print [server|client] [--config FILE] [FLAGS...]}: the options a command line
   * would run with, file and flags merged and defaults filled in, as a TOML file that {@code
   * --config} accepts again. Each line says where its value came from. Key material is never inline
   * in ett's options (keys are files; {@code server-key} and {@code via} hold public keys); a value
   * that would be a secret is printed as {@code "(redacted)"}: see {@link #secret}.
   */
  @Command(
      name = "print",
      description = {
        "Print the effective configuration of ett server or ett client as TOML: the file, the flags over it, the defaults.",
        "Usage: ett config print [server|client] [--config FILE] [FLAGS...] (the role comes from FILE if not given)."
      })
  static final class Print implements Callable<Integer> {
    @Unmatched List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      List<String> rest = new ArrayList<>(args);
      String role;
      if (!rest.isEmpty() && ConfigArgs.ROLES.contains(rest.get(0))) {
        role = rest.remove(0);
      } else {
        Path file =
            configPath(rest)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "which command? ett config print server|client [FLAGS...], or --config FILE (its role says)"));
        role = ConfigArgs.role(ConfigFile.read(file));
      }
      ConfigArgs.Loaded loaded = ConfigArgs.load(role, rest);
      List<String> all = loaded == null ? rest : loaded.args();
      CommandLine cl = new CommandLine(Main.command(role));
      try {
        cl.parseArgs(all.toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        throw new IllegalArgumentException(
            loaded == null ? e.getMessage() : loaded.explain(e.getMessage()), e);
      }
      System.out.print(render(cl, role, loaded));
      return 0;
    }
  }

  /** The value of {@code --config FILE} or {@code --config=FILE} among {@code args}. */
  static Optional<Path> configPath(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--config") && i + 1 < args.size()) {
        return Optional.of(Path.of(args.get(i + 1)));
      }
      if (args.get(i).startsWith("--config=")) {
        return Optional.of(Path.of(args.get(i).substring("--config=".length())));
      }
    }
    return Optional.empty();
  }

  /** A parsed command's options as a TOML file, with where each value came from. */
  static String render(CommandLine parsed, String role, ConfigArgs.Loaded loaded) {
    CommandSpec spec = parsed.getCommandSpec();
    StringBuilder sb = new StringBuilder();
    sb.append("# ett ")
        .append(role)
        .append(": the effective configuration (ett config print)")
        .append(loaded == null ? "" : "; from " + loaded.file().source() + " and the command line")
        .append('\n');
    sb.append("role = \"").append(role).append("\"\n");
    for (Map.Entry<String, OptionSpec> e : ConfigArgs.keys(spec).entrySet()) {
      String key = e.getKey();
      OptionSpec o = e.getValue();
      Object value = o.getValue();
      if (ConfigArgs.SINGULAR_TOO.contains(key)
          && value instanceof List<?> one
          && one.size() == 1) {
        value = one.get(0); // key = "server.key", as before the server could hold several
      }
      String origin;
      Optional<Setting> inFile =
          loaded == null
              ? Optional.empty()
              : loaded.file().get(key).or(() -> loaded.file().get(ConfigArgs.pluralOf(key)));
      if (inFile.isPresent() && !loaded.overridden().contains(key)) {
        origin = loaded.file().at(inFile.get().line()).replaceFirst(": $", "");
      } else if (parsed.getParseResult().hasMatchedOption(o)) {
        origin = "command line";
      } else {
        origin = "default";
      }
      if (value == null) {
        sb.append("# ")
            .append(key)
            .append(" = ")
            .append(example(o))
            .append("  # not set: ett's default\n");
        continue;
      }
      sb.append(key)
          .append(" = ")
          .append(secret(key, o, value) ? "\"(redacted)\"" : toml(value))
          .append("  # ")
          .append(origin)
          .append('\n');
    }
    return sb.toString();
  }

  private static final Pattern INLINE_KEY = Pattern.compile("[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=");

  /**
   * Whether a value must not be printed: a password, secret or token (by the option's label; none
   * of ett's options takes one today, the rule is for the first that will), or a private key
   * written where its file's path belongs ({@code key = "<base64>"}: the path is printed, the key
   * never).
   */
  static boolean secret(String key, OptionSpec o, Object value) {
    String label = o.paramLabel().toUpperCase(java.util.Locale.ROOT);
    if (label.contains("PASSWORD") || label.contains("SECRET") || label.contains("TOKEN")) {
      return true;
    }
    if (value instanceof List<?> list) { // key = ["<base64>", ...]: any element
      return list.stream().anyMatch(v -> secret(key, o, v));
    }
    return key.equals("key") && INLINE_KEY.matcher(value.toString().strip()).matches();
  }

  private static String example(OptionSpec o) {
    return ConfigArgs.isFlag(o) ? "false" : o.isMultiValue() ? "[]" : "\"" + o.paramLabel() + "\"";
  }

  /** A value as TOML: numbers and booleans bare, lists as arrays, anything else a string. */
  static String toml(Object value) {
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    if (value instanceof List<?> list) {
      List<String> items = new ArrayList<>();
      for (Object v : list) {
        items.add(toml(v));
      }
      return "[" + String.join(", ", items) + "]";
    }
    StringBuilder sb = new StringBuilder("\"");
    for (char c : value.toString().toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
