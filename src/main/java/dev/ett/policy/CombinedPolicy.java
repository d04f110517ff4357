package dev.ett.policy;

import java.net.InetAddress;

/**
 * A client's own rules inside the server's global rules: a stream goes through only if both
 * accept it. The client policy is checked first. A refusal is the refusing policy's decision; an
 * acceptance carries the global rule and a reason naming both accepting rules ("accepted by
 * client alice rule 1 '...' and global rule 2 '...'"), so the audit trail shows why.
 */
public record CombinedPolicy(Policy client, Policy global) implements ExitPolicy {
  public CombinedPolicy {
    if (client == null || global == null) {
      throw new IllegalArgumentException(
          "client, global: " + client + ", " + global + " (expected: non-null)");
    }
  }

  @Override
  public Decision decide(Destination requested, InetAddress resolved, OwnAddresses own) {
    Decision c = client.decide(requested, resolved, own);
    if (!c.accepted()) {
      return c;
    }
    Decision g = global.decide(requested, resolved, own);
    if (!g.accepted()) {
      return g;
    }
    return new Decision(
        true,
        g.rule(),
        g.policy(),
        "accepted by " + c.policy() + " " + c.rule().orElseThrow() + " and " + g.policy() + " "
            + g.rule().orElseThrow());
  }
}
