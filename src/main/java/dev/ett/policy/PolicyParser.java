package dev.ett.policy;

import dev.ett.inspect.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Parses exit-policy text into rules; the syntax is documented on {@link Policy}. */
final class PolicyParser {
  private PolicyParser() {}

  private static final String TARGETS =
      "*, *4, *6, private, a.b.c.d[/bits], [IPv6][/bits], a host name or *.name";
  private static final String PORTS = "*, N or N-M with 1 <= N <= M <= 65535";

  /** A rule being collected: where it starts in the text, and its comma-separated pieces. */
  private static final class Pending {
    final int start;
    int end;
    final String head;
    final List<String> morePorts = new ArrayList<>();

    Pending(int start, int end, String head) {
      this.start = start;
      this.end = end;
      this.head = head;
    }
  }

  static List<Rule> parse(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    List<Pending> pending = new ArrayList<>();
    int pos = 0;
    while (pos <= text.length()) {
      int comma = text.indexOf(',', pos);
      int end = comma < 0 ? text.length() : comma;
      String piece = text.substring(pos, end).strip();
      if (piece.isEmpty()) {
        throw new PolicyParseException(
            "empty rule at character "
                + (pos + 1)
                + " of "
                + HostParser.quote(text)
                + " (expected: accept or reject TARGET[:PORTS] between commas)");
      }
      if (startsWithKeyword(piece)) {
        pending.add(new Pending(pos, end, piece));
      } else if (!pending.isEmpty() && pending.getLast().head.contains(":")) {
        Pending last = pending.getLast();
        last.morePorts.add(piece);
        last.end = end;
      } else {
        String after =
            pending.isEmpty()
                ? ""
                : " (a comma continues the port list only after TARGET:PORTS, and "
                    + HostParser.quote(pending.getLast().head)
                    + " has no ports)";
        throw new PolicyParseException(
            HostParser.quote(piece) + ": expected 'accept' or 'reject'" + after);
      }
      if (comma < 0) {
        break;
      }
      pos = comma + 1;
    }
    List<Rule> rules = new ArrayList<>(pending.size());
    for (Pending p : pending) {
      rules.add(parseRule(rules.size() + 1, text.substring(p.start, p.end).strip(), p));
    }
    return rules;
  }

  private static boolean startsWithKeyword(String piece) {
    String word = firstWord(piece).toLowerCase(Locale.ROOT);
    return word.equals("accept") || word.equals("reject");
  }

  private static String firstWord(String s) {
    int i = 0;
    while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return s.substring(0, i);
  }

  private static Rule parseRule(int index, String ruleText, Pending p) {
    String keyword = firstWord(p.head);
    Rule.Action action =
        keyword.equalsIgnoreCase("accept") ? Rule.Action.ACCEPT : Rule.Action.REJECT;
    // Glue "10.0.0.0 / 8 : 22 - 25" back together; any whitespace left is an error.
    String spec = p.head.substring(keyword.length()).strip().replaceAll("\\s*([:/\\-])\\s*", "$1");
    if (spec.isEmpty()) {
      throw fail(index, ruleText, "missing target (expected: " + TARGETS + ")");
    }
    // An optional protocol qualifier ends the rule: after TARGET[:PORTS], after the last port
    // item when a comma continued the port list ("accept *:80,443 tls").
    List<String> morePorts = new ArrayList<>(p.morePorts.size());
    for (String more : p.morePorts) {
      morePorts.add(more.strip().replaceAll("\\s*-\\s*", "-"));
    }
    String qualifier = null;
    if (!morePorts.isEmpty()) {
      String last = morePorts.getLast();
      int ws = indexOfWhitespace(last);
      if (ws >= 0) {
        qualifier = last.substring(ws).strip();
        morePorts.set(morePorts.size() - 1, last.substring(0, ws));
      }
      int inHead = indexOfWhitespace(spec);
      if (inHead >= 0) {
        String word = spec.substring(inHead).strip();
        throw fail(
            index,
            ruleText,
            looksLikeWord(word)
                ? "protocol "
                    + HostParser.quote(word)
                    + " before more ports (expected: the protocol after the last port, e.g. 'accept *:80,443 tls')"
                : "unexpected "
                    + HostParser.quote(word)
                    + " after "
                    + HostParser.quote(spec.substring(0, inHead))
                    + " (expected: one TARGET[:PORTS] [PROTOCOL], rules separated by commas)");
      }
    } else {
      int ws = indexOfWhitespace(spec);
      if (ws >= 0) {
        qualifier = spec.substring(ws).strip();
        spec = spec.substring(0, ws);
      }
    }
    Optional<Protocol> protocol = Optional.empty();
    if (qualifier != null) {
      if (indexOfWhitespace(qualifier) >= 0 || !looksLikeWord(qualifier)) {
        throw fail(
            index,
            ruleText,
            "unexpected "
                + HostParser.quote(qualifier)
                + " after "
                + HostParser.quote(spec)
                + " (expected: one TARGET[:PORTS] [PROTOCOL], rules separated by commas)");
      }
      try {
        protocol = Optional.of(Protocol.parse(qualifier));
      } catch (IllegalArgumentException e) {
        throw fail(index, ruleText, e.getMessage());
      }
      if (action != Rule.Action.ACCEPT) {
        throw fail(
            index,
            ruleText,
            "a protocol ("
                + qualifier
                + ") only qualifies accept rules (expected: reject TARGET[:PORTS]; "
                + "a reject that the client's own bytes could dodge would refuse nothing)");
      }
    }
    String targetText;
    String portsText;
    if (spec.startsWith("[")) {
      int close = spec.indexOf(']');
      if (close < 0) {
        throw fail(index, ruleText, "missing ']' in " + HostParser.quote(spec));
      }
      int colon = spec.indexOf(':', close);
      targetText = colon < 0 ? spec : spec.substring(0, colon);
      portsText = colon < 0 ? null : spec.substring(colon + 1);
    } else {
      int colon = spec.indexOf(':');
      if (colon >= 0 && spec.indexOf(':', colon + 1) >= 0) {
        throw fail(
            index,
            ruleText,
            HostParser.quote(spec)
                + ": an IPv6 address must be in brackets (expected: e.g. [::1]:22)");
      }
      targetText = colon < 0 ? spec : spec.substring(0, colon);
      portsText = colon < 0 ? null : spec.substring(colon + 1);
    }
    Target target;
    try {
      target = parseTarget(targetText);
    } catch (IllegalArgumentException e) {
      throw fail(index, ruleText, e.getMessage());
    }
    List<PortRange> ports = new ArrayList<>();
    if (portsText == null) {
      ports.add(PortRange.ALL);
    } else {
      ports.add(parsePorts(index, ruleText, portsText));
      for (String more : morePorts) {
        ports.add(parsePorts(index, ruleText, more));
      }
    }
    return new Rule(index, ruleText, action, target, ports, protocol);
  }

  /** Letters and digits, starting with a letter: what a protocol word looks like. */
  private static boolean looksLikeWord(String s) {
    if (s.isEmpty() || !Character.isLetter(s.charAt(0))) {
      return false;
    }
    return s.chars().allMatch(c -> c < 128 && Character.isLetterOrDigit(c));
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static PortRange parsePorts(int index, String ruleText, String item) {
    if (item.equals("*")) {
      return PortRange.ALL;
    }
    int dash = item.indexOf('-');
    int low = parsePort(index, ruleText, dash < 0 ? item : item.substring(0, dash));
    int high = dash < 0 ? low : parsePort(index, ruleText, item.substring(dash + 1));
    if (high < low) {
      throw fail(
          index,
          ruleText,
          "port range " + item + " is reversed (expected: low-high, " + PORTS + ")");
    }
    return new PortRange(low, high);
  }

  private static int parsePort(int index, String ruleText, String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw fail(index, ruleText, "port " + HostParser.quote(s) + " (expected: " + PORTS + ")");
    }
    int port = Integer.parseInt(s);
    if (port < 1 || port > 65535) {
      throw fail(index, ruleText, "port " + port + " (expected: 1~65535)");
    }
    return port;
  }

  /** Parses one target; errors are IllegalArgumentExceptions that the caller puts in context. */
  static Target parseTarget(String t) {
    String lower = t.toLowerCase(Locale.ROOT);
    switch (lower) {
      case "*":
        return new Target.AnyAddress(Target.AnyAddress.Family.ANY);
      case "*4":
        return new Target.AnyAddress(Target.AnyAddress.Family.IPV4);
      case "*6":
        return new Target.AnyAddress(Target.AnyAddress.Family.IPV6);
      case "private":
        return new Target.Private();
      default:
        break;
    }
    if (t.startsWith("[")) {
      return new Target.Range(parseIpv6Range(t));
    }
    if (t.startsWith("*.")) {
      return new Target.Subdomains(t.substring(2));
    }
    int slash = t.indexOf('/');
    String host = slash < 0 ? t : t.substring(0, slash);
    if (slash >= 0 || HostParser.looksNumeric(host)) {
      return new Target.Range(parseIpv4Range(t, host, slash < 0 ? null : t.substring(slash + 1)));
    }
    if (t.indexOf('*') >= 0) {
      throw new IllegalArgumentException(
          "target " + HostParser.quote(t) + " (expected: " + TARGETS + ")");
    }
    return new Target.ExactName(t);
  }

  private static AddressRange parseIpv4Range(String t, String host, String mask) {
    // The error from parseDottedQuad already quotes the bad text.
    InetAddress address = Addresses.parseDottedQuad(host);
    if (mask == null) {
      return new AddressRange(address, 32);
    }
    int prefix;
    if (mask.indexOf('.') >= 0) {
      prefix = netmaskPrefix(t, mask);
    } else {
      prefix = parsePrefix(t, mask, 32);
    }
    return new AddressRange(address, prefix);
  }

  /** Tor's {@code a.b.c.d/m.m.m.m}: the mask must be contiguous ones then zeros. */
  private static int netmaskPrefix(String t, String mask) {
    byte[] m = Addresses.parseDottedQuad(mask).getAddress();
    int bits = ((m[0] & 0xff) << 24) | ((m[1] & 0xff) << 16) | ((m[2] & 0xff) << 8) | (m[3] & 0xff);
    int prefix = Integer.bitCount(bits);
    int contiguous = prefix == 0 ? 0 : -1 << (32 - prefix);
    if (bits != contiguous) {
      throw new IllegalArgumentException(
          "target "
              + HostParser.quote(t)
              + ": netmask "
              + mask
              + " is not contiguous (expected: ones then zeros, e.g. 255.255.0.0)");
    }
    return prefix;
  }

  private static AddressRange parseIpv6Range(String t) {
    int close = t.indexOf(']');
    String inner = t.substring(1, close);
    String rest = t.substring(close + 1);
    if (inner.indexOf('%') >= 0) {
      throw new IllegalArgumentException(
          "target " + HostParser.quote(t) + " has a zone id (expected: an address without %zone)");
    }
    byte[] bytes;
    try {
      bytes = Addresses.parseIpv6(inner);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("target " + HostParser.quote(t) + ": " + e.getMessage());
    }
    int prefix = 128;
    if (!rest.isEmpty()) {
      if (!rest.startsWith("/")) {
        throw new IllegalArgumentException(
            "target "
                + HostParser.quote(t)
                + ": unexpected "
                + HostParser.quote(rest)
                + " after ']' (expected: /bits or :ports)");
      }
      prefix = parsePrefix(t, rest.substring(1), 128);
    }
    boolean mapped = true;
    for (int i = 0; i < 10; i++) {
      mapped &= bytes[i] == 0;
    }
    mapped &= bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    if (mapped && prefix >= 96) {
      // Addresses are matched after normalization, so ::ffff:a.b.c.d/n can only mean a.b.c.d/n-96.
      byte[] v4 = {bytes[12], bytes[13], bytes[14], bytes[15]};
      return new AddressRange(Addresses.fromBytes(v4), prefix - 96);
    }
    return new AddressRange(Addresses.fromBytes(bytes), prefix);
  }

  private static int parsePrefix(String t, String s, int max) {
    if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "target "
              + HostParser.quote(t)
              + ": prefix "
              + HostParser.quote(s)
              + " (expected: 0~"
              + max
              + ")");
    }
    int prefix = Integer.parseInt(s);
    if (prefix > max) {
      throw new IllegalArgumentException(
          "target " + HostParser.quote(t) + ": prefix " + prefix + " (expected: 0~" + max + ")");
    }
    return prefix;
  }

  private static PolicyParseException fail(int index, String ruleText, String detail) {
    return new PolicyParseException(
        "rule " + index + " " + HostParser.quote(ruleText) + ": " + detail);
  }
}
