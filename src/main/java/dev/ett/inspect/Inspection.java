package dev.ett.inspect;

import java.util.Objects;
import java.util.Optional;

/** What {@link FirstBytes#inspect} made of a stream's first client bytes. */
public sealed interface Inspection {
  /**
   * The bytes so far are a valid start of the expected protocol; wait for more (until the bound).
   */
  record NeedMore() implements Inspection {
    static final NeedMore INSTANCE = new NeedMore();
  }

  /**
   * The bytes hold a complete start of {@code protocol}.
   *
   * @param serverName the name the client asks for, lower-case, printable ASCII, no port: the TLS
   *     SNI host_name (with ECH, the outer public name), or the HTTP request target's authority
   *     (absolute-form, CONNECT's authority-form) else the Host header; empty when none was sent
   *     and always for SSH and HTTP/2
   * @param ech whether a TLS ClientHello carried encrypted_client_hello (0xfe0d): then the real
   *     name is encrypted and {@code serverName} is only the public name
   */
  record Matched(Protocol protocol, Optional<String> serverName, boolean ech)
      implements Inspection {
    public Matched {
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(serverName, "serverName");
      serverName.ifPresent(
          n -> {
            if (n.isEmpty() || !Ascii.isPrintable(n)) {
              throw new IllegalArgumentException(
                  "serverName: \"" + Ascii.escape(n, 64) + "\" (expected: printable ASCII)");
            }
          });
      if (ech && protocol != Protocol.TLS) {
        throw new IllegalArgumentException(
            "ech: true for " + protocol + " (expected: only for tls)");
      }
    }
  }

  /**
   * The bytes are not (or not a valid) start of the expected protocol.
   *
   * @param seen what they look like instead, for an operator ("an SSH banner", "a malformed TLS
   *     ClientHello", "37 bytes of unknown data"); it never holds payload bytes
   */
  record Mismatched(String seen) implements Inspection {
    public Mismatched {
      Objects.requireNonNull(seen, "seen");
    }

    /** The reason a refusal gives: "expected a TLS ClientHello, saw an SSH banner". */
    public String reason(Protocol expected) {
      return "expected " + expected.description() + ", saw " + seen;
    }
  }
}
