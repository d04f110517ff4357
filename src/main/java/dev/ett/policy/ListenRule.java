package dev.ett.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One {@code listen} rule of an authorized client: where the server may listen for it (reverse
 * forwarding, PROTOCOL.md §10). Grammar: {@code listen HOST:PORTS [pool NAME]}.
 *
 * <ul>
 *   <li>HOST is an IPv4 literal, an IPv6 literal in brackets, or {@code *}. {@code *} stands for
 *       the loopback addresses only: binding any other address (including the wildcard {@code
 *       0.0.0.0} or {@code [::]}) needs a rule that names that very address, so that a broad rule
 *       never opens a port to the network by accident.
 *   <li>PORTS is a port, {@code LOW-HIGH}, or {@code *} (1-65535). A port below 1024 is allowed
 *       only by a rule naming that single port: a range or {@code *} covers its ports from 1024 up.
 *   <li>{@code pool NAME} lets several clients share the address: see {@link ListenPolicy}.
 * </ul>
 *
 * @param host the address named, or empty for {@code *}
 * @param pool the pool named, or empty
 */
public record ListenRule(Optional<InetAddress> host, PortRange ports, Optional<String> pool) {
  private static final Pattern POOL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Ports below this need a rule naming them (the privileged ports of Unix). */
  public static final int FIRST_UNPRIVILEGED = 1024;

  public ListenRule {
    if (host == null || ports == null || pool == null) {
      throw new IllegalArgumentException("host, ports, pool: null (expected: values or empty)");
    }
    pool.ifPresent(
        p -> {
          if (!POOL.matcher(p).matches()) {
            throw new IllegalArgumentException(
                "pool: '" + p + "' (expected: 1~64 of A-Z a-z 0-9 . _ -, starting with a letter)");
          }
        });
  }

  /**
   * Whether this rule allows listening on {@code address:port}; port 0 (the server chooses) is
   * allowed when some port of the rule would be.
   */
  public boolean allows(InetAddress address, int port) {
    if (host.isPresent() ? !host.get().equals(address) : !address.isLoopbackAddress()) {
      return false;
    }
    if (port == 0) {
      return ports.high() >= FIRST_UNPRIVILEGED || ports.low() == ports.high();
    }
    if (!ports.contains(port)) {
      return false;
    }
    return port >= FIRST_UNPRIVILEGED || (ports.low() == port && ports.high() == port);
  }

  /** The ports the server may choose from for a port-0 request under this rule. */
  public PortRange choosable() {
    if (ports.low() == ports.high() || ports.low() >= FIRST_UNPRIVILEGED) {
      return ports;
    }
    return new PortRange(FIRST_UNPRIVILEGED, ports.high());
  }

  /**
   * Parses {@code HOST:PORTS [pool NAME]} (the words after {@code listen}).
   *
   * @throws IllegalArgumentException saying what was read and what was expected
   */
  public static ListenRule parse(String text) {
    String[] words = text.strip().split("\\s+");
    Optional<String> pool = Optional.empty();
    if (words.length == 3 && words[1].equals("pool")) {
      pool = Optional.of(words[2]);
    } else if (words.length != 1 || words[0].isEmpty()) {
      throw new IllegalArgumentException(
          "listen '" + text.strip() + "' (expected: listen HOST:PORTS [pool NAME])");
    }
    String hp = words[0];
    int colon = hp.lastIndexOf(':');
    if (colon <= 0 || colon == hp.length() - 1) {
      throw new IllegalArgumentException(
          "listen '" + hp + "' (expected: HOST:PORTS, IPv6 in brackets, e.g. 127.0.0.1:8080)");
    }
    String h = hp.substring(0, colon);
    Optional<InetAddress> host = h.equals("*") ? Optional.empty() : Optional.of(address(h));
    return new ListenRule(host, ports(hp.substring(colon + 1)), pool);
  }

  /** An IP literal (IPv6 in brackets); never a name, never a lookup. */
  public static InetAddress address(String h) {
    String literal = h;
    if (h.startsWith("[") && h.endsWith("]")) {
      literal = h.substring(1, h.length() - 1);
      if (!literal.contains(":")) {
        throw new IllegalArgumentException("address: '" + h + "' (expected: an IPv6 literal)");
      }
    } else if (!h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      throw new IllegalArgumentException(
          "address: '" + h + "' (expected: an IPv4 address, [IPv6] or *; names are not allowed)");
    }
    if (!literal.matches("[0-9A-Fa-f:.]+")) {
      throw new IllegalArgumentException("address: '" + h + "' (expected: an IP address)");
    }
    try {
      return InetAddress.getByName(literal); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address: '" + h + "' (expected: an IP address)", e);
    }
  }

  private static PortRange ports(String p) {
    if (p.equals("*")) {
      return PortRange.ALL;
    }
    int dash = p.indexOf('-');
    try {
      if (dash < 0) {
        int port = Integer.parseInt(p);
        return new PortRange(port, port);
      }
      return new PortRange(
          Integer.parseInt(p.substring(0, dash)), Integer.parseInt(p.substring(dash + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ports: '" + p + "' (expected: PORT, LOW-HIGH or *)", e);
    }
  }

  /** The address as a rule writes it: IPv6 in brackets. */
  public static String format(InetAddress a) {
    String s = a.getHostAddress();
    return s.contains(":") ? "[" + s + "]" : s;
  }

  @Override
  public String toString() {
    return "listen "
        + host.map(ListenRule::format).orElse("*")
        + ":"
        + ports
        + pool.map(p -> " pool " + p).orElse("");
  }
}
