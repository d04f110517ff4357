package dev.ett.policy;

import dev.ett.inspect.Inspection;
import java.util.Optional;

/**
 * The outcome of an exit-policy check: accepted, refused, or — for a rule with a protocol qualifier
 * — waiting for the stream's first bytes ({@link #awaiting}).
 *
 * @param accepted whether the stream may be opened
 * @param rule the rule that decided, or that waits for the first bytes; empty when no rule matched
 *     (which refuses)
 * @param policy name of the policy that decided ("global", "client alice", ...)
 * @param reason one line for logs and the audit trail
 * @param awaiting true if no decision can be taken before more of the stream's first bytes are
 *     seen: {@code rule} matched all but its protocol (then {@code accepted} is false)
 * @param seen for a stream accepted by a rule with a protocol: what its first bytes were (protocol,
 *     server name, ECH), for the audit trail
 */
public record Decision(
    boolean accepted,
    Optional<Rule> rule,
    String policy,
    String reason,
    boolean awaiting,
    Optional<Inspection.Matched> seen) {
  public Decision {
    if (rule == null || policy == null || reason == null || seen == null) {
      throw new IllegalArgumentException(
          "rule, policy, reason, seen: "
              + rule
              + ", "
              + policy
              + ", "
              + reason
              + ", "
              + seen
              + " (expected: non-null)");
    }
    if (accepted && rule.isEmpty()) {
      // Only a rule can accept: "nothing matched" always refuses.
      throw new IllegalArgumentException("rule: empty (expected: the accepting rule)");
    }
    if (awaiting && (accepted || rule.isEmpty())) {
      throw new IllegalArgumentException(
          "awaiting: true (expected: only for a rule that is not yet accepted)");
    }
  }

  /** A decision taken without first bytes. */
  public Decision(boolean accepted, Optional<Rule> rule, String policy, String reason) {
    this(accepted, rule, policy, reason, false, Optional.empty());
  }

  /** Neither accepted nor refused yet. */
  public boolean refused() {
    return !accepted && !awaiting;
  }

  static Decision byRule(String policy, Rule rule) {
    return byRule(policy, rule, Optional.empty());
  }

  static Decision byRule(String policy, Rule rule, Optional<Inspection.Matched> seen) {
    boolean accept = rule.action() == Rule.Action.ACCEPT;
    return new Decision(
        accept,
        Optional.of(rule),
        policy,
        (accept ? "accepted by " : "refused by ")
            + policy
            + " "
            + rule
            + seen.map(Decision::describe).orElse(""),
        false,
        seen);
  }

  static Decision awaiting(String policy, Rule rule) {
    return new Decision(
        false,
        Optional.of(rule),
        policy,
        "waiting for the first bytes: "
            + policy
            + " "
            + rule
            + " needs "
            + rule.protocol().orElseThrow().description(),
        true,
        Optional.empty());
  }

  static Decision noMatch(String policy, String why) {
    return new Decision(false, Optional.empty(), policy, "refused by " + policy + ": " + why);
  }

  /**
   * " (tls, SNI www.example.com)", " (http, Host a.example)", " (ssh)", " (tls, no SNI, ECH)": what
   * a reason says of the first bytes; also {@code ett policy check}'s account of a capture.
   */
  public static String describe(Inspection.Matched m) {
    StringBuilder b = new StringBuilder(" (").append(m.protocol().word());
    switch (m.protocol()) {
      case TLS -> b.append(m.serverName().map(n -> ", SNI " + n).orElse(", no SNI"));
      case HTTP -> b.append(m.serverName().map(n -> ", Host " + n).orElse(", no Host"));
      default -> {}
    }
    if (m.ech()) {
      b.append(", ECH");
    }
    return b.append(')').toString();
  }

  @Override
  public String toString() {
    return reason;
  }
}
