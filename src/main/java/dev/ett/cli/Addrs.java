package dev.ett.cli;

import dev.ett.util.Transports;
import java.net.InetSocketAddress;

/** HOST:PORT arguments, IPv6 in brackets. */
final class Addrs {
  private Addrs() {}

  /** An address to connect to: the port is 1~65535. */
  static InetSocketAddress hostPort(String s, String what) {
    return parse(s, what, 1, false);
  }

  /**
   * An address to listen on, bound exactly as given ({@code 0.0.0.0} is IPv4 only, {@code [::]}
   * IPv6 only); {@code *} (or an empty HOST) is every address of both families, as in ssh's -L.
   * Port 0 picks a free port.
   */
  static InetSocketAddress listenAddress(String s, String what) {
    return parse(s, what, 0, true);
  }

  private static InetSocketAddress parse(String s, String what, int minPort, boolean listen) {
    int colon = s.lastIndexOf(':');
    if (colon < 0 || colon == s.length() - 1 || (colon == 0 && !listen)) {
      throw new IllegalArgumentException(what + ": " + s + " (expected HOST:PORT)");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < minPort || port > 65535) {
      throw new IllegalArgumentException(what + ": " + s + " (port expected: " + minPort + "~65535)");
    }
    if (listen && (host.isEmpty() || host.equals("*"))) {
      return Transports.everyAddress(port);
    }
    return new InetSocketAddress(host, port);
  }
}
