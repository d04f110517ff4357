package dev.ett.policy;

import dev.ett.inspect.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * One {@code accept|reject TARGET[:PORTS] [PROTOCOL]} rule.
 *
 * @param index 1-based position in its policy, for messages ("rule 2")
 * @param text the rule as written, trimmed, for logs and audit
 * @param ports non-empty; {@link PortRange#ALL} when the rule had no {@code :PORTS}
 * @param protocol what the stream's first client bytes must be for this rule to match ({@code
 *     accept *:443 tls}); only accept rules have one
 */
public record Rule(
    int index,
    String text,
    Action action,
    Target target,
    List<PortRange> ports,
    Optional<Protocol> protocol) {
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
    if (protocol == null || (protocol.isPresent() && action != Action.ACCEPT)) {
      throw new IllegalArgumentException(
          "protocol: "
              + protocol
              + " for "
              + action
              + " (expected: empty, or a protocol on an accept rule)");
    }
  }

  /** A rule without a protocol qualifier. */
  public Rule(int index, String text, Action action, Target target, List<PortRange> ports) {
    this(index, text, action, target, ports, Optional.empty());
  }

  /**
   * True if the port is listed and the target matches (resolved must be normalized); a rule with a
   * protocol then also needs the stream's first bytes (see {@link Policy}).
   */
  boolean matches(Host requested, InetAddress resolved, int port) {
    return ports.stream().anyMatch(p -> p.contains(port)) && target.matches(requested, resolved);
  }

  /** {@code rule 2 'reject *:25'} */
  @Override
  public String toString() {
    return "rule " + index + " '" + text + "'";
  }
}
