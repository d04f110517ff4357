package dev.ett.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader for the audit trail's flat JSON objects (strings, integers, booleans, null,
 * arrays of strings), for tests: any line that is not exactly such an object fails the test.
 */
public final class JsonLines {
  private final String s;
  private int pos;

  private JsonLines(String s) {
    this.s = s;
  }

  /** Every line of the file as an object, in order. */
  public static List<Map<String, Object>> read(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException(
          "last line is not terminated: " + text.substring(text.lastIndexOf('\n') + 1));
    }
    for (String line : text.split("\n")) {
      if (!line.isEmpty()) {
        out.add(parse(line));
      }
    }
    return out;
  }

  public static Map<String, Object> parse(String line) {
    JsonLines p = new JsonLines(line);
    Map<String, Object> m = p.object();
    if (p.pos != line.length()) {
      throw p.error("trailing characters");
    }
    return m;
  }

  private Map<String, Object> object() {
    expect('{');
    Map<String, Object> m = new LinkedHashMap<>();
    if (peek() == '}') {
      pos++;
      return m;
    }
    while (true) {
      String k = string();
      expect(':');
      if (m.put(k, value()) != null) {
        throw error("duplicate key " + k);
      }
      char c = next();
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw error("expected , or }");
      }
    }
  }

  private Object value() {
    char c = peek();
    if (c == '"') {
      return string();
    }
    if (c == 'n' && s.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    if (c == 't' && s.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (c == 'f' && s.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (c == '[') {
      pos++;
      List<String> l = new ArrayList<>();
      if (peek() == ']') {
        pos++;
        return l;
      }
      while (true) {
        l.add(string());
        char d = next();
        if (d == ']') {
          return l;
        }
        if (d != ',') {
          throw error("expected , or ]");
        }
      }
    }
    int start = pos;
    if (c == '-') {
      pos++;
    }
    while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
      pos++;
    }
    if (pos == start) {
      throw error("unexpected " + c);
    }
    return Long.parseLong(s.substring(start, pos));
  }

  private String string() {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        throw error("raw control character");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
          pos += 4;
        }
        default -> throw error("bad escape \\" + e);
      }
    }
  }

  private char peek() {
    if (pos >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(pos);
  }

  private char next() {
    char c = peek();
    pos++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("expected " + c);
    }
  }

  private IllegalArgumentException error(String why) {
    return new IllegalArgumentException(why + " at " + pos + " in " + s);
  }
}
