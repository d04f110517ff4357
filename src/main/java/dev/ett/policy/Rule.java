package dev.ett.policy;

import java.net.InetAddress;
import java.util.List;

/**
 * One {@code accept|reject TARGET[:PORTS]} rule.
 *
 * @param index 1-based position in its policy, for messages ("rule 2")
 * @param text the rule as written, trimmed, for logs and audit
 * @param ports non-empty; {@link PortRange#ALL} when the rule had no {@code :PORTS}
 */
public record Rule(int index, String text, Action action, Target target, List<PortRange> ports) {
  public enum Action {
    ACCEPT,
    REJECT
  }

  public Rule {
    if (index < 1) {
      throw new IllegalArgumentException("index: " + index + " (expected: >= 1)");
    }
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("text: '" + text + "' (expected: the rule as written)");
    }
    if (action == null || target == null) {
      throw new IllegalArgumentException(
          "action: " + action + ", target: " + target + " (expected: both non-null)");
    }
    ports = List.copyOf(ports);
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("ports: [] (expected: at least one port range)");
    }
  }

  /** True if the port is listed and the target matches (resolved must be normalized). */
  boolean matches(Host requested, InetAddress resolved, int port) {
    return ports.stream().anyMatch(p -> p.contains(port)) && target.matches(requested, resolved);
  }

  /** {@code rule 2 'reject *:25'} */
  @Override
  public String toString() {
    return "rule " + index + " '" + text + "'";
  }
}
