package dev.ett.policy;

import java.util.Locale;

/**
 * Reads a requested host the way the server's resolver would, without DNS, so that no numeric
 * spelling of an address can pass as a name and slip past the policy.
 *
 * <ul>
 *   <li>{@code [v6]} and bare text with a colon are IPv6 literals ({@code [::]}, {@code ::1},
 *       {@code [::ffff:127.0.0.1]}); zone ids ({@code %eth0}) are refused.
 *   <li>If the last dot-separated label is numeric (decimal digits, or {@code 0x} hex), the whole
 *       string is an IPv4 address in inet_aton(3) form, because that is what getaddrinfo does with
 *       it: 1 to 4 parts, each decimal, octal (leading {@code 0}) or hex ({@code 0x}), the last
 *       part filling the remaining bytes. {@code 127.1}, {@code 2130706433}, {@code 0x7f.1}, {@code
 *       0177.0.0.1} and {@code 0x7f000001} are all 127.0.0.1. If that reading fails the host is
 *       refused rather than handed to DNS (no top-level domain is numeric).
 *   <li>Anything else must be a host name: LDH labels (letters, digits, hyphen, not at either end)
 *       of 1~63 characters, 253 characters at most, one trailing dot allowed and dropped. Names are
 *       lowercased.
 * </ul>
 *
 * Errors are {@link IllegalArgumentException}s naming the host and what was expected.
 */
public final class HostParser {
  private HostParser() {}

  private static final int MAX_NAME = 253;
  private static final int MAX_LABEL = 63;
  private static final String PART = "decimal, 0 then octal, or 0x then hex digits";

  public static Host parse(String host) {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          "host: '" + (host == null ? "null" : "") + "' (expected: a host name or an IP address)");
    }
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || host.length() < 3) {
        throw new IllegalArgumentException(
            "host: " + quote(host) + " (expected: an IPv6 address in brackets such as [::1])");
      }
      return new Host.Address(
          Addresses.fromBytes(ipv6(host, host.substring(1, host.length() - 1))));
    }
    if (host.indexOf(':') >= 0) {
      return new Host.Address(Addresses.fromBytes(ipv6(host, host)));
    }
    if (looksNumeric(host)) {
      return new Host.Address(Addresses.fromBytes(inetAton(host)));
    }
    return new Host.Name(host);
  }

  /**
   * Validates a host name and returns it lowercase without its trailing dot.
   *
   * @throws IllegalArgumentException if it is not an LDH name, or if it is a numeric (IPv4) form
   */
  public static String canonicalName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("name: '' (expected: a host name)");
    }
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (n.isEmpty() || n.length() > MAX_NAME) {
      throw new IllegalArgumentException(
          "name: " + quote(name) + " has " + n.length() + " characters (expected: 1~253)");
    }
    if (looksNumeric(n)) {
      throw new IllegalArgumentException(
          "name: " + quote(name) + " is a numeric address, not a host name");
    }
    for (String label : n.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > MAX_LABEL) {
        throw new IllegalArgumentException(
            "name: "
                + quote(name)
                + " has a label of "
                + label.length()
                + " characters (expected: 1~63)");
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw new IllegalArgumentException(
            "name: "
                + quote(name)
                + ": label '"
                + label
                + "' starts or ends with '-' (expected: letters, digits and inner hyphens)");
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ldh =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ldh) {
          throw new IllegalArgumentException(
              "name: "
                  + quote(name)
                  + ": character '"
                  + printable(c)
                  + "' in label '"
                  + label
                  + "' (expected: letters, digits and '-')");
        }
      }
    }
    return n.toLowerCase(Locale.ROOT);
  }

  /**
   * True if getaddrinfo would treat {@code host} as an IPv4 address rather than a name: its last
   * label (ignoring one trailing dot) is all decimal digits or {@code 0x} followed by hex digits.
   */
  static boolean looksNumeric(String host) {
    String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    String last = h.substring(h.lastIndexOf('.') + 1);
    if (last.isEmpty()) {
      return false;
    }
    if (last.length() >= 2 && last.charAt(0) == '0' && (last.charAt(1) | 0x20) == 'x') {
      return last.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128);
    }
    return last.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /** The 4 bytes inet_aton(3) gives for {@code text}, or an error (never a DNS fallback). */
  static byte[] inetAton(String text) {
    if (text.endsWith(".")) {
      throw notIpv4(text, "trailing dot (expected: no dot after the last part)");
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length > 4) {
      throw notIpv4(text, parts.length + " parts (expected: 1~4)");
    }
    long[] v = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      v[i] = atonPart(text, parts[i]);
    }
    // Every part but the last is one byte; the last fills the bytes that are left.
    for (int i = 0; i < v.length - 1; i++) {
      if (v[i] > 0xff) {
        throw notIpv4(text, "part '" + parts[i] + "' is " + v[i] + " (expected: 0~255)");
      }
    }
    int lastBytes = 5 - v.length;
    long lastMax = (1L << (8 * lastBytes)) - 1;
    long last = v[v.length - 1];
    if (last > lastMax) {
      throw notIpv4(
          text,
          "last part '" + parts[v.length - 1] + "' is " + last + " (expected: 0~" + lastMax + ")");
    }
    long value = last;
    for (int i = 0; i < v.length - 1; i++) {
      value |= v[i] << (8 * (3 - i));
    }
    return new byte[] {
      (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
    };
  }

  private static long atonPart(String text, String part) {
    int radix = 10;
    String digits = part;
    if (part.length() >= 2 && part.charAt(0) == '0' && (part.charAt(1) | 0x20) == 'x') {
      radix = 16;
      digits = part.substring(2);
    } else if (part.length() >= 2 && part.charAt(0) == '0') {
      radix = 8;
      digits = part.substring(1);
    }
    if (digits.isEmpty() && radix != 8) {
      throw notIpv4(text, "part '" + part + "' has no digits (expected: " + PART + ")");
    }
    // Strip leading zeros so that 0x00000000ff is not refused for its length alone.
    String significant = digits.replaceFirst("^0+(?=.)", "");
    if (significant.length() > 11) {
      throw notIpv4(text, "part '" + part + "' (expected: 0~4294967295)");
    }
    long value = 0;
    for (int i = 0; i < significant.length(); i++) {
      char c = significant.charAt(i);
      int d = c < 128 ? Character.digit(c, radix) : -1;
      if (d < 0) {
        String kind = radix == 16 ? "hex" : radix == 8 ? "octal" : "decimal";
        throw notIpv4(text, "part '" + part + "' is not " + kind + " (expected: " + PART + ")");
      }
      value = value * radix + d;
    }
    if (value > 0xffffffffL) {
      throw notIpv4(text, "part '" + part + "' is " + value + " (expected: 0~4294967295)");
    }
    return value;
  }

  private static byte[] ipv6(String host, String inner) {
    if (inner.indexOf('%') >= 0) {
      throw new IllegalArgumentException(
          "host: " + quote(host) + " has a zone id (expected: an IPv6 address without '%zone')");
    }
    try {
      return Addresses.parseIpv6(inner);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "host: " + quote(host) + " is not an IPv6 address (expected: e.g. ::1 or [2001:db8::1])");
    }
  }

  private static IllegalArgumentException notIpv4(String text, String why) {
    return new IllegalArgumentException(
        "host: " + quote(text) + " is numeric but not an IPv4 address: " + why);
  }

  /** Quotes untrusted text for an error message, cut short and with control characters shown. */
  static String quote(String s) {
    String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    StringBuilder sb = new StringBuilder("'");
    cut.chars().forEach(c -> sb.append(printable((char) c)));
    return sb.append('\'').toString();
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }
}
