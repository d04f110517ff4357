package dev.ett.cli;

import dev.ett.util.Transports;
import io.netty.util.NetUtil;
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
      throw new IllegalArgumentException(
          what + ": " + s + " (port expected: " + minPort + "~65535)");
    }
    if (listen && (host.isEmpty() || host.equals("*"))) {
      return Transports.everyAddress(port);
    }
    return new InetSocketAddress(host, port);
  }

  /**
   * A name server for {@code --dns}: {@code IPv4[:PORT]}, {@code [IPv6][:PORT]} or a bare IPv6
   * address; port 53 unless given. An address, not a name: a name server named by a name would need
   * a name server first.
   */
  static InetSocketAddress nameServer(String s, String what) {
    String host = s;
    String port = "53";
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || (close != s.length() - 1 && s.charAt(close + 1) != ':')) {
        throw new IllegalArgumentException(
            what + ": " + s + " (expected: IPv4[:PORT] or [IPv6][:PORT])");
      }
      host = s.substring(1, close);
      if (close != s.length() - 1) {
        port = s.substring(close + 2);
      }
    } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') >= 0) {
      host = s.substring(0, s.indexOf(':'));
      port = s.substring(s.indexOf(':') + 1);
    }
    if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
      throw new IllegalArgumentException(
          what + ": " + s + " (expected: an IP address, IPv4[:PORT] or [IPv6][:PORT], not a name)");
    }
    int p = -1;
    if (port.length() <= 5 && !port.isEmpty() && port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      p = Integer.parseInt(port);
    }
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(what + ": " + s + " (port expected: 1~65535)");
    }
    return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), p);
  }
}
