package dev.ett.policy;

import java.net.InetAddress;
import java.util.function.Supplier;

/** Decides whether a stream to a destination may be opened. See {@link Policy} for semantics. */
public sealed interface ExitPolicy permits Policy, CombinedPolicy, ExitPolicy.AtServer {

  /**
   * @param requested what the client asked for (name or address, and port)
   * @param resolved the address the server is about to connect to; for a request by address, that
   *     same address
   * @param own the deciding server's own addresses: closed unless a rule names them
   * @param start the stream's first client bytes as far as seen, for rules with a protocol
   * @throws IllegalArgumentException if {@code requested} is an address other than {@code resolved}
   */
  Decision decide(Request requested, InetAddress resolved, OwnAddresses own, StreamStart start);

  /**
   * {@code decide(requested, resolved, own, StreamStart.NOT_SEEN)}: the decision at OPEN time,
   * which may be {@linkplain Decision#awaiting awaiting} the first bytes.
   */
  default Decision decide(Request requested, InetAddress resolved, OwnAddresses own) {
    return decide(requested, resolved, own, StreamStart.NOT_SEEN);
  }

  /**
   * {@code decide(requested, resolved, OwnAddresses.NONE)}: as if the server had no address of its
   * own. A server decides through {@link #atServer}, which supplies its addresses.
   */
  default Decision decide(Request requested, InetAddress resolved) {
    return decide(requested, resolved, OwnAddresses.NONE);
  }

  /** For a request by address: {@code decide(requested, its address)}. */
  default Decision decide(Request requested) {
    if (!(requested.host() instanceof Host.Address a)) {
      throw new IllegalArgumentException(
          "requested: " + requested + " (expected: an address; resolve the name and pass it)");
    }
    return decide(requested, a.address());
  }

  /**
   * This policy as a server applies it: every decision also closes the addresses {@code own} gives
   * at that moment (a volatile read, for a server that re-reads its interfaces).
   */
  default ExitPolicy atServer(Supplier<OwnAddresses> own) {
    return new AtServer(this, own);
  }

  /** See {@link #atServer}. */
  record AtServer(ExitPolicy policy, Supplier<OwnAddresses> own) implements ExitPolicy {
    public AtServer {
      if (policy == null || own == null) {
        throw new IllegalArgumentException(
            "policy, own: " + policy + ", " + own + " (expected: non-null)");
      }
    }

    @Override
    public Decision decide(
        Request requested, InetAddress resolved, OwnAddresses more, StreamStart start) {
      return policy.decide(requested, resolved, own.get().with(more), start);
    }

    @Override
    public String toString() {
      return policy.toString();
    }
  }
}
