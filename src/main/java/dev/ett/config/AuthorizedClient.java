package dev.ett.config;

import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Limits;
import dev.ett.policy.ListenPolicy;
import dev.ett.policy.Policy;
import java.util.Arrays;
import java.util.Optional;

/**
 * One authorized client.
 *
 * @param name unique label for logs and audit
 * @param publicKey its 32-byte X25519 static key (copied in and out)
 * @param rules its own exit rules; empty means "no per-client restriction" (only the global policy
 *     applies), which is not the same as an empty {@link Policy}, which refuses everything
 * @param limits its own admission limits; {@link Limits#INHERIT} fields take the server's defaults
 * @param listen where the server may listen for it (reverse forwarding); none by default
 */
public record AuthorizedClient(
    String name, byte[] publicKey, Optional<Policy> rules, Limits limits, ListenPolicy listen) {
  /** A client that may not listen. */
  public AuthorizedClient(String name, byte[] publicKey, Optional<Policy> rules, Limits limits) {
    this(name, publicKey, rules, limits, ListenPolicy.NONE);
  }

  /** A client with no limits of its own. */
  public AuthorizedClient(String name, byte[] publicKey, Optional<Policy> rules) {
    this(name, publicKey, rules, Limits.INHERIT_ALL);
  }

  public AuthorizedClient {
    AuthorizedFile.checkName(name);
    if (publicKey == null || publicKey.length != KeyFile.KEY_BYTES) {
      throw new IllegalArgumentException(
          "publicKey: "
              + (publicKey == null ? "null" : publicKey.length + " bytes")
              + " (expected: 32 bytes)");
    }
    publicKey = publicKey.clone();
    if (rules == null) {
      throw new IllegalArgumentException("rules: null (expected: a policy or Optional.empty())");
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits: null (expected: limits, or Limits.INHERIT_ALL)");
    }
    if (listen == null) {
      throw new IllegalArgumentException("listen: null (expected: rules, or ListenPolicy.NONE)");
    }
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The policy this client's streams are checked against: its rules inside {@code global}. */
  public ExitPolicy exitPolicy(Policy global) {
    return rules.<ExitPolicy>map(r -> Policy.combine(r, global)).orElse(global);
  }

  public String fingerprint() {
    return KeyFile.fingerprint(publicKey);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuthorizedClient c
        && c.name.equals(name)
        && Arrays.equals(c.publicKey, publicKey)
        && c.rules.equals(rules)
        && c.limits.equals(limits)
        && c.listen.equals(listen);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * name.hashCode() + Arrays.hashCode(publicKey)) + rules.hashCode())
        + limits.hashCode()
        + 17 * listen.hashCode();
  }

  @Override
  public String toString() {
    String l = limits.toString();
    return name
        + " ("
        + fingerprint()
        + ")"
        + (l.isEmpty() ? "" : " " + l)
        + rules.map(r -> " [" + r + "]").orElse("")
        + (listen.isEmpty() ? "" : " [" + listen + "]");
  }
}
