package dev.ett.config;

import dev.ett.policy.Policy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The server's global exit policy, from {@code --policy} arguments and an optional rules file.
 *
 * <p>Each {@code --policy} argument and each line of the file is a comma-separated rule list in
 * {@link Policy} syntax, or the name of a preset ({@code web}: {@code accept *:80 http, accept
 * *:443 tls}, HTTP requests to port 80 and TLS to port 443 on public addresses; until rules could
 * name a protocol it was {@code accept *:80, accept *:443}, any bytes to those ports). The file
 * allows {@code #} comments and blank lines. Command-line rules come first, then the file's, in
 * order; first match wins. Errors name the argument or {@code file:line}.
 */
public final class PolicyFile {
  private PolicyFile() {}

  /** The preset names a rule list may be instead of rules. */
  public static final List<String> PRESETS = List.of("web");

  /** Our choice, as for the authorized file. */
  static final long MAX_FILE_BYTES = 16 << 20;

  /**
   * The file is refused if group or others could write it ({@link TrustedFile}).
   *
   * @param cliRules {@code --policy} values, in order
   * @param file the rules file, or null
   */
  public static Policy global(List<String> cliRules, Path file) throws IOException {
    String content =
        file == null
            ? null
            : TrustedFile.readConfig(file, "change the exit policy", MAX_FILE_BYTES);
    return global(cliRules, file == null ? null : file.toString(), content);
  }

  /** {@link #global(List, Path)} on content already read; {@code source} names it in errors. */
  public static Policy global(List<String> cliRules, String source, String content)
      throws ConfigException {
    List<String> pieces = new ArrayList<>();
    for (String r : cliRules) {
      pieces.add(expand("--policy '" + r + "'", r));
    }
    if (content != null) {
      String[] lines = content.split("\r?\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i];
        int hash = line.indexOf('#');
        line = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (!line.isEmpty()) {
          pieces.add(expand(source + ":" + (i + 1), line));
        }
      }
    }
    pieces.removeIf(String::isBlank);
    try {
      return Policy.parse("global", String.join(", ", pieces));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("global policy: " + e.getMessage());
    }
  }

  /** A preset name becomes its rules; anything else is checked on its own for a precise error. */
  private static String expand(String where, String text) throws ConfigException {
    String t = text.strip();
    if (PRESETS.contains(t)) {
      return Policy.preset(t).toString();
    }
    try {
      Policy.parse(t);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
    return t;
  }
}
