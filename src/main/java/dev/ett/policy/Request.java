package dev.ett.policy;

/**
 * What a client asked to reach, as the policy judges it: the host as the client wrote it (the
 * wire's {@link dev.ett.wire.Destination}, parsed) and a TCP port.
 */
public record Request(Host host, int port) {
  public Request {
    if (host == null) {
      throw new IllegalArgumentException("host: null (expected: a name or an address)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1~65535)");
    }
  }

  /** Parses {@code host} with {@link HostParser#parse}; no DNS. */
  public static Request of(String host, int port) {
    return new Request(HostParser.parse(host), port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
