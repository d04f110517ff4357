package dev.ett.policy;

import java.net.InetAddress;

/**
 * What a client asked to connect to, before any DNS: a host name or an address. Build one with
 * {@link HostParser#parse}, which decides which of the two a string is the way the resolver would.
 */
public sealed interface Host {

  /** A DNS name, lowercase, without a trailing dot; never something inet_aton would accept. */
  record Name(String name) implements Host {
    public Name {
      name = HostParser.canonicalName(name);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A literal address, {@linkplain Addresses#normalize normalized}. */
  record Address(InetAddress address) implements Host {
    public Address {
      address = Addresses.normalize(address);
    }

    @Override
    public String toString() {
      String text = Addresses.toText(address);
      return address.getAddress().length == 4 ? text : "[" + text + "]";
    }
  }
}
