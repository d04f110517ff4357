package dev.ett.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
      int len = name.getBytes(StandardCharsets.US_ASCII).length;
      if (name.isEmpty() || len > MAX_NAME_LENGTH || !StandardCharsets.US_ASCII.newEncoder().canEncode(name)) {
        throw new IllegalArgumentException(
            "name: " + len + " bytes (expected: 1~" + MAX_NAME_LENGTH + " ASCII bytes)");
      }
    }
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
    InetAddress literal = Addresses.parseLiteral(h);
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
