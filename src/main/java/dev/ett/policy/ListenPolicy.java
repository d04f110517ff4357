package dev.ett.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * A client's {@code listen} rules, in order: the first rule that allows an address decides, and
 * nothing matched is refused (reverse forwarding is closed by default).
 *
 * <p>Pools: a rule may say {@code pool NAME}. When a client asks for an address another client
 * already listens on, the server lets it join only if both clients' deciding rules name the same
 * pool; connections to the address are then spread over the pool's clients. Otherwise the second
 * client is refused ("127.0.0.1:8080 is held by client alice").
 */
public record ListenPolicy(List<ListenRule> rules) {
  public static final ListenPolicy NONE = new ListenPolicy(List.of());

  public ListenPolicy {
    rules = List.copyOf(rules);
  }

  /**
   * What the rules say about listening on {@code address:port}.
   *
   * @param rule the deciding rule with its 1-based number, or empty when refused
   * @param reason one line for the operator: which rule allowed, or why nothing did
   */
  public record Verdict(boolean allowed, Optional<ListenRule> rule, int number, String reason) {
    public Optional<String> pool() {
      return rule.flatMap(ListenRule::pool);
    }
  }

  public Verdict check(String client, InetAddress address, int port) {
    String where = ListenRule.format(address) + ":" + port;
    for (int i = 0; i < rules.size(); i++) {
      ListenRule r = rules.get(i);
      if (r.allows(address, port)) {
        return new Verdict(
            true,
            Optional.of(r),
            i + 1,
            "allowed by client " + client + " rule " + (i + 1) + " '" + r + "'");
      }
    }
    String hint = "";
    if (!address.isLoopbackAddress()) {
      hint = " (a non-loopback address needs a rule that names it; '*' means loopback only)";
    } else if (port > 0 && port < ListenRule.FIRST_UNPRIVILEGED) {
      hint = " (a port below 1024 needs a rule that names that single port)";
    }
    return new Verdict(
        false,
        Optional.empty(),
        0,
        rules.isEmpty()
            ? "client " + client + " has no listen rule (reverse forwarding is refused by default)"
            : "no listen rule of client " + client + " allows " + where + hint);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  @Override
  public String toString() {
    return String.join(", ", rules.stream().map(ListenRule::toString).toList());
  }
}
