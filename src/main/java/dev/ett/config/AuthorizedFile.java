package dev.ett.config;

import dev.ett.policy.Limits;
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
 * LIMITs are {@code key=value} words ({@code streams=N}, {@code rate=N}, {@code burst=N}; see
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
      clients.add(new AuthorizedClient(name, key, rules, limits));
    }
    return new Authorized(clients);
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
