package dev.ett.policy;

/** A requested stream target: host as the client wrote it (parsed) and a TCP port. */
public record Destination(Host host, int port) {
  public Destination {
    if (host == null) {
      throw new IllegalArgumentException("host: null (expected: a name or an address)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1~65535)");
    }
  }

  /** Parses {@code host} with {@link HostParser#parse}; no DNS. */
  public static Destination of(String host, int port) {
    return new Destination(HostParser.parse(host), port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
