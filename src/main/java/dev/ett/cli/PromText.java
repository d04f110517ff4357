package dev.ett.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the samples of a Prometheus text-format page (exposition format 0.0.4), for {@code ett
 * status}. The Prometheus Java client writes this format but has no reader (its
 * exposition-textformats module holds writers only), and {@code ett status} needs a sample's name,
 * labels and value, nothing else: comments and {@code # HELP}/{@code # TYPE} lines are skipped,
 * timestamps ignored.
 *
 * <p>A line is {@code name{label="value",...} value [timestamp]}; a label value escapes {@code \\},
 * {@code \"} and {@code \n}. A line that does not parse is an error naming its number: the page
 * comes from a process of ours, so a bad line is a bug to see, not to skip.
 */
public final class PromText {
  private PromText() {}

  /** One sample: the series' name, its labels in page order, its value. */
  public record Sample(String name, Map<String, String> labels, double value) {
    public Sample {
      labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /** The value of label {@code name}, or "" (the format's meaning of an absent label). */
    public String label(String name) {
      return labels.getOrDefault(name, "");
    }
  }

  public static List<Sample> parse(String page) {
    List<Sample> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : page.split("\n", -1)) {
      lineNo++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      try {
        out.add(sample(l));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "metrics line " + lineNo + ": " + e.getMessage() + ": " + l, e);
      }
    }
    return out;
  }

  private static Sample sample(String l) {
    int i = 0;
    while (i < l.length() && l.charAt(i) != '{' && l.charAt(i) != ' ' && l.charAt(i) != '\t') {
      i++;
    }
    String name = l.substring(0, i);
    if (name.isEmpty()) {
      throw new IllegalArgumentException("no metric name");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    i = skipSpaces(l, i);
    if (i < l.length() && l.charAt(i) == '{') {
      i++;
      while (true) {
        i = skipSpaces(l, i);
        if (i < l.length() && l.charAt(i) == '}') {
          i++;
          break;
        }
        int eq = l.indexOf('=', i);
        if (eq < 0) {
          throw new IllegalArgumentException("label without '='");
        }
        String key = l.substring(i, eq).strip();
        i = skipSpaces(l, eq + 1);
        if (i >= l.length() || l.charAt(i) != '"') {
          throw new IllegalArgumentException("label value not quoted");
        }
        StringBuilder v = new StringBuilder();
        for (i++; ; i++) {
          if (i >= l.length()) {
            throw new IllegalArgumentException("label value not closed");
          }
          char c = l.charAt(i);
          if (c == '"') {
            i++;
            break;
          }
          if (c == '\\' && i + 1 < l.length()) {
            char e = l.charAt(++i);
            v.append(e == 'n' ? '\n' : e);
          } else {
            v.append(c);
          }
        }
        labels.put(key, v.toString());
        i = skipSpaces(l, i);
        if (i < l.length() && l.charAt(i) == ',') {
          i++;
        }
      }
    }
    String[] rest = l.substring(i).strip().split("[ \t]+");
    if (rest.length == 0 || rest[0].isEmpty()) {
      throw new IllegalArgumentException("no value");
    }
    return new Sample(name, labels, value(rest[0]));
  }

  private static double value(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  private static int skipSpaces(String l, int i) {
    while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
