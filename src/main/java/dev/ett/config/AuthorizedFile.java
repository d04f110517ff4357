package dev.ett.config;

import dev.ett.policy.Limits;
import dev.ett.policy.ListenPolicy;
import dev.ett.policy.ListenRule;
import dev.ett.policy.Policy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The server's list of authorized clients, one per line:
 *
 * <pre>
 * # comment; '#' starts a comment anywhere on a line
 * PUBKEY NAME [LIMIT...] [RULE, RULE, ...]
 * xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= alice
 * HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw= bob   accept *.example.com:443, accept 10.1.0.0/16:22
 * 5N3bJ7ux4BVcZ7SVoQ8LHLMI1cdUhG3rhOkwYyj0+Ww= carol streams=10 rate=5 accept *:443
 * </pre>
 *
 * <p>Among the rules, {@code listen HOST:PORTS [pool NAME]} items are the client's listen rules
 * (reverse forwarding, {@link ListenRule}); the others ({@code accept}/{@code reject}) its exit
 * policy. A line with listen rules only restricts nothing of the exit policy.
 *
 * <p>LIMITs are {@code key=value} words ({@code streams=N}, {@code rate=N}, {@code burst=N}; see
 * {@link Limits}) that override the server's defaults for this client.
 *
 * <p>PUBKEY is a 44-character base64 X25519 public key. NAME is 1~64 of {@code A-Z a-z 0-9 . _ @
 * -}, starting with a letter or digit. The optional rest of the line is the client's own exit
 * policy in {@link Policy} syntax; without it the client has no restriction of its own. A key or a
 * name (compared case-insensitively) may appear only once. Errors read {@code file:line: reason}.
 */
public final class AuthorizedFile {
  private AuthorizedFile() {}

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

  /** Our choice: far above any real list (about 100 bytes a client), far below the heap. */
  static final long MAX_FILE_BYTES = 16 << 20;

  /**
   * Reads and parses the file. Refuses a file that group or others may write, or that sits where
   * they could replace it ({@link TrustedFile}), since whoever can write it can let themselves in.
   */
  public static Authorized read(Path path) throws IOException {
    return parse(path.toString(), TrustedFile.readConfig(path, "add clients", MAX_FILE_BYTES));
  }

  /**
   * Parses file content.
   *
   * @param source the file name used in error messages
   */
  public static Authorized parse(String source, String content) throws ConfigException {
    List<AuthorizedClient> clients = new ArrayList<>();
    Map<String, Integer> keyLines = new HashMap<>();
    Map<String, Integer> nameLines = new HashMap<>();
    String[] lines = content.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split("\\s+", 3);
      String where = source + ":" + lineNo + ": ";
      if (fields.length < 2) {
        throw new ConfigException(
            where + "missing client name (expected: PUBKEY NAME [RULE, RULE, ...])");
      }
      byte[] key;
      try {
        key = KeyFile.parsePublic(fields[0]);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + e.getMessage());
      }
      String name = fields[1];
      if (!NAME.matcher(name).matches()) {
        throw new ConfigException(where + nameError(name));
      }
      Optional<Policy> rules = Optional.empty();
      Limits limits = Limits.INHERIT_ALL;
      ListenPolicy listen = ListenPolicy.NONE;
      if (fields.length == 3) {
        // Leading key=value words are limits; a rule always starts with accept or reject.
        String rest = fields[2];
        List<String> limitWords = new ArrayList<>();
        while (!rest.isEmpty()) {
          String[] split = rest.split("\\s+", 2);
          if (!Limits.isOption(split[0])) {
            break;
          }
          limitWords.add(split[0]);
          rest = split.length == 2 ? split[1] : "";
        }
        try {
          limits = Limits.parse(limitWords);
          List<ListenRule> listenRules = new ArrayList<>();
          rest = takeListenRules(rest, listenRules);
          listen = new ListenPolicy(listenRules);
          if (!rest.isEmpty()) {
            rules = Optional.of(Policy.parse("client " + name, rest));
          }
        } catch (IllegalArgumentException e) {
          throw new ConfigException(where + e.getMessage());
        }
      }
      String keyHex = HexFormat.of().formatHex(key);
      Integer seenKey = keyLines.putIfAbsent(keyHex, lineNo);
      if (seenKey != null) {
        throw new ConfigException(
            where + "duplicate key " + fields[0] + " (already on line " + seenKey + ")");
      }
      Integer seenName = nameLines.putIfAbsent(name.toLowerCase(Locale.ROOT), lineNo);
      if (seenName != null) {
        throw new ConfigException(
            where + "duplicate name '" + name + "' (already on line " + seenName + ")");
      }
      clients.add(new AuthorizedClient(name, key, rules, limits, listen));
    }
    return new Authorized(clients);
  }

  /** A rule item begins after a comma (or at the start) with one of the rule words. */
  private static final Pattern ITEM = Pattern.compile("(?:^|,)\\s*(?=(?:accept|reject|listen)\\b)");

  /**
   * Moves the {@code listen} items of a rule list into {@code into}, in order, and returns the rest
   * (the exit rules) as a list of its own. Items are cut where a rule word follows a comma: a comma
   * inside an accept rule's port list ({@code accept *:80,443}) is followed by a port.
   */
  static String takeListenRules(String rest, List<ListenRule> into) {
    List<String> items = new ArrayList<>();
    var m = ITEM.matcher(rest);
    List<Integer> starts = new ArrayList<>();
    while (m.find()) {
      starts.add(m.end());
    }
    if (starts.isEmpty() || starts.get(0) != 0) {
      starts.add(0, 0);
    }
    for (int i = 0; i < starts.size(); i++) {
      int end = i + 1 < starts.size() ? starts.get(i + 1) : rest.length();
      String item = rest.substring(starts.get(i), end).strip();
      if (item.endsWith(",")) {
        item = item.substring(0, item.length() - 1).strip();
      }
      items.add(item);
    }
    List<String> others = new ArrayList<>();
    for (String item : items) {
      if (item.startsWith("listen ") || item.equals("listen")) {
        into.add(ListenRule.parse(item.substring("listen".length())));
      } else if (!item.isEmpty()) {
        others.add(item);
      }
    }
    return String.join(", ", others);
  }

  /** Throws saying what is wrong with a client name (also {@code ett keygen --name}'s check). */
  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(nameError(name));
    }
  }

  private static String nameError(String name) {
    return "name: '"
        + name
        + "' (expected: 1~64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit)";
  }
}
