package dev.ett.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Where a stream should go, as the application gave it: a literal address or a name that only the
 * server resolves. Exactly one of {@code address} and {@code name} is set.
 */
public record Destination(InetAddress address, String name, int port) {
  public static final int MAX_NAME_LENGTH = 255;

  public Destination {
    if ((address == null) == (name == null)) {
      throw new IllegalArgumentException("exactly one of address and name must be set");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0~65535)");
    }
    if (name != null) {
      String problem = nameProblem(name);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
  }

  private static final String NAME_RULE =
      "expected: 1~"
          + MAX_NAME_LENGTH
          + " characters, each printable ASCII other than space, 0x21~0x7e";

  /**
   * The one definition of a destination name (PROTOCOL.md §5, OPEN): 1~255 characters, each a
   * printable ASCII character other than space, {@code 0x21~0x7e}. No space, tab, line break, other
   * control character, DEL or non-ASCII byte: none can be part of a host name, and each would
   * otherwise travel on to the server's resolver, its audit trail and both sides' logs.
   *
   * <p>Both sides hold names to it. The client's fronts build every {@link Destination} through the
   * constructor, which refuses any other name, so a local application's bad name is answered by the
   * front (SOCKS5 {@code 04}, SOCKS4a {@code 91}, HTTP {@code 400}, an error at start for {@code
   * -L}, {@code ett connect} and {@code --via}) and never sent. The server's frame decoder turns an
   * OPEN with any other name into {@link Frame.OpenBadName}, refused for that stream alone. The
   * server's own exit is stricter still (host names are letters, digits and hyphens; see
   * policy.HostParser) and refuses the rest with the same code, also per stream.
   *
   * @return why {@code name} is not a destination name, without the name itself (it may hold the
   *     very bytes that must not reach a log or a terminal); null if it is one
   */
  public static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "name: empty (" + NAME_RULE + ")";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        String shown =
            c <= 0xff ? String.format("0x%02x", (int) c) : String.format("U+%04X", (int) c);
        return "name: character " + shown + " at offset " + i + " (" + NAME_RULE + ")";
      }
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "name: " + name.length() + " characters (" + NAME_RULE + ")";
    }
    return null;
  }

  public static Destination of(InetAddress address, int port) {
    return new Destination(Objects.requireNonNull(address, "address"), null, port);
  }

  public static Destination ofName(String name, int port) {
    return new Destination(null, Objects.requireNonNull(name, "name"), port);
  }

  /**
   * Parses a host as a user typed it: an IPv4 literal, an IPv6 literal (brackets optional) or a
   * name. Never touches DNS.
   */
  public static Destination parse(String host, int port) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    InetAddress literal = AddressLiterals.parseLiteral(h);
    return literal != null ? of(literal, port) : ofName(h, port);
  }

  public boolean isName() {
    return name != null;
  }

  /** The host part as text: the name, or the address literal (IPv6 in brackets). */
  public String host() {
    if (name != null) {
      return name;
    }
    String a = address.getHostAddress();
    return address instanceof Inet6Address ? "[" + a + "]" : a;
  }

  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  @Override
  public String toString() {
    return host() + ":" + port;
  }
}
