package dev.ett.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An {@code ett server} or {@code ett client} configuration file: TOML whose top-level keys are the
 * command's long option names without the dashes, each a single value or an array of values.
 *
 * <pre>
 * role = "server"                     # which command the file is for: server or client
 * listen = "127.0.0.1:7000"
 * key = "/etc/ett/server.key"
 * policy = ["web", "accept 10.0.0.0/8:22"]
 * threads = 2
 * </pre>
 *
 * This class knows TOML and lines, not options: it turns the text into {@link Setting}s (key, line,
 * value) and the command line's model decides what each key means. Jackson's TOML module parses and
 * reports syntax errors with their line; {@link TomlLines} finds the line of each key and array
 * element, which Jackson's tree does not keep. Errors read {@code file:line: reason}, as the
 * authorized file's do.
 */
public record ConfigFile(String source, List<Setting> settings) {
  public ConfigFile {
    settings = List.copyOf(settings);
  }

  /** Our choice: a real file is a few hundred bytes; a megabyte is a mistake. */
  static final long MAX_FILE_BYTES = 1 << 20;

  private static final TomlMapper TOML = new TomlMapper();

  /** What a TOML value is, as far as the command line cares. */
  public enum Kind {
    STRING,
    INTEGER,
    FLOAT,
    BOOLEAN;

    /** For messages: "a string", "an integer". */
    public String article() {
      return switch (this) {
        case STRING -> "a string";
        case INTEGER -> "an integer";
        case FLOAT -> "a float";
        case BOOLEAN -> "a boolean";
      };
    }
  }

  /** A value: one scalar, an array, or a table (which ett's files do not use). */
  public sealed interface Value {
    int line();
  }

  /**
   * A single value; {@code text} as a command line would spell it (an integer in decimal, a boolean
   * as true/false). TOML dates are read as strings.
   */
  public record Scalar(Kind kind, String text, int line) implements Value {}

  /** An array; its elements may be arrays or tables, which the caller refuses. */
  public record Array(List<Value> elements, int line) implements Value {
    public Array {
      elements = List.copyOf(elements);
    }
  }

  /** A table ({@code [name]}, {@code name = { ... }} or a dotted key). */
  public record Table(int line) implements Value {}

  /** One top-level key; {@code line} is 0 when it could not be found (messages then omit it). */
  public record Setting(String key, int line, Value value) {}

  /**
   * Reads and parses the file. Refused if group or others could write it ({@link TrustedFile}): it
   * names the keys and the exit policy ett uses.
   */
  public static ConfigFile read(Path path) throws IOException {
    String content =
        TrustedFile.readConfig(
            path, "change the keys, clients and policy ett uses", MAX_FILE_BYTES);
    return parse(path.toString(), content);
  }

  /**
   * Parses file content.
   *
   * @param source the file name used in error messages
   */
  public static ConfigFile parse(String source, String content) throws ConfigException {
    Map<String, TomlLines.Key> lines = TomlLines.scan(content);
    for (Map.Entry<String, TomlLines.Key> e : lines.entrySet()) {
      TomlLines.Key k = e.getValue();
      if (k.again() != 0) {
        throw new ConfigException(
            source
                + ":"
                + k.again()
                + ": duplicate key '"
                + e.getKey()
                + "' (already on line "
                + k.line()
                + ")");
      }
    }
    JsonNode root;
    try {
      root = TOML.readTree(content);
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      String where = at == null || at.getLineNr() < 1 ? source : source + ":" + at.getLineNr();
      String why = e.getOriginalMessage();
      if ("Unknown token".equals(why)) {
        why += " (a string needs quotes: key = \"value\")";
      }
      throw new ConfigException(where + ": not TOML: " + why);
    }
    List<Setting> settings = new ArrayList<>();
    if (root == null) {
      return new ConfigFile(source, settings); // empty file
    }
    for (Map.Entry<String, JsonNode> f : root.properties()) {
      TomlLines.Key k = lines.get(f.getKey());
      int line = k == null ? 0 : k.line();
      List<Integer> elementLines = k == null ? List.of() : k.elements();
      settings.add(new Setting(f.getKey(), line, value(f.getValue(), line, elementLines)));
    }
    return new ConfigFile(source, settings);
  }

  private static Value value(JsonNode n, int line, List<Integer> elementLines) {
    if (n.isObject()) {
      return new Table(line);
    }
    if (n.isArray()) {
      List<Value> elements = new ArrayList<>();
      for (int j = 0; j < n.size(); j++) {
        // The scanner's count matches Jackson's for any array it understood; if not, the key's
        // line.
        int at = elementLines.size() == n.size() ? elementLines.get(j) : line;
        elements.add(value(n.get(j), at, List.of()));
      }
      return new Array(elements, line);
    }
    if (n.isBoolean()) {
      return new Scalar(Kind.BOOLEAN, n.asText(), line);
    }
    if (n.isIntegralNumber()) {
      return new Scalar(Kind.INTEGER, n.bigIntegerValue().toString(), line);
    }
    if (n.isNumber()) {
      return new Scalar(Kind.FLOAT, n.asText(), line);
    }
    return new Scalar(Kind.STRING, n.asText(), line);
  }

  /** The setting for {@code key}, if the file has one. */
  public Optional<Setting> get(String key) {
    return settings.stream().filter(s -> s.key().equals(key)).findFirst();
  }

  /** {@code file:line: } for a message about something on {@code line} (0: the file alone). */
  public String at(int line) {
    return line > 0 ? source + ":" + line + ": " : source + ": ";
  }
}
