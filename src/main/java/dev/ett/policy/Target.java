package dev.ett.policy;

import java.net.InetAddress;

/**
 * What a rule matches, before its ports. Address targets look at the resolved address; name targets
 * look at the name the client asked for, and never match a request made by address.
 */
public sealed interface Target {

  /**
   * True if this target matches a request for {@code requested} that resolved to {@code resolved}
   * (already {@linkplain Addresses#normalize normalized}).
   */
  boolean matches(Host requested, InetAddress resolved);

  /**
   * True if this target names {@code resolved}, a special-purpose address, explicitly enough for an
   * accept rule to open it. Only {@code private} and address ranges inside the registry block
   * holding the address do; wildcards and names never do.
   */
  boolean opensSpecial(InetAddress resolved);

  /**
   * True if this target names {@code resolved}, an address of the deciding server ({@link
   * OwnAddresses}), explicitly enough for an accept rule to open it: only an address range of that
   * one address ({@code 198.51.100.7}, {@code /32}, {@code [2001:db8::7]/128}) does. A wider range
   * that holds it (the server's subnet, {@code 10.0.0.0/8}), {@code private}, wildcards and names
   * never do: each is written for other hosts, and the server is not one of them.
   */
  boolean opensOwn(InetAddress resolved);

  /** {@code *} (either family), {@code *4} or {@code *6}. */
  record AnyAddress(Family family) implements Target {
    public enum Family {
      ANY("*"),
      IPV4("*4"),
      IPV6("*6");

      final String text;

      Family(String text) {
        this.text = text;
      }
    }

    public AnyAddress {
      if (family == null) {
        throw new IllegalArgumentException("family: null (expected: ANY, IPV4 or IPV6)");
      }
    }

    @Override
    public boolean matches(Host requested, InetAddress resolved) {
      int len = resolved.getAddress().length;
      return switch (family) {
        case ANY -> true;
        case IPV4 -> len == 4;
        case IPV6 -> len == 16;
      };
    }

    @Override
    public boolean opensSpecial(InetAddress resolved) {
      return false;
    }

    @Override
    public boolean opensOwn(InetAddress resolved) {
      return false;
    }

    @Override
    public String toString() {
      return family.text;
    }
  }

  /** An IPv4 or IPv6 CIDR block. */
  record Range(AddressRange range) implements Target {
    public Range {
      if (range == null) {
        throw new IllegalArgumentException("range: null (expected: an address range)");
      }
    }

    @Override
    public boolean matches(Host requested, InetAddress resolved) {
      return range.contains(resolved);
    }

    @Override
    public boolean opensSpecial(InetAddress resolved) {
      return SpecialAddresses.namesExplicitly(range, resolved);
    }

    @Override
    public boolean opensOwn(InetAddress resolved) {
      return range.prefixLength() == resolved.getAddress().length * 8 && range.contains(resolved);
    }

    @Override
    public String toString() {
      return range.toString();
    }
  }

  /** {@code private}: every block of {@link SpecialAddresses}. */
  record Private() implements Target {
    @Override
    public boolean matches(Host requested, InetAddress resolved) {
      return SpecialAddresses.isSpecial(resolved);
    }

    @Override
    public boolean opensSpecial(InetAddress resolved) {
      return SpecialAddresses.isSpecial(resolved);
    }

    @Override
    public boolean opensOwn(InetAddress resolved) {
      return false;
    }

    @Override
    public String toString() {
      return "private";
    }
  }

  /** {@code example.com}: exactly that name (case-insensitive, trailing dot ignored). */
  record ExactName(String name) implements Target {
    public ExactName {
      name = HostParser.canonicalName(name);
    }

    @Override
    public boolean matches(Host requested, InetAddress resolved) {
      return requested instanceof Host.Name n && n.name().equals(name);
    }

    @Override
    public boolean opensSpecial(InetAddress resolved) {
      return false;
    }

    @Override
    public boolean opensOwn(InetAddress resolved) {
      return false;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** {@code *.example.com}: any name below {@code parent}, not {@code parent} itself. */
  record Subdomains(String parent) implements Target {
    public Subdomains {
      parent = HostParser.canonicalName(parent);
    }

    @Override
    public boolean matches(Host requested, InetAddress resolved) {
      return requested instanceof Host.Name n && n.name().endsWith("." + parent);
    }

    @Override
    public boolean opensSpecial(InetAddress resolved) {
      return false;
    }

    @Override
    public boolean opensOwn(InetAddress resolved) {
      return false;
    }

    @Override
    public String toString() {
      return "*." + parent;
    }
  }
}
