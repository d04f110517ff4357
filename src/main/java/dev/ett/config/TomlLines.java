package dev.ett.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each top-level key of a TOML document is, by line: the one thing Jackson's TOML module does
 * not tell (it parses the whole document into a tree first, and the tree's tokens carry no
 * location). {@link ConfigFile} lets Jackson parse and check the syntax, and asks this scanner only
 * for lines, so that an error can say {@code server.toml:7: threads: ...}.
 *
 * <p>It reads just enough of TOML to stay in step: comments, the four kinds of strings (a
 * multi-line one moves the line count), arrays (the line of each element of a top-level array, for
 * {@code policy = [} over several lines), inline tables, table headers and dotted keys (recorded
 * under their first part). On text it does not understand it stops and keeps what it found: lines
 * are a help for messages, never a source of values.
 */
final class TomlLines {
  /**
   * A top-level key (or the first part of a dotted key or table header).
   *
   * @param line where it is first defined, 1-based
   * @param elements the line of each element, if its value is an array
   * @param again the line of a second definition at the top level, or 0
   */
  record Key(int line, List<Integer> elements, int again) {}

  private final String s;
  private int i;
  private int line = 1;
  private final Map<String, Key> keys = new LinkedHashMap<>();

  private TomlLines(String s) {
    this.s = s;
  }

  /** The top-level keys of {@code content}, in order of first definition. */
  static Map<String, Key> scan(String content) {
    TomlLines t = new TomlLines(content);
    try {
      t.document();
    } catch (RuntimeException e) {
      // Not understood here (Jackson reports real syntax errors): keep the lines found so far.
    }
    return t.keys;
  }

  private void document() {
    boolean inTable = false;
    while (true) {
      skipBlank();
      if (i >= s.length()) {
        return;
      }
      int start = i;
      int at = line;
      if (s.charAt(i) == '[') {
        i++;
        if (peek('[')) {
          i++;
        }
        skipSpaces();
        record(keyPart(), at, List.of());
        inTable = true;
      } else {
        String name = keyPart();
        skipSpaces();
        while (peek('.')) {
          i++;
          skipSpaces();
          keyPart();
          skipSpaces();
        }
        if (!peek('=')) {
          return;
        }
        i++;
        skipSpaces();
        List<Integer> elements = new ArrayList<>();
        value(elements);
        if (!inTable) {
          record(name, at, elements);
        }
      }
      skipToNextLine();
      if (i == start) {
        return; // no progress: stop rather than loop
      }
    }
  }

  private void record(String name, int at, List<Integer> elements) {
    Key k = keys.get(name);
    if (k == null) {
      keys.put(name, new Key(at, List.copyOf(elements), 0));
    } else if (k.again() == 0) {
      keys.put(name, new Key(k.line(), k.elements(), at));
    }
  }

  /** A value; the line of each element goes to {@code elements} if it is an array (else null). */
  private void value(List<Integer> elements) {
    char c = s.charAt(i);
    if (c == '[') {
      i++;
      while (true) {
        skipBlank();
        if (peek(']')) {
          i++;
          return;
        }
        if (elements != null) {
          elements.add(line);
        }
        int before = i;
        value(null);
        skipBlank();
        if (peek(',')) {
          i++;
        } else if (!peek(']') || i == before) {
          throw new IllegalStateException("array");
        }
      }
    } else if (c == '{') {
      i++;
      while (true) {
        skipSpaces();
        if (peek('}')) {
          i++;
          return;
        }
        keyPart();
        skipSpaces();
        while (peek('.')) {
          i++;
          skipSpaces();
          keyPart();
          skipSpaces();
        }
        expect('=');
        skipSpaces();
        value(null);
        skipSpaces();
        if (peek(',')) {
          i++;
        }
      }
    } else if (c == '"' || c == '\'') {
      string();
    } else {
      int start = i;
      while (i < s.length() && " \t\r\n,]}#".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      // A date and time may be separated by a space: 1979-05-27 07:32:00Z.
      if (i + 1 < s.length()
          && s.charAt(i) == ' '
          && Character.isDigit(s.charAt(i + 1))
          && s.substring(start, i).matches("\\d{4}-\\d{2}-\\d{2}")) {
        i++;
        while (i < s.length() && " \t\r\n,]}#".indexOf(s.charAt(i)) < 0) {
          i++;
        }
      }
      if (i == start) {
        throw new IllegalStateException("value");
      }
    }
  }

  /** A bare or quoted key, returned as written between its quotes (escapes are rare in keys). */
  private String keyPart() {
    if (peek('"') || peek('\'')) {
      int start = i + 1;
      string();
      return s.substring(start, i - 1);
    }
    int start = i;
    while (i < s.length()
        && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '-')) {
      i++;
    }
    if (i == start) {
      throw new IllegalStateException("key");
    }
    return s.substring(start, i);
  }

  /** Any of the four string forms, counting the lines a multi-line one spans. */
  private void string() {
    char q = s.charAt(i);
    boolean basic = q == '"';
    if (s.startsWith(String.valueOf(q).repeat(3), i)) {
      i += 3;
      String close = String.valueOf(q).repeat(3);
      while (!s.startsWith(close, i)) {
        char c = s.charAt(i++);
        if (c == '\n') {
          line++;
        } else if (basic && c == '\\') {
          if (s.charAt(i) == '\n') {
            line++;
          }
          i++;
        }
      }
      i += 3;
      // Up to two more quotes belong to the content: """a""""" is a"".
      for (int extra = 0; extra < 2 && peek(q); extra++) {
        i++;
      }
      return;
    }
    i++;
    while (s.charAt(i) != q) {
      if (s.charAt(i) == '\n') {
        throw new IllegalStateException("newline in string");
      }
      if (basic && s.charAt(i) == '\\') {
        i++;
      }
      i++;
    }
    i++;
  }

  /** Spaces, tabs, newlines and comments. */
  private void skipBlank() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        i++;
      } else if (c == '#') {
        while (i < s.length() && s.charAt(i) != '\n') {
          i++;
        }
      } else {
        return;
      }
    }
  }

  private void skipSpaces() {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
  }

  /** The rest of a line after a key's value or a table header: closing brackets, a comment. */
  private void skipToNextLine() {
    while (i < s.length() && s.charAt(i) != '\n') {
      i++;
    }
  }

  private boolean peek(char c) {
    return i < s.length() && s.charAt(i) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw new IllegalStateException("expected " + c);
    }
    i++;
  }
}
