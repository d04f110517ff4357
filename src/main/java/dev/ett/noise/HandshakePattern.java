package dev.ett.noise;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Noise handshake pattern (spec 7): pre-messages known out of band and the sequence of message
 * patterns, alternating initiator ("->") and responder ("<-"), the first from the initiator.
 *
 * <p>The table holds the fundamental patterns of spec 7.4 (one-way N, K, X; interactive NN ... IX)
 * and the deferred patterns of spec 7.5 (NK1 ... I1X1). PSK modifiers (spec 9.2) are applied by
 * {@link #lookup(String)}: "psk0" puts a "psk" token at the start of the first message, "pskN" (N
 * &gt; 0) at the end of the N-th message.
 */
public record HandshakePattern(
    String name,
    List<Token> initiatorPreMessage,
    List<Token> responderPreMessage,
    List<List<Token>> messages) {

  /** The tokens of spec 7.1 plus "psk" of spec 9. */
  public enum Token {
    E,
    S,
    EE,
    ES,
    SE,
    SS,
    PSK;

    static Token parse(String token) {
      return switch (token) {
        case "e" -> E;
        case "s" -> S;
        case "ee" -> EE;
        case "es" -> ES;
        case "se" -> SE;
        case "ss" -> SS;
        case "psk" -> PSK;
        default -> throw new IllegalArgumentException("token: " + token);
      };
    }

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public HandshakePattern {
    initiatorPreMessage = List.copyOf(initiatorPreMessage);
    responderPreMessage = List.copyOf(responderPreMessage);
    messages = messages.stream().map(List::copyOf).toList();
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("messages: empty (expected: at least one message)");
    }
  }

  // The notation below: "initiator pre-message | responder pre-message | message; message; ..."
  private static final Map<String, HandshakePattern> BASE = new LinkedHashMap<>();

  static {
    // Spec 7.4, one-way patterns.
    define("N", "", "s", "e, es");
    define("K", "s", "s", "e, es, ss");
    define("X", "", "s", "e, es, s, ss");
    // Spec 7.4, interactive patterns.
    define("NN", "", "", "e", "e, ee");
    define("NK", "", "s", "e, es", "e, ee");
    define("NX", "", "", "e", "e, ee, s, es");
    define("XN", "", "", "e", "e, ee", "s, se");
    define("XK", "", "s", "e, es", "e, ee", "s, se");
    define("XX", "", "", "e", "e, ee, s, es", "s, se");
    define("KN", "s", "", "e", "e, ee, se");
    define("KK", "s", "s", "e, es, ss", "e, ee, se");
    define("KX", "s", "", "e", "e, ee, se, s, es");
    define("IN", "", "", "e, s", "e, ee, se");
    define("IK", "", "s", "e, es, s, ss", "e, ee, se");
    define("IX", "", "", "e, s", "e, ee, se, s, es");
    // Spec 7.5, deferred patterns.
    define("NK1", "", "s", "e", "e, ee, es");
    define("NX1", "", "", "e", "e, ee, s", "es");
    define("X1N", "", "", "e", "e, ee", "s", "se");
    define("X1K", "", "s", "e, es", "e, ee", "s", "se");
    define("XK1", "", "s", "e", "e, ee, es", "s, se");
    define("X1K1", "", "s", "e", "e, ee, es", "s", "se");
    define("X1X", "", "", "e", "e, ee, s, es", "s", "se");
    define("XX1", "", "", "e", "e, ee, s", "es, s, se");
    define("X1X1", "", "", "e", "e, ee, s", "es, s", "se");
    define("K1N", "s", "", "e", "e, ee", "se");
    define("K1K", "s", "s", "e, es", "e, ee", "se");
    define("KK1", "s", "s", "e", "e, ee, se, es");
    define("K1K1", "s", "s", "e", "e, ee, es", "se");
    define("K1X", "s", "", "e", "e, ee, s, es", "se");
    define("KX1", "s", "", "e", "e, ee, se, s", "es");
    define("K1X1", "s", "", "e", "e, ee, s", "se, es");
    define("I1N", "", "", "e, s", "e, ee", "se");
    define("I1K", "", "s", "e, es, s", "e, ee", "se");
    define("IK1", "", "s", "e, s", "e, ee, se, es");
    define("I1K1", "", "s", "e, s", "e, ee, es", "se");
    define("I1X", "", "", "e, s", "e, ee, s, es", "se");
    define("IX1", "", "", "e, s", "e, ee, se, s", "es");
    define("I1X1", "", "", "e, s", "e, ee, s", "se, es");
  }

  private static final Pattern NAME = Pattern.compile("([A-Z1]+?)((?:psk\\d+)(?:\\+psk\\d+)*)?");

  /**
   * The pattern for a name such as {@code IK}, {@code XX1} or {@code XXpsk0+psk3}.
   *
   * @throws IllegalArgumentException for an unknown base pattern or a bad modifier
   */
  public static HandshakePattern lookup(String name) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "handshake pattern: " + name + " (expected: e.g. NN, XX, IK, XXpsk3)");
    }
    HandshakePattern base = BASE.get(m.group(1));
    if (base == null) {
      throw new IllegalArgumentException(
          "handshake pattern: " + m.group(1) + " (expected one of: " + BASE.keySet() + ")");
    }
    if (m.group(2) == null) {
      return base;
    }
    List<List<Token>> messages = new ArrayList<>();
    for (List<Token> message : base.messages) {
      messages.add(new ArrayList<>(message));
    }
    for (String modifier : m.group(2).split("\\+")) {
      int index = Integer.parseInt(modifier.substring(3));
      if (index > messages.size()) {
        throw new IllegalArgumentException(
            "modifier: "
                + modifier
                + " in "
                + name
                + " (expected: psk0..psk"
                + messages.size()
                + ")");
      }
      // Spec 9.2: psk0 places a "psk" token at the beginning of the first handshake message,
      // pskN (N > 0) at the end of the N-th handshake message.
      if (index == 0) {
        messages.get(0).add(0, Token.PSK);
      } else {
        messages.get(index - 1).add(Token.PSK);
      }
    }
    return new HandshakePattern(name, base.initiatorPreMessage, base.responderPreMessage, messages);
  }

  /** True for the one-way patterns (N, K, X and their PSK variants): one message only. */
  public boolean isOneWay() {
    return messages.size() == 1;
  }

  /** True if the pattern has PSK tokens; then "e" tokens also call MixKey (spec 9.2). */
  public boolean hasPsk() {
    return pskCount() > 0;
  }

  public int pskCount() {
    int count = 0;
    for (List<Token> message : messages) {
      for (Token t : message) {
        if (t == Token.PSK) {
          count++;
        }
      }
    }
    return count;
  }

  /** Whether message {@code index} (0-based) is sent by the initiator. */
  public static boolean sentByInitiator(int index) {
    return index % 2 == 0;
  }

  @Override
  public String toString() {
    return name;
  }

  private static void define(String name, String initPre, String respPre, String... messages) {
    List<List<Token>> parsed = new ArrayList<>();
    for (String message : messages) {
      parsed.add(tokens(message));
    }
    BASE.put(name, new HandshakePattern(name, tokens(initPre), tokens(respPre), parsed));
  }

  private static List<Token> tokens(String list) {
    List<Token> out = new ArrayList<>();
    if (!list.isBlank()) {
      for (String t : list.split(",")) {
        out.add(Token.parse(t.trim()));
      }
    }
    return out;
  }
}
