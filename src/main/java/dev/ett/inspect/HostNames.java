package dev.ett.inspect;

import java.util.Locale;

/**
 * The one normal form of a server name a client asked for (TLS SNI, HTTP Host or authority), so
 * that a rule's host pattern meets the same spelling whatever carried it: lower-case, one trailing
 * dot dropped, no port, an IPv6 literal without its brackets.
 */
final class HostNames {
  /** RFC 1035 §2.3.4 (253 characters without the trailing dot). */
  static final int MAX_LENGTH = 253;

  private HostNames() {}

  /**
   * The normal form of a DNS name or IPv4 address, or null if {@code raw} is not one: letters,
   * digits, hyphens, underscores and dots, no empty label, at most {@link #MAX_LENGTH} characters.
   */
  static String dnsName(String raw) {
    String s = raw.endsWith(".") ? raw.substring(0, raw.length() - 1) : raw;
    if (s.isEmpty() || s.length() > MAX_LENGTH || s.startsWith(".") || s.contains("..")) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!Ascii.isHostChar(s.charAt(i))) {
        return null;
      }
    }
    return s.toLowerCase(Locale.ROOT);
  }

  /**
   * An IPv6 literal's inside (between the brackets), lower-cased, or null if not hex, ':' and '.'.
   */
  static String ipv6Literal(String inside) {
    if (inside.length() < 2 || inside.length() > 45 || inside.indexOf(':') < 0) {
      return null;
    }
    for (int i = 0; i < inside.length(); i++) {
      char c = inside.charAt(i);
      if (!(Ascii.isDigit(c)
          || (c >= 'a' && c <= 'f')
          || (c >= 'A' && c <= 'F')
          || c == ':'
          || c == '.')) {
        return null;
      }
    }
    return inside.toLowerCase(Locale.ROOT);
  }

  /**
   * The host of an authority {@code host [":" port]} (RFC 9110 §7.2, RFC 3986 §3.2) in normal form,
   * or null if it is not one: no userinfo, a port of digits only ({@code portRequired} for
   * CONNECT's authority-form), an empty host only if {@code emptyAllowed} (then "").
   */
  static String authority(String a, boolean portRequired, boolean emptyAllowed) {
    if (a.indexOf('@') >= 0) {
      return null;
    }
    String host;
    String rest;
    if (a.startsWith("[")) {
      int close = a.indexOf(']');
      if (close < 0) {
        return null;
      }
      host = ipv6Literal(a.substring(1, close));
      if (host == null) {
        return null;
      }
      rest = a.substring(close + 1);
    } else {
      int colon = a.indexOf(':');
      String raw = colon < 0 ? a : a.substring(0, colon);
      rest = colon < 0 ? "" : a.substring(colon);
      if (raw.isEmpty()) {
        return emptyAllowed && rest.isEmpty() ? "" : null;
      }
      host = dnsName(raw);
      if (host == null) {
        return null;
      }
    }
    if (rest.isEmpty()) {
      return portRequired ? null : host;
    }
    if (rest.charAt(0) != ':' || rest.length() > 6 || (portRequired && rest.length() == 1)) {
      return null;
    }
    for (int i = 1; i < rest.length(); i++) {
      if (!Ascii.isDigit(rest.charAt(i))) {
        return null;
      }
    }
    return host;
  }
}
