package dev.ett.front;

import dev.ett.util.Log;
import dev.ett.util.Transports;
import dev.ett.wire.AddressLiterals;
import dev.ett.wire.Destination;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * One {@code -L} forward in ssh's syntax: {@code [BIND:]PORT:HOST:HOSTPORT}, IPv6 addresses in
 * brackets. Without BIND, the forward listens on 127.0.0.1 only (as ssh does by default). BIND is
 * bound exactly as given, as ssh binds it: {@code 0.0.0.0} takes IPv4 connections only and {@code
 * [::]} IPv6 only; {@code *} or an empty BIND is every address of both families.
 */
public record ForwardSpec(String bindHost, int bindPort, Destination destination) {
  public static final String DEFAULT_BIND = "127.0.0.1";

  /** BIND for every address of both families ({@code *}, or empty). */
  public static final String EVERY = "*";

  public static ForwardSpec parse(String spec) {
    List<String> parts = AddressLiterals.splitOutsideBrackets(spec);
    if (parts.size() != 3 && parts.size() != 4) {
      throw new IllegalArgumentException(
          "-L " + spec + ": expected [BIND:]PORT:HOST:HOSTPORT (IPv6 in brackets)");
    }
    int i = 0;
    String bind = parts.size() == 4 ? AddressLiterals.unbracket(parts.get(i++)) : DEFAULT_BIND;
    if (bind.isEmpty()) {
      bind = EVERY;
    }
    int bindPort = AddressLiterals.specPort("-L", parts.get(i++), spec, true);
    String host = AddressLiterals.unbracket(parts.get(i++));
    int port = AddressLiterals.specPort("-L", parts.get(i), spec, false);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("-L " + spec + ": empty destination host");
    }
    Destination to;
    try {
      to = Destination.parse(host, port);
    } catch (IllegalArgumentException e) {
      // Refused at start, like any other -L error, rather than at each connection.
      throw new IllegalArgumentException(
          "-L " + Log.escape(spec) + ": destination " + e.getMessage(), e);
    }
    return new ForwardSpec(bind, bindPort, to);
  }

  public InetSocketAddress bindAddress() {
    return bindAddress(bindHost, bindPort);
  }

  static InetSocketAddress bindAddress(String host, int port) {
    return host.equals(EVERY) ? Transports.everyAddress(port) : new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    String b = bindHost.contains(":") ? "[" + bindHost + "]" : bindHost;
    return b + ":" + bindPort + ":" + destination.host() + ":" + destination.port();
  }
}
