package dev.ett.front;

import dev.ett.wire.Destination;
import java.util.Locale;

/**
 * Where an HTTP proxy request goes (RFC 9112 §3.2): the absolute-form {@code
 * http://host[:port]/path?query} of a plain request, or the authority-form {@code host:port} of a
 * CONNECT. The host stays as the application wrote it — a name is resolved by the server.
 *
 * @param destination the host and port, never resolved here
 * @param authority the {@code Host} header value to send to the origin (no userinfo)
 * @param originForm the request target to send to the origin: path and query, at least "/"
 */
public record HttpTarget(Destination destination, String authority, String originForm) {
  private static final String HTTP = "http://";

  /** Parses an absolute-form target. Only {@code http://}: https goes through CONNECT. */
  public static HttpTarget absolute(String uri) {
    if (!uri.regionMatches(true, 0, HTTP, 0, HTTP.length())) {
      throw new IllegalArgumentException(
          "request target: " + abbreviate(uri) + " (expected: http://HOST[:PORT]/...)");
    }
    int start = HTTP.length();
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(start, end);
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      authority = authority.substring(at + 1); // userinfo is not for the origin (RFC 9110 §4.2.4)
    }
    Destination d = hostPort(authority, 80);
    String rest = uri.substring(end);
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      rest = rest.substring(0, hash);
    }
    if (rest.isEmpty() || rest.charAt(0) != '/') {
      rest = "/" + rest;
    }
    return new HttpTarget(d, authority, rest);
  }

  /** Parses a CONNECT target: {@code host:port}, IPv6 in brackets; the port is required. */
  public static Destination authority(String authority) {
    return hostPort(authority, -1);
  }

  private static Destination hostPort(String authority, int defaultPort) {
    String host;
    String port;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("host: " + abbreviate(authority) + " (unclosed '[')");
      }
      host = authority.substring(1, close);
      String after = authority.substring(close + 1);
      if (!after.isEmpty() && !after.startsWith(":")) {
        throw new IllegalArgumentException("host: " + abbreviate(authority));
      }
      port = after.isEmpty() ? null : after.substring(1);
      if (host.indexOf(':') < 0) {
        throw new IllegalArgumentException(
            "host: " + abbreviate(authority) + " (expected: an IPv6 address in brackets)");
      }
    } else {
      int colon = authority.lastIndexOf(':');
      host = colon < 0 ? authority : authority.substring(0, colon);
      port = colon < 0 ? null : authority.substring(colon + 1);
      if (!validName(host)) {
        throw new IllegalArgumentException(
            "host: " + abbreviate(host) + " (expected: a name or an address)");
      }
    }
    int p;
    if (port == null || port.isEmpty()) {
      if (defaultPort < 0) {
        throw new IllegalArgumentException(
            "authority: " + abbreviate(authority) + " (expected: HOST:PORT)");
      }
      p = defaultPort;
    } else {
      p = parsePort(port);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("authority: " + abbreviate(authority) + " (empty host)");
    }
    return Destination.parse(host.toLowerCase(Locale.ROOT), p);
  }

  private static int parsePort(String s) {
    if (s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("port: " + abbreviate(s) + " (expected: 1~65535)");
    }
    int p = Integer.parseInt(s);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("port: " + p + " (expected: 1~65535)");
    }
    return p;
  }

  /**
   * HTTP's own grammar for a host outside brackets: letters, digits, '-', '.', '_' (RFC 3986
   * reg-name minus what DNS names never hold; a ':' would be the port's). Stricter than the wire's
   * rule for names ({@link Destination#nameProblem}), which every host, bracketed or not, must also
   * pass when {@link Destination#parse} makes it a destination.
   */
  private static boolean validName(String h) {
    if (h.isEmpty() || h.length() > Destination.MAX_NAME_LENGTH) {
      return false;
    }
    for (int i = 0; i < h.length(); i++) {
      char c = h.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '-'
          || c == '.'
          || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }
}
