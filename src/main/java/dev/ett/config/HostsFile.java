package dev.ett.config;

import dev.ett.policy.Addresses;
import dev.ett.policy.HostParser;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hosts(5) file: {@code ADDRESS NAME [ALIASES...]} per line, {@code #} comments, blank lines.
 * ADDRESS is a strict dotted quad or an IPv6 address (no zone id; no inet_aton shorthands, which
 * hosts(5) does not allow either). Names are validated like requested hosts. A name on several
 * lines gets all their addresses, in file order, without repeats. Errors read {@code file:line:
 * reason}.
 */
public final class HostsFile {
  private HostsFile() {}

  /** Our choice, as for the authorized file. */
  static final long MAX_FILE_BYTES = 16 << 20;

  /** Reads and parses the file; refused if group or others could write it ({@link TrustedFile}). */
  public static Hosts read(Path path) throws IOException {
    return parse(
        path.toString(),
        TrustedFile.readConfig(path, "point names at other addresses", MAX_FILE_BYTES));
  }

  /**
   * @param source the file name used in error messages
   */
  public static Hosts parse(String source, String content) throws ConfigException {
    Map<String, List<InetAddress>> byName = new LinkedHashMap<>();
    String[] lines = content.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = source + ":" + (i + 1) + ": ";
      String[] fields = line.split("\\s+");
      if (fields.length < 2) {
        throw new ConfigException(
            where + "missing host name (expected: ADDRESS NAME [ALIASES...])");
      }
      InetAddress address;
      try {
        if (fields[0].indexOf('%') >= 0) {
          throw new IllegalArgumentException(
              "'" + fields[0] + "' has a zone id (expected: an address without %zone)");
        }
        address = Addresses.normalize(Addresses.parseLiteral(fields[0]));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + e.getMessage());
      }
      for (int f = 1; f < fields.length; f++) {
        String name;
        try {
          name = HostParser.canonicalName(fields[f]);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(where + e.getMessage());
        }
        List<InetAddress> list = byName.computeIfAbsent(name, n -> new ArrayList<>());
        if (!list.contains(address)) {
          list.add(address);
        }
      }
    }
    Map<String, List<InetAddress>> frozen = new LinkedHashMap<>();
    byName.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return new Hosts(frozen);
  }
}
