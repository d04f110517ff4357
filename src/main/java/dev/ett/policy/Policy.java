package dev.ett.policy;

import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An exit policy: an ordered list of {@code accept|reject TARGET[:PORTS]} rules in Tor's ExitPolicy
 * syntax, extended with names. Parse one with {@link #parse(String, String)}.
 *
 * <h2>Syntax</h2>
 *
 * <pre>
 * policy  = [ rule *( "," rule ) ]
 * rule    = "accept" 1*WSP target [ ":" ports ] [ 1*WSP protocol ]
 *         / "reject" 1*WSP target [ ":" ports ]
 * ports   = port-item *( "," port-item )        ; see "Commas" below
 * protocol = "tls" / "http" / "http2" / "ssh"   ; after the last port item
 * port-item = "*" / N / N "-" M                 ; 1 &lt;= N &lt;= M &lt;= 65535
 * target  = "*" / "*4" / "*6" / "private"
 *         / a.b.c.d [ "/" bits / "/" m.m.m.m ]  ; strict dotted quad, contiguous netmask
 *         / "[" ipv6 "]" [ "/" bits ]
 *         / name / "*." name                     ; LDH host name, exact or strict subdomains
 * </pre>
 *
 * Keywords and names are case-insensitive; whitespace around tokens, ':', '/', '-' and ',' is
 * ignored. A missing {@code :ports} means all ports ({@code *} is 1-65535).
 *
 * <p><b>Commas.</b> A comma separates rules and also port items, so the reading is decided by what
 * follows it: <em>a comma starts a new rule if the next token is {@code accept} or {@code reject};
 * otherwise it continues the port list of the rule before it</em>, which therefore must have had an
 * explicit {@code :ports}. {@code "accept 10.0.0.0/8:22,80, reject *:*"} is two rules, the first
 * for ports 22 and 80. A comma after a rule without ports, or a trailing comma, is an error rather
 * than a guess.
 *
 * <p>A host that would be read as an IPv4 address by inet_aton but is not a strict dotted quad
 * ({@code 127.1}, {@code 0x7f.0.0.1}) is refused, as is a bare IPv6 address (brackets are required,
 * as in Tor, because of the {@code :ports} colon), and a host address with bits set past its prefix
 * ({@code 10.1.0.0/8}). {@code [::ffff:a.b.c.d]/n} with n &gt;= 96 means {@code a.b.c.d/(n-96)},
 * since addresses are matched after normalization. {@code private} is a keyword, not a host name.
 *
 * <h2>Evaluation</h2>
 *
 * Given the requested destination (a name or an address, and a port) and the address it resolved
 * to, {@link #decide} walks the rules in order:
 *
 * <ol>
 *   <li>The resolved address is {@linkplain Addresses#normalize normalized} first: {@code
 *       ::ffff:a.b.c.d} and {@code ::a.b.c.d} are tested as {@code a.b.c.d}.
 *   <li>A rule matches if the port is in its port list and its target matches: address targets
 *       ({@code *}, {@code *4}, {@code *6}, ranges, {@code private}) test the resolved address,
 *       name targets test the name the client asked for (never a request by address).
 *   <li>The first matching {@code reject} refuses.
 *   <li>A matching {@code accept} accepts, with one exception that makes the policy safe by
 *       default: if the resolved address is special-purpose (in {@link SpecialAddresses}: loopback,
 *       RFC 1918, link-local, {@code 0.0.0.0}, {@code ::}, ...), the accept counts only if its
 *       target names that address explicitly: {@code private}, or an address range that lies inside
 *       the registry block holding the address ({@code 127.0.0.1}, {@code 10.0.0.0/8}). {@code *},
 *       {@code *4}, {@code *6}, wide ranges such as {@code 0.0.0.0/0}, and names (even {@code
 *       localhost}) do not; such a rule is passed over and evaluation goes on with the next rule.
 *       So {@code accept *:*} means "any public address", and {@code accept *:*, accept
 *       10.0.0.0/8:22} also opens 10.x port 22.
 *   <li>An address of the deciding server itself ({@link OwnAddresses}: its interfaces' addresses
 *       other than loopback, e.g. 198.51.100.7 on eth0) is closed the same way, more strictly: an
 *       accept counts only if its target is that one address ({@code accept 198.51.100.7:80},
 *       {@code /32}, {@code [...]/128}). Not {@code *}, not the server's subnet, not {@code
 *       10.0.0.0/8} or {@code private} for a private one: a stream to it reaches the server's own
 *       services from the loopback side, past host firewall rules that guard only the external
 *       interface, and a rule written for other hosts should not open that by accident.
 *   <li>An accept rule with a protocol ({@code accept *:443 tls}) that matches so far decides only
 *       on the stream's first client bytes ({@link StreamStart}, parsed by {@code
 *       dev.ett.inspect}):
 *       <ul>
 *         <li>not enough bytes yet: the decision is {@linkplain Decision#awaiting awaiting} that
 *             rule, and the exit asks again with more (first match: no later rule may decide before
 *             this one has);
 *         <li>they are not that protocol: the rule does not match; evaluation goes on with the next
 *             rule, and a refusal in the end says what was expected and seen;
 *         <li>they are: for {@code tls} and {@code http} with a name target ({@code
 *             *.example.com}), the name the bytes ask for (the TLS SNI, the HTTP authority or Host)
 *             must match the target as well as the requested name does — no name, no match; then
 *             the rule accepts, and the decision carries what was {@linkplain Decision#seen seen}.
 *       </ul>
 *       A request by address never matches a name rule, qualified or not: an SNI is the client's
 *       word, and only a name the server resolves itself ties it to where the stream goes.
 *   <li>If no rule decides, the stream is refused. An empty policy refuses everything.
 * </ol>
 *
 * @param name names the policy in decisions ("global", "client alice")
 */
public record Policy(String name, List<Rule> rules) implements ExitPolicy {
  public Policy {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name: '" + name + "' (expected: non-blank)");
    }
    rules = List.copyOf(rules);
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).index() != i + 1) {
        throw new IllegalArgumentException(
            "rules[" + i + "].index: " + rules.get(i).index() + " (expected: " + (i + 1) + ")");
      }
    }
  }

  /** Parses a comma-separated rule list; blank text is the empty policy (refuses everything). */
  public static Policy parse(String name, String text) {
    return new Policy(name, PolicyParser.parse(text));
  }

  /** {@link #parse(String, String)} with the name "policy". */
  public static Policy parse(String text) {
    return parse("policy", text);
  }

  /**
   * A named preset: {@code web} accepts HTTP/1.x requests to port 80 and TLS to port 443 on public
   * addresses ({@code accept *:80 http, accept *:443 tls}); everything else is refused because
   * nothing else matches.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static Policy preset(String preset) {
    return switch (preset) {
      case "web" -> parse("web", "accept *:80 http, accept *:443 tls");
      default ->
          throw new IllegalArgumentException("preset: '" + preset + "' (expected: one of [web])");
    };
  }

  /** A client's rules inside the global rules: both must accept; see {@link CombinedPolicy}. */
  public static ExitPolicy combine(Policy client, Policy global) {
    return new CombinedPolicy(client, global);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  @Override
  public Decision decide(
      Request requested, InetAddress resolved, OwnAddresses own, StreamStart start) {
    InetAddress address = Addresses.normalize(resolved);
    if (requested.host() instanceof Host.Address a && !a.address().equals(address)) {
      throw new IllegalArgumentException(
          "resolved: "
              + Addresses.toText(address)
              + " (expected: "
              + a
              + ", the address that was requested)");
    }
    boolean ownAddress = own.contains(address);
    Optional<SpecialAddresses.Block> special = SpecialAddresses.blockOf(address);
    Rule passedOver = null;
    String notMatched = null; // why the first qualified rule did not match the first bytes
    for (Rule rule : rules) {
      if (!rule.matches(requested.host(), address, requested.port())) {
        continue;
      }
      if (rule.action() == Rule.Action.ACCEPT
          && !opens(rule.target(), address, ownAddress, special)) {
        if (passedOver == null) {
          passedOver = rule;
        }
        continue;
      }
      if (rule.protocol().isEmpty()) {
        return Decision.byRule(name, rule);
      }
      Protocol protocol = rule.protocol().get();
      switch (start.as(protocol)) {
        case Inspection.NeedMore x -> {
          return Decision.awaiting(name, rule);
        }
        case Inspection.Mismatched m -> {
          if (notMatched == null) {
            notMatched = rule + " " + m.reason(protocol);
          }
        }
        case Inspection.Matched m -> {
          String nameProblem = serverNameProblem(rule, m);
          if (nameProblem == null) {
            return Decision.byRule(name, rule, Optional.of(m));
          }
          if (notMatched == null) {
            notMatched = rule + " " + nameProblem;
          }
        }
      }
    }
    if (notMatched != null) {
      return Decision.noMatch(name, notMatched);
    }
    String notOpened = passedOver == null ? "" : "; " + passedOver + " does not open it";
    if (ownAddress) {
      return Decision.noMatch(
          name,
          Addresses.toText(address)
              + " is an address of this server; closed unless a rule names it"
              + notOpened);
    }
    if (special.isPresent()) {
      SpecialAddresses.Block b = special.get();
      return Decision.noMatch(
          name,
          Addresses.toText(address)
              + " is special-purpose ("
              + b.name()
              + ", "
              + b.range()
              + ") and no accept rule names it"
              + notOpened);
    }
    return Decision.noMatch(name, "no rule matched " + requested);
  }

  /**
   * Why the name in a stream's first bytes does not fit a qualified rule whose target is a name, or
   * null if it does (or the target is no name, or the protocol carries no name).
   */
  private static String serverNameProblem(Rule rule, Inspection.Matched m) {
    if (m.protocol() != Protocol.TLS && m.protocol() != Protocol.HTTP) {
      return null;
    }
    String what = m.protocol() == Protocol.TLS ? "SNI" : "Host";
    Target target = rule.target();
    if (!(target instanceof Target.ExactName) && !(target instanceof Target.Subdomains)) {
      return null;
    }
    if (m.serverName().isEmpty()) {
      return "saw "
          + m.protocol().description()
          + " without "
          + (m.protocol() == Protocol.TLS ? "an SNI" : "a Host")
          + ": a name rule needs the "
          + what
          + " to match "
          + target;
    }
    String seen = m.serverName().get();
    Host host;
    try {
      host = new Host.Name(seen);
    } catch (IllegalArgumentException e) {
      return what + " " + seen + " is not a host name";
    }
    if (!target.matches(host, null)) {
      return what + " " + seen + " does not match " + target;
    }
    return null;
  }

  /**
   * Whether an accept rule with {@code target}, which matched, may open {@code address}: the
   * server's own addresses only by name, special-purpose ones only explicitly, the rest always. (A
   * single-address range that opens an own address also names its registry block explicitly.)
   */
  private static boolean opens(
      Target target,
      InetAddress address,
      boolean ownAddress,
      Optional<SpecialAddresses.Block> special) {
    if (ownAddress) {
      return target.opensOwn(address);
    }
    return special.isEmpty() || target.opensSpecial(address);
  }

  @Override
  public String toString() {
    return rules.stream().map(Rule::text).collect(Collectors.joining(", "));
  }
}
