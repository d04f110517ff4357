package dev.ett.util;

/**
 * What a service's {@code /healthz} answers: 200 with {@code ok}, else 503; {@code text} is the one
 * line of its body, saying why ("listening on 127.0.0.1:7000, 2 links", "link down: cannot connect
 * to ...").
 */
public record Health(boolean ok, String text) {
  public Health {
    if (text == null || text.isEmpty() || text.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("text: " + text + " (expected: one non-empty line)");
    }
  }
}
