package dev.ett.policy;

import java.net.InetAddress;

/**
 * A client's own rules inside the server's global rules: a stream goes through only if both
 * accept it. The client policy is checked first. A refusal, or a wait for the first bytes, is that
 * policy's decision; an acceptance carries the global rule, what either rule saw of the first
 * bytes, and a reason naming both accepting rules ("accepted by client alice rule 1 '...' and
 * global rule 2 '...'"), so the audit trail shows why.
 */
public record CombinedPolicy(Policy client, Policy global) implements ExitPolicy {
  public CombinedPolicy {
    if (client == null || global == null) {
      throw new IllegalArgumentException(
          "client, global: " + client + ", " + global + " (expected: non-null)");
    }
  }

  @Override
  public Decision decide(Destination requested, InetAddress resolved, OwnAddresses own, StreamStart start) {
    Decision c = client.decide(requested, resolved, own, start);
    if (!c.accepted()) {
      return c;
    }
    Decision g = global.decide(requested, resolved, own, start);
    if (!g.accepted()) {
      return g;
    }
    var seen = g.seen().isPresent() ? g.seen() : c.seen();
    return new Decision(
        true,
        g.rule(),
        g.policy(),
        "accepted by " + c.policy() + " " + c.rule().orElseThrow() + " and " + g.policy() + " "
            + g.rule().orElseThrow() + seen.map(Decision::describe).orElse(""),
        false,
        seen);
  }
}
