package dev.ett.policy;

import java.net.InetAddress;

/**
 * A client's own rules inside the server's global rules: a stream goes through only if both accept
 * it. The client policy is checked first. A refusal is the refusing policy's decision (the global
 * rules are asked even while the client's wait for the first bytes, so a stream they refuse anyway
 * is refused at once); a wait for the first bytes is the waiting policy's; an acceptance carries
 * the global rule, what either rule saw of the first bytes, and a reason naming both accepting
 * rules ("accepted by client alice rule 1 '...' and global rule 2 '...'"), so the audit trail shows
 * why.
 */
public record CombinedPolicy(Policy client, Policy global) implements ExitPolicy {
  public CombinedPolicy {
    if (client == null || global == null) {
      throw new IllegalArgumentException(
          "client, global: " + client + ", " + global + " (expected: non-null)");
    }
  }

  @Override
  public Decision decide(
      Request requested, InetAddress resolved, OwnAddresses own, StreamStart start) {
    Decision c = client.decide(requested, resolved, own, start);
    if (c.refused()) {
      return c;
    }
    // Asked even while the client's rules wait for the first bytes: a refusal by the global rules
    // is final (no qualified rule of theirs matched before it, so no bytes can change it), and the
    // stream is then refused at OPEN, not opened, held and reset.
    Decision g = global.decide(requested, resolved, own, start);
    if (g.refused()) {
      return g;
    }
    if (c.awaiting()) {
      return c;
    }
    if (g.awaiting()) {
      return g;
    }
    var seen = g.seen().isPresent() ? g.seen() : c.seen();
    return new Decision(
        true,
        g.rule(),
        g.policy(),
        "accepted by "
            + c.policy()
            + " "
            + c.rule().orElseThrow()
            + " and "
            + g.policy()
            + " "
            + g.rule().orElseThrow()
            + seen.map(Decision::describe).orElse(""),
        false,
        seen);
  }
}
