package dev.ett.policy;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The addresses of the server that decides: those of its network interfaces. A stream to one of
 * them reaches the server itself from its loopback side, where host firewall rules that guard only
 * the external interface do not apply, so the policy treats them like special-purpose addresses:
 * closed unless a rule names the address itself (see {@link Policy}). Tor's exits do the same
 * (ExitPolicyRejectPrivate / ExitPolicyRejectLocalInterfaces).
 *
 * <p>Loopback addresses are left out: {@code 127.0.0.0/8} and {@code ::1} are special-purpose
 * already, and a rule that opens them ({@code accept 127.0.0.0/8}, {@code private}) says "this
 * host" knowingly. Every other interface address, public or private, counts.
 *
 * <p>A value: the server reads it from its interfaces (and again when they change) and hands it to
 * the policy; tests give one.
 *
 * @param addresses normalized ({@link Addresses#normalize}), without loopback addresses
 */
public record OwnAddresses(Set<InetAddress> addresses) {
  /** No address of its own: how a policy decides when no server is asking (tools, tests). */
  public static final OwnAddresses NONE = new OwnAddresses(Set.of());

  public OwnAddresses {
    if (addresses == null || addresses.stream().anyMatch(Objects::isNull)) {
      throw new IllegalArgumentException(
          "addresses: " + addresses + " (expected: a set of addresses)");
    }
    addresses =
        addresses.stream()
            .map(Addresses::normalize)
            .filter(a -> !a.isLoopbackAddress())
            .collect(Collectors.toUnmodifiableSet());
  }

  public static OwnAddresses of(Collection<InetAddress> addresses) {
    return new OwnAddresses(Set.copyOf(addresses));
  }

  public static OwnAddresses of(InetAddress... addresses) {
    return new OwnAddresses(Set.of(addresses));
  }

  /** True if {@code normalized} (already {@link Addresses#normalize normalized}) is one of them. */
  public boolean contains(InetAddress normalized) {
    return addresses.contains(normalized);
  }

  public boolean isEmpty() {
    return addresses.isEmpty();
  }

  /** Both sets together. */
  public OwnAddresses with(OwnAddresses more) {
    if (more.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return more;
    }
    return new OwnAddresses(
        Stream.concat(addresses.stream(), more.addresses.stream())
            .collect(Collectors.toUnmodifiableSet()));
  }

  /** The addresses, sorted (IPv4 first), as text: {@code 192.0.2.2, 2001:db8::2}. */
  @Override
  public String toString() {
    return addresses.stream()
        .sorted(
            Comparator.<InetAddress>comparingInt(a -> a.getAddress().length)
                .thenComparing(a -> a.getAddress(), Arrays::compareUnsigned))
        .map(Addresses::toText)
        .collect(Collectors.joining(", "));
  }
}
