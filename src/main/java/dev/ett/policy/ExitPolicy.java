package dev.ett.policy;

import java.net.InetAddress;

/** Decides whether a stream to a destination may be opened. See {@link Policy} for semantics. */
public sealed interface ExitPolicy permits Policy, CombinedPolicy {

  /**
   * @param requested what the client asked for (name or address, and port)
   * @param resolved the address the server is about to connect to; for a request by address, that
   *     same address
   * @throws IllegalArgumentException if {@code requested} is an address other than {@code resolved}
   */
  Decision decide(Destination requested, InetAddress resolved);

  /** For a request by address: {@code decide(requested, its address)}. */
  default Decision decide(Destination requested) {
    if (!(requested.host() instanceof Host.Address a)) {
      throw new IllegalArgumentException(
          "requested: " + requested + " (expected: an address; resolve the name and pass it)");
    }
    return decide(requested, a.address());
  }
}
