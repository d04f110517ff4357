package dev.ett.wire;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Literal address parsing that never falls back to DNS. */
public final class AddressLiterals {
  private AddressLiterals() {}

  /**
   * Returns the address for a strict dotted-quad IPv4 or an IPv6 literal (no brackets), or null if
   * {@code s} is not such a literal. Unlike {@link InetAddress#getByName} this never resolves.
   */
  public static InetAddress parseLiteral(String s) {
    if (s.isEmpty()) {
      return null;
    }
    if (s.indexOf(':') >= 0) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean ok = Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%';
        if (!ok) {
          return null;
        }
      }
      try {
        return InetAddress.getByName(s); // a string containing ':' is parsed, never resolved
      } catch (UnknownHostException e) {
        return null;
      }
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3) {
        return null;
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return null;
      }
      b[i] = (byte) v;
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code [::1]} without its brackets; anything else as it is. */
  public static String unbracket(String s) {
    return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
  }

  /**
   * Splits an ssh-style forward ({@code [BIND:]PORT:HOST:HOSTPORT}, {@code -L}, {@code -D}, {@code
   * -R}) on the colons outside brackets, so that {@code [::1]:80} is two parts.
   */
  public static List<String> splitOutsideBrackets(String spec) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int depth = 0;
    for (char c : spec.toCharArray()) {
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      }
      if (c == ':' && depth == 0) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  /**
   * A port of a forward's spec ({@code 0} allowed where the kernel may choose), or an error naming
   * the option and its spec: {@code "-L 8080:h:x: port x (expected: 1~65535)"}.
   */
  public static int specPort(String option, String s, String spec, boolean zeroOk) {
    try {
      int p = Integer.parseInt(s);
      if (p < (zeroOk ? 0 : 1) || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + " " + spec + ": port " + s + " (expected: " + (zeroOk ? 0 : 1) + "~65535)", e);
    }
  }
}
