package dev.ett.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/** {@code --metrics} and {@code --metrics-public}, shared by server and client. */
final class MetricsOptions {
  @Option(
      names = "--metrics",
      paramLabel = "HOST:PORT",
      description =
          "Serve Prometheus metrics (/metrics) and /healthz here, unauthenticated: a loopback address"
              + " (127.0.0.1:9469) unless --metrics-public is given.")
  String metrics;

  @Option(
      names = "--metrics-public",
      description =
          "Allow --metrics on an address other than loopback (anyone who reaches it reads the metrics).")
  boolean metricsPublic;

  /**
   * The address to serve on, or null without --metrics; refuses a non-loopback one unless allowed.
   */
  InetSocketAddress address() {
    if (metrics == null) {
      return null;
    }
    InetSocketAddress a = Addrs.listenAddress(metrics, "--metrics");
    if (!metricsPublic && (a.isUnresolved() || !a.getAddress().isLoopbackAddress())) {
      throw new IllegalArgumentException(
          "--metrics: "
              + metrics
              + " (expected: a loopback address such as 127.0.0.1:9469 or [::1]:9469; the"
              + " endpoint has no authentication and names the clients: --metrics-public allows any address)");
    }
    return a;
  }
}
