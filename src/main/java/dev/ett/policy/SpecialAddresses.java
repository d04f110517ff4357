package dev.ett.policy;

import java.net.InetAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The {@code private} target: every block of the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates), plus multicast, the deprecated IPv6 site-local block and
 * RFC 2765's IPv4-translated {@code ::ffff:0:0:0/96}. An exit must not reach these unless its
 * operator says so explicitly (see {@link Policy}).
 *
 * <p>Some entries (AS112, AMT) are globally reachable anycast services; they are listed anyway
 * because no tunnel user needs them and a short, boring rule ("everything in the registries") is
 * easier to audit than a hand-picked subset.
 */
public final class SpecialAddresses {
  private SpecialAddresses() {}

  /** One registry entry: the block and what it is, for log messages. */
  public record Block(AddressRange range, String name) {
    public Block {
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: '" + name + "' (expected: a description)");
      }
    }

    static Block of(String cidr, String name) {
      return new Block(AddressRange.parse(cidr), name);
    }
  }

  /** Registry blocks, IPv4 first. Sub-entries inside a listed block are not repeated. */
  public static final List<Block> BLOCKS =
      List.of(
          // https://www.iana.org/assignments/iana-ipv4-special-registry
          Block.of("0.0.0.0/8", "this network"),
          Block.of("10.0.0.0/8", "private-use"),
          Block.of("100.64.0.0/10", "shared address space (CGNAT)"),
          Block.of("127.0.0.0/8", "loopback"),
          Block.of("169.254.0.0/16", "link local"),
          Block.of("172.16.0.0/12", "private-use"),
          Block.of("192.0.0.0/24", "IETF protocol assignments"),
          Block.of("192.0.2.0/24", "documentation (TEST-NET-1)"),
          Block.of("192.31.196.0/24", "AS112-v4"),
          Block.of("192.52.193.0/24", "AMT"),
          Block.of("192.88.99.0/24", "deprecated 6to4 relay anycast"),
          Block.of("192.168.0.0/16", "private-use"),
          Block.of("192.175.48.0/24", "direct delegation AS112 service"),
          Block.of("198.18.0.0/15", "benchmarking"),
          Block.of("198.51.100.0/24", "documentation (TEST-NET-2)"),
          Block.of("203.0.113.0/24", "documentation (TEST-NET-3)"),
          // https://www.iana.org/assignments/multicast-addresses
          Block.of("224.0.0.0/4", "multicast"),
          Block.of("240.0.0.0/4", "reserved"),
          Block.of("255.255.255.255/32", "limited broadcast"),
          // https://www.iana.org/assignments/iana-ipv6-special-registry
          Block.of("::/128", "unspecified"),
          Block.of("::1/128", "loopback"),
          Block.of("::ffff:0:0/96", "IPv4-mapped"),
          // Not in the IANA registry: RFC 2765's (SIIT) "IPv4-translated" addresses
          // ::ffff:0:a.b.c.d, which a stateless translator turns into a.b.c.d. RFC 6145 dropped
          // the format for 64:ff9b::/96 (RFC 6052), but it lies in ::/8, "Reserved by IETF" in
          // the IPv6 address space registry, and is not normalized like ::ffff:a.b.c.d: listed
          // so that [::ffff:0:127.0.0.1] cannot pass `accept *:*` towards a translator.
          Block.of("::ffff:0:0:0/96", "IPv4-translated (RFC 2765 SIIT)"),
          Block.of("64:ff9b::/96", "IPv4-IPv6 translation (NAT64)"),
          Block.of("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
          Block.of("100::/64", "discard-only"),
          Block.of("100:0:0:1::/64", "dummy IPv6 prefix"),
          Block.of("2001::/23", "IETF protocol assignments (Teredo, ORCHID, ...)"),
          Block.of("2001:db8::/32", "documentation"),
          Block.of("2002::/16", "6to4"),
          Block.of("2620:4f:8000::/48", "direct delegation AS112 service"),
          Block.of("3fff::/20", "documentation"),
          Block.of("5f00::/16", "segment routing (SRv6) SIDs"),
          Block.of("fc00::/7", "unique local"),
          Block.of("fe80::/10", "link-local unicast"),
          Block.of("fec0::/10", "deprecated site-local"),
          // https://www.iana.org/assignments/ipv6-multicast-addresses
          Block.of("ff00::/8", "multicast"));

  /**
   * The most specific registry block holding {@code address} (normalized first), if any; e.g.
   * "limited broadcast" for 255.255.255.255 rather than the "reserved" 240.0.0.0/4 around it.
   */
  public static Optional<Block> blockOf(InetAddress address) {
    InetAddress a = Addresses.normalize(address);
    return BLOCKS.stream()
        .filter(b -> b.range().contains(a))
        .max(Comparator.comparingInt(b -> b.range().prefixLength()));
  }

  /** True if {@code address}, once normalized, is in any registry block. */
  public static boolean isSpecial(InetAddress address) {
    return blockOf(address).isPresent();
  }

  /**
   * True if {@code range} names {@code address} explicitly: the range holds the address and lies
   * inside a registry block that also holds it. {@code 127.0.0.0/8} and {@code 127.0.0.1/32} name
   * 127.0.0.1; {@code 0.0.0.0/0} and {@code 0.0.0.0/1} hold it too but are wildcards in disguise.
   */
  static boolean namesExplicitly(AddressRange range, InetAddress normalized) {
    if (!range.contains(normalized)) {
      return false;
    }
    for (Block b : BLOCKS) {
      if (b.range().contains(normalized) && b.range().contains(range)) {
        return true;
      }
    }
    return false;
  }
}
