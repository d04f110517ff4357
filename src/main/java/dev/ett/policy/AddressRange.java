package dev.ett.policy;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * A CIDR block: {@code network/prefixLength}. The network must have no bits set past the prefix,
 * because {@code 10.1.2.3/8} is more often a typo than a wish for {@code 10.0.0.0/8}.
 *
 * <p>An IPv4 range only contains IPv4 addresses and an IPv6 range only IPv6 ones; callers pass
 * addresses through {@link Addresses#normalize} first so that {@code ::ffff:10.0.0.1} is tested as
 * {@code 10.0.0.1}.
 */
public record AddressRange(InetAddress network, int prefixLength) {
  public AddressRange {
    byte[] b = network.getAddress();
    int bits = b.length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException(
          "prefixLength: " + prefixLength + " (expected: 0~" + bits + ")");
    }
    byte[] masked = mask(b, prefixLength);
    if (!Arrays.equals(b, masked)) {
      String wanted = Addresses.toText(Addresses.fromBytes(masked)) + "/" + prefixLength;
      throw new IllegalArgumentException(
          "network: "
              + Addresses.toText(network)
              + "/"
              + prefixLength
              + " has bits set past the prefix (expected: "
              + wanted
              + ")");
    }
    // Keep the exact bytes (no host name, no scope, mapped stays IPv6) for equals and toString.
    network = Addresses.fromBytes(b);
  }

  /** Parses {@code a.b.c.d/n} or {@code v6/n} (no brackets); used for the built-in tables. */
  public static AddressRange parse(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      InetAddress a = Addresses.parseLiteral(cidr);
      return new AddressRange(a, a.getAddress().length * 8);
    }
    String len = cidr.substring(slash + 1);
    if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("'" + cidr + "': prefix '" + len + "' is not a number");
    }
    return new AddressRange(
        Addresses.parseLiteral(cidr.substring(0, slash)), Integer.parseInt(len));
  }

  public boolean isIpv4() {
    return network.getAddress().length == 4;
  }

  /** True if {@code address} (already normalized) is of the same family and inside the block. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    byte[] n = network.getAddress();
    return a.length == n.length && Arrays.equals(mask(a, prefixLength), n);
  }

  /** True if every address of {@code other} is inside this block. */
  public boolean contains(AddressRange other) {
    return other.prefixLength >= prefixLength && contains(other.network);
  }

  private static byte[] mask(byte[] b, int prefix) {
    byte[] out = b.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] &= (byte) (0xff00 >> keep);
    }
    return out;
  }

  @Override
  public String toString() {
    String text = Addresses.toText(network);
    return (isIpv4() ? text : "[" + text + "]") + "/" + prefixLength;
  }
}
