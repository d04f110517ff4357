package dev.ett.policy;

import java.util.Optional;

/**
 * The outcome of an exit-policy check.
 *
 * @param accepted whether the stream may be opened
 * @param rule the rule that decided; empty when no rule matched (which refuses)
 * @param policy name of the policy that decided ("global", "client alice", ...)
 * @param reason one line for logs and the audit trail
 */
public record Decision(boolean accepted, Optional<Rule> rule, String policy, String reason) {
  public Decision {
    if (rule == null || policy == null || reason == null) {
      throw new IllegalArgumentException(
          "rule, policy, reason: " + rule + ", " + policy + ", " + reason + " (expected: non-null)");
    }
    if (accepted && rule.isEmpty()) {
      // Only a rule can accept: "nothing matched" always refuses.
      throw new IllegalArgumentException("rule: empty (expected: the accepting rule)");
    }
  }

  static Decision byRule(String policy, Rule rule) {
    boolean accept = rule.action() == Rule.Action.ACCEPT;
    return new Decision(
        accept,
        Optional.of(rule),
        policy,
        (accept ? "accepted by " : "refused by ") + policy + " " + rule);
  }

  static Decision noMatch(String policy, String why) {
    return new Decision(false, Optional.empty(), policy, "refused by " + policy + ": " + why);
  }

  @Override
  public String toString() {
    return reason;
  }
}
