package dev.ett.policy;

/** A policy string that does not parse; the message names the rule, the bad token and the fix. */
public final class PolicyParseException extends IllegalArgumentException {
  public PolicyParseException(String message) {
    super(message);
  }
}
