package dev.ett.route;

import dev.ett.util.Log;
import dev.ett.wire.Destination;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * One ett server on a route: where it listens and its pinned public key. The key never appears in
 * {@link #toString()}.
 *
 * <p>Only the first hop's address is resolved on this machine (the client connects to it); every
 * later hop's address travels, as written, inside the link of the hop before it and is resolved
 * there, as any destination is ({@link #destination()}).
 */
public record Hop(String host, int port, byte[] key) {
  public static final int KEY_BYTES = 32;

  public Hop {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("host: empty (expected: a name or an address)");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1~65535)");
    }
    if (key == null || key.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "key: "
              + (key == null ? "null" : key.length + " bytes")
              + " (expected: "
              + KEY_BYTES
              + " bytes)");
    }
    key = key.clone();
    try {
      Destination.parse(
          host, port); // a name the wire cannot carry fails here, not at the hop before
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "hop " + Log.escape(host) + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** {@code HOST:PORT} (IPv6 in brackets) and the hop's key. */
  public static Hop parse(String hostPort, byte[] key) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException(
          "hop " + hostPort + ": expected HOST:PORT (IPv6 in brackets)");
    }
    String host = hostPort.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException(
          "hop " + hostPort + ": an IPv6 address goes in brackets ([::1]:7000)");
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "hop " + hostPort + ": port " + hostPort.substring(colon + 1) + " (expected: 1~65535)");
    }
    return new Hop(host, port, key);
  }

  @Override
  public byte[] key() {
    return key.clone();
  }

  /** This hop as a stream destination, for the hop before it (a name stays a name). */
  public Destination destination() {
    return Destination.parse(host, port);
  }

  /** This hop's socket address, resolved here: only for the first hop. */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hop h && h.host.equals(host) && h.port == port && Arrays.equals(h.key, key);
  }

  @Override
  public int hashCode() {
    return (host.hashCode() * 31 + port) * 31 + Arrays.hashCode(key);
  }

  /** {@code host:port}, IPv6 in brackets; never the key. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
