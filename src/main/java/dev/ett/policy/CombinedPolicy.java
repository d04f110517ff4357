package dev.ett.policy;

import java.net.InetAddress;

/**
 * A client's own rules inside the server's global rules: a stream goes through only if both
 * accept it. The client policy is checked first; the decision names the refusing rule, or the
 * global rule that accepted.
 */
public record CombinedPolicy(Policy client, Policy global) implements ExitPolicy {
  public CombinedPolicy {
    if (client == null || global == null) {
      throw new IllegalArgumentException(
          "client, global: " + client + ", " + global + " (expected: non-null)");
    }
  }

  @Override
  public Decision decide(Destination requested, InetAddress resolved) {
    Decision c = client.decide(requested, resolved);
    if (!c.accepted()) {
      return c;
    }
    return global.decide(requested, resolved);
  }
}
