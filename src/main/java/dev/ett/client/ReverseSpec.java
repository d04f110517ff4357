package dev.ett.client;

import dev.ett.wire.AddressLiterals;
import dev.ett.wire.Destination;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * One {@code -R} in ssh's syntax: {@code [BIND:]PORT:HOST:HOSTPORT} (the server listens on
 * BIND:PORT, default bind 127.0.0.1 as ssh without GatewayPorts; the client connects each
 * connection to HOST:HOSTPORT on its side), or {@code [BIND:]PORT} (the server serves a SOCKS/HTTP
 * proxy there whose streams exit from the client). BIND is an IP address (IPv6 in brackets): the
 * server's listen rules are written in addresses. PORT 0 lets the server choose.
 *
 * @param target where this client connects the listener's streams; empty for a proxy listener
 */
public record ReverseSpec(InetAddress bind, int port, Optional<Destination> target) {
  public ReverseSpec {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0~65535)");
    }
  }

  public static ReverseSpec parse(String spec) {
    List<String> parts = AddressLiterals.splitOutsideBrackets(spec);
    if (parts.isEmpty() || parts.size() > 4) {
      throw new IllegalArgumentException(
          "-R " + spec + ": expected [BIND:]PORT:HOST:HOSTPORT or [BIND:]PORT (IPv6 in brackets)");
    }
    boolean withTarget = parts.size() >= 3;
    boolean withBind = parts.size() == 4 || parts.size() == 2;
    int i = 0;
    InetAddress bind;
    try {
      bind = InetAddress.getByName(withBind ? literal(parts.get(i++), spec) : "127.0.0.1");
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("-R " + spec + ": bind address " + e.getMessage(), e);
    }
    int port = AddressLiterals.specPort("-R", parts.get(i++), spec, true);
    Optional<Destination> target = Optional.empty();
    if (withTarget) {
      String host = AddressLiterals.unbracket(parts.get(i++));
      int hostPort = AddressLiterals.specPort("-R", parts.get(i), spec, false);
      if (host.isEmpty()) {
        throw new IllegalArgumentException("-R " + spec + ": empty target host");
      }
      target = Optional.of(Destination.parse(host, hostPort));
    }
    return new ReverseSpec(bind, port, target);
  }

  /** An IP literal only: a name would be resolved here, not on the server, which is confusing. */
  private static String literal(String s, String spec) {
    String a = AddressLiterals.unbracket(s);
    if (!a.matches("[0-9A-Fa-f:.]+") || (!a.contains(":") && !a.matches("[0-9.]+"))) {
      throw new IllegalArgumentException(
          "-R " + spec + ": bind '" + s + "' (expected: an IP address, IPv6 in brackets)");
    }
    return a;
  }

  /** The server's side as it is asked for: {@code 127.0.0.1:8080}. */
  public String listenText() {
    String a = bind.getHostAddress();
    return (a.contains(":") ? "[" + a + "]" : a) + ":" + port;
  }

  @Override
  public String toString() {
    return listenText() + target.map(t -> ":" + t.host() + ":" + t.port()).orElse(" (proxy)");
  }
}
