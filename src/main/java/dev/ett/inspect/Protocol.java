package dev.ett.inspect;

import java.util.Locale;

/**
 * A protocol whose start a client sends first, as an exit rule names it ({@code tls}, {@code http},
 * {@code http2}, {@code ssh}). Protocols in which the server speaks first (SMTP, FTP, some SSH
 * servers' pre-banner lines) cannot be recognised from the client's bytes and have no word here.
 */
public enum Protocol {
  /** A TLS ClientHello (any record version a browser sends, 0x0301..0x0304). */
  TLS("tls", "a TLS ClientHello"),
  /** An HTTP/1.0 or HTTP/1.1 request line and its header fields (RFC 9112). */
  HTTP("http", "an HTTP/1.x request"),
  /** The HTTP/2 prior-knowledge connection preface (RFC 9113 §3.4). */
  HTTP2("http2", "an HTTP/2 preface"),
  /** An SSH identification string (RFC 4253 §4.2), which SSH clients send at once. */
  SSH("ssh", "an SSH identification string");

  private final String word;
  private final String description;

  Protocol(String word, String description) {
    this.word = word;
    this.description = description;
  }

  /**
   * The word a rule spells this protocol with: {@code tls}, {@code http}, {@code http2}, {@code
   * ssh}.
   */
  public String word() {
    return word;
  }

  /** What a client's first bytes of this protocol are, for reasons: "a TLS ClientHello". */
  public String description() {
    return description;
  }

  /**
   * The protocol a rule's word names, case-insensitively.
   *
   * @throws IllegalArgumentException naming the valid words, e.g. {@code unknown protocol "tsl"
   *     (expected: tls, http, http2, ssh)}
   */
  public static Protocol parse(String word) {
    for (Protocol p : values()) {
      if (p.word.equals(word.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    StringBuilder valid = new StringBuilder();
    for (Protocol p : values()) {
      valid.append(valid.isEmpty() ? "" : ", ").append(p.word);
    }
    throw new IllegalArgumentException(
        "unknown protocol \"" + Ascii.escape(word, 32) + "\" (expected: " + valid + ")");
  }

  @Override
  public String toString() {
    return word;
  }
}
