package dev.ett.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal of these tests: the README and the pages in docs/ cannot drift from the repository and the
 * CLI. Every relative link and #anchor resolves; the option tables of docs/configuration.md name
 * only options their command has, and every option of every command is on that page; the example
 * configurations exist; every {@code bin/ett} command line in a shell block parses; and the
 * examples that show their output ({@code $ bin/ett policy check ...}, {@code $ bin/ett config
 * check ...}) print it when run.
 */
class DocsTest {
  @TempDir Path dir;

  /** Tests run in the module's directory (Maven's basedir), where README.md is. */
  static final Path ROOT = Path.of("").toAbsolutePath();

  static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The page with its fenced code blocks blanked out (line count kept, for messages). */
  static String prose(String page) {
    StringBuilder out = new StringBuilder();
    boolean fence = false;
    for (String line : page.split("\n", -1)) {
      if (line.startsWith("```")) {
        fence = !fence;
        out.append('\n');
        continue;
      }
      out.append(fence ? "" : line).append('\n');
    }
    return out.toString();
  }

  // ---- links and anchors ------------------------------------------------------------------------

  static final Pattern HEADING = Pattern.compile("^(#{1,6}) +(.*?) *#*$", Pattern.MULTILINE);

  /**
   * GitHub's anchor for a heading: the text as rendered (link targets dropped), lowercased,
   * punctuation dropped (letters, digits, spaces, '-' and '_' kept), each space a '-'.
   */
  static String anchor(String heading) {
    String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
  }

  static Set<String> anchors(Path page) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    Matcher m = HEADING.matcher(prose(read(page)));
    while (m.find()) {
      String a = anchor(m.group(2));
      int n = seen.merge(a, 1, Integer::sum);
      anchors.add(n == 1 ? a : a + "-" + (n - 1)); // GitHub numbers repeated headings
    }
    return anchors;
  }

  @Test
  void everyRelativeLinkPointsToAFileAndEveryAnchorToAHeading() throws IOException {
    Pattern link = Pattern.compile("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages()) {
      String text = prose(read(page)).replaceAll("`[^`\n]*`", "code");
      Matcher m = link.matcher(text);
      while (m.find()) {
        String target = m.group(2);
        if (target.matches("^[a-z]+:.*")) {
          continue; // https:, mailto:: not ours to check
        }
        checked++;
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String frag = hash < 0 ? null : target.substring(hash + 1);
        Path to = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        String where =
            ROOT.relativize(page) + ": [" + m.group(1).replace('\n', ' ') + "](" + target + ")";
        if (!Files.exists(to)) {
          broken.add(where + ": no such file " + ROOT.relativize(to));
        } else if (frag != null && to.toString().endsWith(".md") && !anchors(to).contains(frag)) {
          broken.add(where + ": no heading #" + frag + " in " + ROOT.relativize(to));
        }
      }
    }
    assertThat(broken).as("broken links").isEmpty();
    assertThat(checked).as("relative links checked").isGreaterThan(40);
  }

  @Test
  void anchorsFollowGitHubsRules() {
    assertThat(anchor("Chaining (`--via`)")).isEqualTo("chaining---via");
    assertThat(anchor("Proxy ports (`-D`): SOCKS4, SOCKS4a, SOCKS5, HTTP"))
        .isEqualTo("proxy-ports--d-socks4-socks4a-socks5-http");
    assertThat(anchor("Metrics and `ett status`")).isEqualTo("metrics-and-ett-status");
    assertThat(anchor("ett — Encrypted TCP Tunneler")).isEqualTo("ett--encrypted-tcp-tunneler");
  }

  // ---- the option tables of docs/configuration.md ---------------------------------------------

  /**
   * Every command by its path ("server", "policy check", "" for ett itself), with its options'
   * names.
   */
  static Map<String, Set<String>> commands() {
    Map<String, Set<String>> all = new LinkedHashMap<>();
    walk("", Main.commandLine(), all);
    all.remove("help"); // picocli's own help command: `ett help COMMAND`
    return all;
  }

  static void walk(String path, CommandLine cl, Map<String, Set<String>> all) {
    Set<String> names = new TreeSet<>();
    cl.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
    all.put(path, names);
    cl.getSubcommands()
        .forEach((name, sub) -> walk((path.isEmpty() ? "" : path + " ") + name, sub, all));
  }

  /** A section of docs/configuration.md and the commands whose options it documents. */
  record Section(String heading, Set<String> commands, StringBuilder text) {}

  static final Pattern COMMAND_IN_HEADING = Pattern.compile("`ett((?: [a-z][a-z-]*)*)`");

  /**
   * The page cut at its headings. A heading naming a command in code ({@code ## `ett server`},
   * {@code ### `ett policy check`}) starts that command's section; "Tunables" are the link options
   * of server, client and connect; a deeper heading without a command (Chaining, Proxy users) stays
   * in its parent's section; a second-level one without a command ends it.
   */
  static List<Section> sections(Set<String> known) {
    List<Section> sections = new ArrayList<>();
    Section current = new Section("(top)", Set.of(), new StringBuilder());
    sections.add(current);
    boolean fence = false;
    for (String line : read(ROOT.resolve("docs/configuration.md")).split("\n")) {
      if (line.startsWith("```")) {
        fence = !fence;
      }
      Matcher h = fence ? null : HEADING.matcher(line);
      if (h != null && h.matches()) {
        Set<String> commands = new LinkedHashSet<>();
        Matcher c = COMMAND_IN_HEADING.matcher(h.group(2));
        if (c.find()) {
          String path = c.group(1).trim();
          assertThat(known).as("heading '%s' names a command ett has", line).contains(path);
          commands.add(path);
        } else if (h.group(2).startsWith("Tunables")) {
          commands.addAll(List.of("server", "client", "connect"));
        } else if (h.group(1).length() > 2) {
          commands.addAll(current.commands());
        }
        current = new Section(line, commands, new StringBuilder());
        sections.add(current);
      }
      current.text().append(line).append('\n');
    }
    return sections;
  }

  static final Pattern OPTION =
      Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\\w-])");

  static Set<String> options(String text) {
    Set<String> found = new LinkedHashSet<>();
    Matcher m = OPTION.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  @Test
  void everyOptionInACommandsTableIsAnOptionOfThatCommand() {
    Map<String, Set<String>> commands = commands();
    List<String> wrong = new ArrayList<>();
    int rows = 0;
    for (Section s : sections(commands.keySet())) {
      if (s.commands().isEmpty()) {
        continue;
      }
      boolean header = true;
      for (String line : s.text().toString().split("\n")) {
        if (!line.startsWith("|")) {
          header = true;
          continue;
        }
        if (header || line.startsWith("|---")) { // a table's first row names its columns
          header = false;
          continue;
        }
        String first = line.split("(?<!\\\\)\\|")[1]; // the cell that names the option(s)
        rows++;
        for (String option : options(first)) {
          for (String command : s.commands()) {
            if (!commands.get(command).contains(option)) {
              wrong.add(s.heading() + ": " + option + " is not an option of 'ett " + command + "'");
            }
          }
        }
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(rows).as("option rows checked").isGreaterThan(80);
  }

  @Test
  void everyOptionOfEveryCommandIsInItsSectionOfConfigurationMd() {
    Map<String, Set<String>> commands = commands();
    Map<String, StringBuilder> text = new HashMap<>();
    for (Section s : sections(commands.keySet())) {
      for (String c : s.commands()) {
        text.computeIfAbsent(c, k -> new StringBuilder()).append(s.text());
      }
    }
    List<String> missing = new ArrayList<>();
    commands.forEach(
        (command, names) -> {
          boolean group =
              names.isEmpty()
                  && commands.keySet().stream().anyMatch(c -> c.startsWith(command + " "));
          if (group) {
            return; // `ett policy`, `ett config`: only their subcommands take options
          }
          if (!text.containsKey(command)) {
            missing.add("'ett " + command + "' has no section");
            return;
          }
          Set<String> documented = options(text.get(command).toString());
          for (String name : names) {
            if (!documented.contains(name)) {
              missing.add("'ett " + command + "' " + name);
            }
          }
        });
    assertThat(missing).as("options missing from docs/configuration.md").isEmpty();
  }

  // ---- example configurations -------------------------------------------------------------------

  @Test
  void theExampleConfigurationsTheDocsNameExistAndEveryOneIsNamed() throws IOException {
    Path examples = ROOT.resolve("packaging/examples");
    Set<String> files = new TreeSet<>();
    try (Stream<Path> s = Files.list(examples)) {
      s.map(p -> p.getFileName().toString()).forEach(files::add);
    }
    String all = String.join("\n", pages().stream().map(DocsTest::read).toList());
    Matcher m = Pattern.compile("packaging/examples/([\\w.-]+)").matcher(all);
    Set<String> named = new TreeSet<>();
    while (m.find()) {
      named.add(m.group(1));
    }
    assertThat(files).as("packaging/examples").containsAll(named);
    for (String f : files) {
      assertThat(all).as("the docs name %s", f).contains(f);
    }
    assertThat(named)
        .as("README links the examples")
        .contains("web-exit.toml", "company-gateway.toml", "client.toml");
  }

  // ---- command lines in shell blocks ------------------------------------------------------------

  /** The {@code sh} blocks of a page, continuation lines joined. */
  static List<List<String>> shellBlocks(String page) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> block = null;
    StringBuilder pending = new StringBuilder();
    for (String line : page.split("\n")) {
      if (block == null) {
        if (line.equals("```sh")) {
          block = new ArrayList<>();
        }
        continue;
      }
      if (line.startsWith("```")) {
        blocks.add(block);
        block = null;
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      block.add(pending + line);
      pending.setLength(0);
    }
    return blocks;
  }

  /** Shell words: quotes kept together (and removed), a comment or a redirection ends the line. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quote != 0) {
        if (ch == quote) {
          quote = 0;
        } else {
          w.append(ch);
        }
      } else if (ch == '\'' || ch == '"') {
        quote = ch;
        w = w == null ? new StringBuilder() : w;
      } else if (Character.isWhitespace(ch)) {
        if (w != null) {
          words.add(w.toString());
          w = null;
        }
      } else if ((ch == '#' && w == null) || ch == '>' || ch == '&' || ch == '|') {
        break;
      } else {
        w = w == null ? new StringBuilder() : w;
        w.append(ch);
      }
    }
    if (w != null) {
      words.add(w.toString());
    }
    return words;
  }

  @Test
  void everyBinEttCommandLineInTheDocsParses() throws IOException {
    List<String> bad = new ArrayList<>();
    int parsed = 0;
    for (Path page : pages()) {
      for (List<String> block : shellBlocks(read(page))) {
        for (String line : block) {
          String cmd = line.startsWith("$ ") ? line.substring(2) : line;
          if (!cmd.startsWith("bin/ett ")
              || cmd.contains("...")
              || cmd.contains(" @")
              || cmd.contains("--config")) {
            // placeholders, an @FILE the page writes first, or required options in a --config file
            // (ett reads it before picocli; the tutorial's file is checked by config check below)
            continue;
          }
          List<String> args = words(cmd);
          args.remove(0);
          try {
            Main.commandLine().parseArgs(args.toArray(String[]::new));
            parsed++;
          } catch (CommandLine.ParameterException e) {
            bad.add(ROOT.relativize(page) + ": " + line + ": " + e.getMessage());
          }
        }
      }
    }
    assertThat(bad).isEmpty();
    assertThat(parsed).as("command lines parsed").isGreaterThan(15);
  }

  // ---- examples that show their output ----------------------------------------------------------

  record Example(String page, List<String> args, List<String> expected) {}

  /** {@code $ bin/ett ...} lines in a page's shell blocks with the output lines under them. */
  static List<Example> examples(Path page, String command) {
    List<Example> examples = new ArrayList<>();
    Map<String, String> vars = new HashMap<>();
    for (List<String> block : shellBlocks(read(page))) {
      Example current = null;
      for (String line : block) {
        if (line.startsWith("$ ")) {
          current = null;
          Matcher assign = Pattern.compile("\\$ (\\w+)=(\\S+)").matcher(line);
          if (assign.matches()) {
            vars.put(assign.group(1), assign.group(2));
            continue;
          }
          String cmd = line.substring(2);
          for (var v : vars.entrySet()) {
            cmd = cmd.replace("$" + v.getKey(), v.getValue());
          }
          List<String> args = words(cmd);
          if (args.size() > 3
              && args.get(0).equals("bin/ett")
              && String.join(" ", args.subList(1, 3)).equals(command)) {
            current =
                new Example(
                    ROOT.relativize(page).toString(),
                    args.subList(1, args.size()),
                    new ArrayList<>());
            examples.add(current);
          }
        } else if (current != null && !line.equals("...")) {
          current.expected().add(line);
        }
      }
    }
    return examples;
  }

  record Run(int status, String out) {}

  static synchronized Run run(List<String> args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    int level = dev.ett.util.Log.level();
    try {
      int status = Main.run(args.toArray(String[]::new));
      return new Run(status, out.toString(StandardCharsets.UTF_8));
    } finally {
      dev.ett.util.Log.setLevel(level);
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /**
   * Runs an example with the files it names taken from {@link #dir}; its lines must come out in
   * order.
   */
  void check(Example e, Set<String> files) {
    List<String> args =
        e.args().stream().map(a -> files.contains(a) ? dir.resolve(a).toString() : a).toList();
    Run r = run(args);
    List<String> out = List.of(r.out().replace(dir + "/", "").split("\n"));
    int at = 0;
    for (String want : e.expected()) {
      int found = out.subList(at, out.size()).indexOf(want);
      assertThat(found)
          .as(
              "%s: '%s' prints%n  %s%nactual output:%n%s",
              e.page(), String.join(" ", e.args()), want, r.out())
          .isNotNegative();
      at += found + 1;
    }
  }

  @Test
  void theReadmesTutorialPrintsWhatItShows() throws IOException {
    // The files the tutorial makes: keys, the authorized file, and server.toml as its heredoc
    // writes it.
    String readme = read(ROOT.resolve("README.md"));
    assertThat(run(List.of("keygen", dir.resolve("server.key").toString())).status()).isZero();
    assertThat(run(List.of("keygen", dir.resolve("alice.key").toString())).status()).isZero();
    String alice = run(List.of("pubkey", dir.resolve("alice.key").toString())).out().trim();
    Files.writeString(dir.resolve("authorized"), alice + " alice\n");
    Matcher heredoc =
        Pattern.compile("cat > server\\.toml <<'EOF'\n(.*?\n)EOF\n", Pattern.DOTALL)
            .matcher(readme);
    assertThat(heredoc.find()).as("README writes server.toml").isTrue();
    Files.writeString(dir.resolve("server.toml"), heredoc.group(1));

    Set<String> files = Set.of("authorized", "server.toml");
    List<Example> examples = new ArrayList<>(examples(ROOT.resolve("README.md"), "policy check"));
    assertThat(examples).as("policy check examples in the README").hasSize(2);
    examples.addAll(examples(ROOT.resolve("README.md"), "config check"));
    assertThat(examples).hasSize(3);
    for (Example e : examples) {
      check(e, files);
    }
  }

  @Test
  void thePolicyPagesChecksPrintWhatItShows() throws IOException {
    // The authorized file the page shows, and the hosts file it describes.
    String page = read(ROOT.resolve("docs/policy.md"));
    Matcher authorized =
        Pattern.compile("```\n# authorized\n(.*?\n)```", Pattern.DOTALL).matcher(page);
    assertThat(authorized.find()).as("policy.md shows an authorized file").isTrue();
    Files.writeString(dir.resolve("authorized"), authorized.group(1));
    assertThat(page).contains("`93.184.215.14 www.example.com` in `hosts`");
    Files.writeString(
        dir.resolve("hosts"), "10.1.2.3 db.internal\n93.184.215.14 www.example.com\n");

    List<Example> examples = examples(ROOT.resolve("docs/policy.md"), "policy check");
    assertThat(examples).as("policy check examples in policy.md").hasSize(4);
    for (Example e : examples) {
      check(e, Set.of("authorized", "hosts"));
    }
  }
}
