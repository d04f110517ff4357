package dev.ett.cli;

import dev.ett.config.ConfigException;
import dev.ett.config.ConfigFile;
import dev.ett.config.ConfigFile.Array;
import dev.ett.config.ConfigFile.Kind;
import dev.ett.config.ConfigFile.Scalar;
import dev.ett.config.ConfigFile.Setting;
import dev.ett.config.ConfigFile.Table;
import dev.ett.config.ConfigFile.Value;
import dev.ett.config.KeyFile;
import dev.ett.config.Spelling;
import dev.ett.util.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A configuration file ({@link ConfigFile}) turned into the command line it stands for, so that
 * picocli parses the file's values exactly as it parses flags: same converters, same checks, same
 * defaults. The mapping is read off picocli's model of the command, so a new option gets its key
 * the day it is added, and the file and the flags cannot drift apart:
 *
 * <ul>
 *   <li>each option's key is its longest name without the dashes ({@code --first-bytes-timeout} is
 *       {@code first-bytes-timeout}, {@code -L}/{@code --forward} is {@code forward});
 *   <li>an option that takes one value takes a string (an integer too, for numbers, sizes, ports
 *       and durations: {@code threads = 4}); a repeatable option takes an array; a flag ({@code
 *       verbose}) takes a boolean;
 *   <li>a relative path in a file option ({@code key}, {@code authorized}, {@code audit}...) is
 *       relative to the file's directory;
 *   <li>{@code role = "server"|"client"} says which command the file is for (required: {@code ett
 *       config check} reads nothing else to know, and a client file given to the server is named as
 *       such instead of failing key by key).
 * </ul>
 *
 * <p>The command line wins: an option given as a flag replaces the file's value; for a repeatable
 * option the flags replace the file's whole list (so {@code --policy 'accept 127.0.0.1:22'} means
 * exactly that rule, not that rule after the file's). Which options the flags give is decided by
 * picocli itself, parsing them alone with every option optional.
 *
 * <p>The file's values are passed as {@code --name=value}: a value that starts with {@code -} or
 * {@code @} is then never mistaken for an option or an argument file.
 */
final class ConfigArgs {
  private ConfigArgs() {}

  /** The commands a configuration file can be for. */
  static final List<String> ROLES = List.of("server", "client");

  /** Keys that name something not built yet, and what to say instead of "unknown key". */
  private static final Map<String, String> RESERVED = Map.of();

  /**
   * Plural spellings of repeatable options, which read better for a list ({@code keys = ["new.key",
   * "old.key"]}): the same option as the singular key; a file may use one spelling or the other.
   */
  private static final Map<String, String> PLURALS = Map.of("keys", "key");

  /**
   * Repeatable options that were single once: one value without brackets still works ({@code key =
   * "server.key"}, as before the server could hold several keys; {@code audit =
   * "/var/log/ett/audit.jsonl"}, as before a syslog collector could take the trail too; {@code
   * server = "HOST:PORT"}, as before a client could fail over between servers).
   */
  static final Set<String> SINGULAR_TOO = Set.of("key", "audit", "server");

  /** The plural spelling of {@code key} (see {@link #PLURALS}), or a key no file can hold. */
  static String pluralOf(String key) {
    for (Map.Entry<String, String> e : PLURALS.entrySet()) {
      if (e.getValue().equals(key)) {
        return e.getKey();
      }
    }
    return "";
  }

  /**
   * A command that takes {@code --config}: Main hands it what was loaded, for reloads and messages.
   */
  interface Configurable {
    void configLoaded(Loaded loaded);
  }

  /**
   * A file read for a command line.
   *
   * @param file the parsed file
   * @param role the command ({@code server} or {@code client})
   * @param commandLine the flags given after the command's name, as typed
   * @param overridden the keys those flags set, whose file values were left out
   * @param args the whole argument list for picocli: the file's options, then the flags
   * @param names every key's option names ({@code forward} → {@code -L}, {@code --forward})
   */
  record Loaded(
      ConfigFile file,
      String role,
      List<String> commandLine,
      Set<String> overridden,
      List<String> args,
      Map<String, List<String>> names) {
    Loaded {
      commandLine = List.copyOf(commandLine);
      overridden = Set.copyOf(overridden);
      args = List.copyOf(args);
    }

    /** Reads the file again, with the same flags. */
    Loaded reread() throws IOException {
      Loaded l = load(role, commandLine);
      if (l == null) {
        throw new IllegalStateException("--config vanished from " + commandLine);
      }
      return l;
    }

    /**
     * {@code message} with its place in the file, if it is about an option the file set: {@code
     * --threads: 0 (expected: 1~1024)} becomes {@code server.toml:7: threads: 0 (expected:
     * 1~1024)}, and {@code -L 9000:h: ...} the line of that element of {@code forward}. Other
     * messages are returned as they are.
     */
    String explain(String message) {
      for (Setting s : file.settings()) {
        if (overridden.contains(s.key()) || !names.containsKey(s.key())) {
          continue;
        }
        for (String name : names.get(s.key())) {
          if (!message.startsWith(name) || message.length() == name.length()) {
            continue;
          }
          char next = message.charAt(name.length());
          if (next != ':' && next != ' ') {
            continue;
          }
          String rest = message.substring(name.length());
          int line = s.line();
          if (s.value() instanceof Array a) {
            for (Value e : a.elements()) {
              if (e instanceof Scalar sc
                  && (rest.startsWith(" " + sc.text())
                      || rest.startsWith(" '" + sc.text() + "'"))) {
                line = sc.line();
                break;
              }
            }
          }
          return file.at(line) + s.key() + rest;
        }
      }
      return message;
    }
  }

  /** Whether {@code args} might name a config file (an argument file might too). */
  static boolean mayHaveConfig(List<String> args) {
    for (String a : args) {
      if (a.equals("--config") || a.startsWith("--config=") || a.startsWith("@")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads the file that {@code commandLine} (the arguments after {@code role}) names with {@code
   * --config} and returns the merged command line, or null if there is no {@code --config}.
   *
   * @throws ConfigException naming the file, line and key of the first problem
   */
  static Loaded load(String role, List<String> commandLine) throws IOException {
    if (!mayHaveConfig(commandLine)) {
      return null;
    }
    CommandSpec spec = new CommandLine(Main.command(role)).getCommandSpec();
    CommandSpec relaxed = CommandSpec.create();
    for (OptionSpec o : spec.options()) {
      relaxed.addOption(o.toBuilder().required(false).build());
    }
    Set<String> overridden = new LinkedHashSet<>();
    Path path;
    try {
      CommandLine.ParseResult flags =
          new CommandLine(relaxed).parseArgs(commandLine.toArray(String[]::new));
      for (OptionSpec o : flags.matchedOptions()) {
        overridden.add(key(o));
      }
      path = flags.matchedOptionValue("--config", null);
    } catch (CommandLine.ParameterException e) {
      return null; // the real parse reports the same mistake, with the usage
    }
    if (path == null) {
      return null;
    }
    ConfigFile file = ConfigFile.read(path);
    return map(file, role, spec, commandLine, overridden);
  }

  /** The keys of a command: each option but help, version and {@code --config} itself, in order. */
  static Map<String, OptionSpec> keys(CommandSpec spec) {
    Map<String, OptionSpec> keys = new LinkedHashMap<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--config")) {
        keys.put(key(o), o);
      }
    }
    return keys;
  }

  static String key(OptionSpec o) {
    return o.longestName().replaceFirst("^-+", "");
  }

  /** The role the file says it is for; an error if it says none or another one. */
  static String role(ConfigFile file) throws ConfigException {
    Setting s =
        file.get("role")
            .orElseThrow(
                () ->
                    new ConfigException(
                        file.source()
                            + ": no role (expected a line role = \"server\" or role = \"client\")"));
    if (!(s.value() instanceof Scalar sc)
        || sc.kind() != Kind.STRING
        || !ROLES.contains(sc.text())) {
      throw new ConfigException(
          file.at(s.line()) + "role: " + show(s.value()) + " (expected: \"server\" or \"client\")");
    }
    return sc.text();
  }

  /** Maps a file onto {@code spec}'s options; exposed for tests. */
  static Loaded map(
      ConfigFile file,
      String role,
      CommandSpec spec,
      List<String> commandLine,
      Set<String> overridden)
      throws ConfigException {
    String fileRole = role(file);
    if (!fileRole.equals(role)) {
      throw new ConfigException(
          file.at(file.get("role").orElseThrow().line())
              + "role = \""
              + fileRole
              + "\": this file is for ett "
              + fileRole
              + ", not ett "
              + role);
    }
    Map<String, OptionSpec> keys = keys(spec);
    Map<String, List<String>> names = new TreeMap<>();
    Map<String, String> spellings =
        new TreeMap<>(); // every name without dashes -> key (L -> forward)
    for (Map.Entry<String, OptionSpec> e : keys.entrySet()) {
      names.put(e.getKey(), List.of(e.getValue().names()));
      for (String n : e.getValue().names()) {
        spellings.put(n.replaceFirst("^-+", ""), e.getKey());
      }
    }
    List<String> args = new ArrayList<>();
    for (Setting s : file.settings()) {
      String at = file.at(s.line());
      if (s.key().equals("role")) {
        continue;
      }
      if (s.key().equals("config")) {
        throw new ConfigException(at + "config: a configuration file cannot name another one");
      }
      String key = s.key();
      if (PLURALS.containsKey(key) && keys.containsKey(PLURALS.get(key))) {
        key = PLURALS.get(key);
        if (file.get(key).isPresent()) {
          throw new ConfigException(
              at
                  + s.key()
                  + ": and "
                  + key
                  + " on line "
                  + file.get(key).get().line()
                  + " (expected: one of them)");
        }
      }
      OptionSpec o = keys.get(key);
      if (o == null) {
        if (RESERVED.containsKey(s.key())) {
          throw new ConfigException(at + s.key() + ": " + RESERVED.get(s.key()));
        }
        throw new ConfigException(at + unknown(s.key(), role, spellings));
      }
      if (s.value() instanceof Table) {
        throw new ConfigException(
            at
                + s.key()
                + ": a table (expected "
                + expected(o)
                + "; every key is at the top level)");
      }
      List<String> values = values(file, s, o);
      if (isFile(o)) {
        values = values.stream().map(v -> relativeToFile(file, v)).toList();
      } else if (o.paramLabel().startsWith("KEY")) {
        // A key (44 characters of base64) or a file holding one (server-key); two, comma-separated,
        // during a key rotation (KEY[,KEY2]).
        values =
            values.stream()
                .map(
                    v ->
                        String.join(
                            ",",
                            java.util.Arrays.stream(v.split(",", -1))
                                .map(k -> KeyFile.isPublicKey(k) ? k : relativeToFile(file, k))
                                .toList()))
                .toList();
      }
      if (overridden.contains(key)) {
        continue; // checked above all the same: a broken file is broken whatever the flags say
      }
      for (String v : values) {
        args.add(isFlag(o) ? o.longestName() : o.longestName() + "=" + v);
      }
    }
    for (Map.Entry<String, OptionSpec> e : keys.entrySet()) {
      OptionSpec o = e.getValue();
      if (o.required()
          && file.get(e.getKey()).isEmpty()
          && file.get(pluralOf(e.getKey())).isEmpty()
          && !overridden.contains(e.getKey())) {
        throw new ConfigException(
            file.source()
                + ": no "
                + e.getKey()
                + " (required: "
                + e.getKey()
                + " = "
                + example(o)
                + ", or "
                + o.longestName()
                + " on the command line)");
      }
    }
    args.addAll(commandLine);
    return new Loaded(file, role, commandLine, overridden, args, names);
  }

  private static String unknown(String key, String role, Map<String, String> spellings) {
    String hint;
    if (spellings.containsKey(key.replaceFirst("^-+", ""))) {
      hint = " (did you mean '" + spellings.get(key.replaceFirst("^-+", "")) + "'?)";
    } else {
      hint =
          Spelling.closest(key, spellings.values())
              .map(k -> " (did you mean '" + k + "'?)")
              .orElse(
                  " (keys are the long options of ett "
                      + role
                      + " without the dashes: see ett "
                      + role
                      + " --help)");
    }
    return "unknown key '" + key + "'" + hint;
  }

  /**
   * The command-line values of one setting, checked against the option's kind: a flag (true adds
   * it, false leaves it out), a repeatable option (an array of strings or integers), or one value.
   */
  private static List<String> values(ConfigFile file, Setting s, OptionSpec o)
      throws ConfigException {
    String at = file.at(s.line()) + s.key() + ": ";
    if (isFlag(o)) {
      if (s.value() instanceof Scalar sc && sc.kind() == Kind.BOOLEAN) {
        return sc.text().equals("true") ? List.of("") : List.of();
      }
      throw new ConfigException(at + show(s.value()) + " (expected: true or false)");
    }
    if (o.isMultiValue()) {
      if (SINGULAR_TOO.contains(s.key()) && s.value() instanceof Scalar one) {
        if (one.kind() != Kind.STRING) {
          throw new ConfigException(at + show(one) + " (expected: a string or an array of them)");
        }
        return List.of(one.text());
      }
      if (!(s.value() instanceof Array a)) {
        throw new ConfigException(
            at
                + show(s.value())
                + " (expected: an array, "
                + s.key()
                + " = ["
                + example(o)
                + "]; the option is repeatable)");
      }
      List<String> out = new ArrayList<>();
      for (Value e : a.elements()) {
        if (!(e instanceof Scalar sc) || (sc.kind() != Kind.STRING && sc.kind() != Kind.INTEGER)) {
          throw new ConfigException(
              file.at(e.line()) + s.key() + ": an element is " + show(e) + " (expected: strings)");
        }
        out.add(sc.text());
      }
      return out;
    }
    if (!(s.value() instanceof Scalar sc)) {
      throw new ConfigException(
          at + show(s.value()) + " (expected: one value, " + s.key() + " = " + example(o) + ")");
    }
    boolean numeric = isInteger(o.type());
    if (numeric
        && !(sc.kind() == Kind.INTEGER
            || (sc.kind() == Kind.STRING && sc.text().strip().matches("-?\\d+")))) {
      throw new ConfigException(
          at + show(sc) + " (expected: an integer, " + s.key() + " = " + example(o) + ")");
    }
    if (!numeric && sc.kind() != Kind.STRING && sc.kind() != Kind.INTEGER) {
      throw new ConfigException(
          at + show(sc) + " (expected: a string, " + s.key() + " = " + example(o) + ")");
    }
    return List.of(sc.text());
  }

  /** An option that names a file: a {@code Path}, or labelled FILE ({@code --audit FILE|-}). */
  static boolean isFile(OptionSpec o) {
    return o.type() == Path.class || o.paramLabel().equals("FILE");
  }

  /**
   * A relative path in the file is relative to the file's directory, so that {@code
   * /etc/ett/server.toml} can say {@code key = "server.key"} whatever directory ett starts in ("-",
   * standard output for {@code audit}, stays, and so does a URL, {@code syslog://HOST:PORT}).
   */
  private static String relativeToFile(ConfigFile file, String value) {
    if (value.equals("-") || value.isEmpty() || value.contains("://")) {
      return value; // stdout, or a URL such as syslog://host:514
    }
    Path dir = Path.of(file.source()).toAbsolutePath().getParent();
    return dir == null ? value : dir.resolve(value).toString();
  }

  /** An option without a value: picocli's boolean flags ({@code --verbose}). */
  static boolean isFlag(OptionSpec o) {
    return o.arity().max() == 0;
  }

  private static boolean isInteger(Class<?> t) {
    return t == int.class || t == Integer.class || t == long.class || t == Long.class;
  }

  /** What the option expects, for a message: its paramLabel as TOML. */
  private static String example(OptionSpec o) {
    if (isFlag(o)) {
      return "true";
    }
    String label = o.paramLabel();
    return isInteger(o.type()) && !o.isMultiValue() ? label : "\"" + label + "\"";
  }

  private static String expected(OptionSpec o) {
    return isFlag(o) ? "true or false" : o.isMultiValue() ? "an array" : "one value";
  }

  /** A value as the message shows it: its kind, and a scalar's text. */
  private static String show(Value v) {
    return switch (v) {
      case Scalar s ->
          s.kind().article()
              + (s.kind() == Kind.STRING ? " \"" + Log.escape(s.text()) + "\"" : " " + s.text());
      case Array a -> "an array";
      case Table t -> "a table";
    };
  }
}
