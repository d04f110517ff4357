package dev.ett.policy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Address helpers shared by the host parser, the policy and the config files: strict literal
 * parsing without DNS, and normalization of the IPv6 spellings of IPv4 addresses.
 */
public final class Addresses {
  private Addresses() {}

  /**
   * Returns the address a connection to {@code address} really reaches, so that policy checks see
   * one spelling per destination:
   *
   * <ul>
   *   <li>IPv4-mapped {@code ::ffff:a.b.c.d} and IPv4-compatible {@code ::a.b.c.d} become the IPv4
   *       address {@code a.b.c.d} (the kernel routes them to it). {@code ::} and {@code ::1} are
   *       left alone: they are the IPv6 unspecified and loopback addresses, not 0.0.0.0/0.0.0.1.
   *   <li>The IPv6 scope (zone) id and any host name attached to the object are dropped.
   * </ul>
   */
  public static InetAddress normalize(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address) {
      boolean zero80 = allZero(b, 0, 10);
      boolean mapped = zero80 && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      boolean compatible = zero80 && b[10] == 0 && b[11] == 0 && !isZeroOrOne(b);
      if (mapped || compatible) {
        b = Arrays.copyOfRange(b, 12, 16);
      }
    }
    try {
      // getByAddress never does DNS; it also turns 16 mapped bytes into an Inet4Address.
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("address of length " + b.length, e);
    }
  }

  /**
   * Parses an IPv4 address in strict dotted-quad form ({@code a.b.c.d}, decimal, 0~255, no leading
   * zeros because inet_aton would read them as octal) or an IPv6 address (RFC 4291 text form,
   * without brackets and without a zone id). Never does DNS. The result is not normalized, so that
   * {@code ::ffff:0:0/96} can still be written as a range.
   *
   * @throws IllegalArgumentException naming the text and the expected forms
   */
  public static InetAddress parseLiteral(String text) {
    if (text.indexOf(':') >= 0) {
      return fromBytes(parseIpv6(text));
    }
    return parseDottedQuad(text);
  }

  static Inet4Address parseDottedQuad(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException(
          "'" + text + "': not an IPv4 address (expected: a.b.c.d with 0~255 each)");
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty()
          || p.length() > 3
          || !p.chars().allMatch(c -> c >= '0' && c <= '9')
          || (p.length() > 1 && p.charAt(0) == '0')) {
        throw new IllegalArgumentException(
            "'"
                + text
                + "': bad IPv4 part '"
                + p
                + "' (expected: decimal 0~255 without leading zeros)");
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        throw new IllegalArgumentException("'" + text + "': IPv4 part " + v + " (expected: 0~255)");
      }
      b[i] = (byte) v;
    }
    return (Inet4Address) fromBytes(b);
  }

  /** Returns the 16 bytes of an IPv6 literal, or throws. Never does DNS. */
  static byte[] parseIpv6(String text) {
    // InetAddress.getByName only skips DNS for literals, so check first that this is one: hex
    // digits, colons and the dots of an embedded IPv4 tail. No '%' zone ids, no brackets.
    boolean charsOk =
        !text.isEmpty()
            && text.chars()
                .allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0 && c < 128);
    if (!charsOk || text.indexOf(':') < 0 || text.length() > 45) {
      throw new IllegalArgumentException(
          "'" + text + "': not an IPv6 address (expected: RFC 4291 text form such as 2001:db8::1)");
    }
    InetAddress parsed;
    try {
      parsed = InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "'" + text + "': not an IPv6 address (expected: RFC 4291 text form such as 2001:db8::1)");
    }
    byte[] b = parsed.getAddress();
    if (b.length == 4) {
      // Java turns ::ffff:a.b.c.d into an Inet4Address; give back the bytes that were written.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(b, 0, mapped, 12, 4);
      return mapped;
    }
    return b;
  }

  static InetAddress fromBytes(byte[] b) {
    try {
      if (b.length == 16) {
        // getByAddress would turn mapped bytes into IPv4; keep exactly what was written.
        return Inet6Address.getByAddress(null, b, -1);
      }
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("address of length " + b.length, e);
    }
  }

  /** The address in its canonical text form, IPv6 compressed and in brackets-free form. */
  static String toText(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
    }
    // RFC 5952: lowercase, longest run (>= 2) of zero groups compressed, first one on a tie.
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  private static boolean isZeroOrOne(byte[] b) {
    return allZero(b, 0, 15) && (b[15] == 0 || b[15] == 1);
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
