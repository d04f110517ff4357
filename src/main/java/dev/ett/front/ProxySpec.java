package dev.ett.front;

import dev.ett.wire.AddressLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * One {@code -D [BIND:]PORT} proxy port (ssh's syntax), IPv6 addresses in brackets. Without BIND it
 * listens on 127.0.0.1 only; {@code *} or an empty BIND means every address of both families; any
 * other BIND is bound exactly as given ({@code 0.0.0.0}: IPv4 only), as in {@link ForwardSpec}.
 */
public record ProxySpec(String bindHost, int bindPort) {
  public ProxySpec {
    if (bindPort < 0 || bindPort > 65535) {
      throw new IllegalArgumentException("bindPort: " + bindPort + " (expected: 0~65535)");
    }
  }

  public static ProxySpec parse(String spec) {
    List<String> parts = AddressLiterals.splitOutsideBrackets(spec);
    if (parts.size() > 2) {
      throw new IllegalArgumentException(
          "-D " + spec + ": expected [BIND:]PORT (IPv6 in brackets)");
    }
    String bind =
        parts.size() == 2 ? AddressLiterals.unbracket(parts.get(0)) : ForwardSpec.DEFAULT_BIND;
    if (bind.isEmpty()) {
      bind = ForwardSpec.EVERY;
    }
    String port = parts.get(parts.size() - 1);
    try {
      return new ProxySpec(bind, Integer.parseInt(port));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D " + spec + ": port " + port + " (expected: 0~65535)");
    }
  }

  public InetSocketAddress bindAddress() {
    return ForwardSpec.bindAddress(bindHost, bindPort);
  }

  /** Whether only this machine can reach the port (then a users file is optional). */
  public boolean loopbackOnly() {
    InetAddress a = bindAddress().getAddress();
    return a != null && a.isLoopbackAddress();
  }

  @Override
  public String toString() {
    return (bindHost.contains(":") ? "[" + bindHost + "]" : bindHost) + ":" + bindPort;
  }
}
