package dev.ett.exit;

import dev.ett.config.Hosts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Resolves a host name the way the server does: its {@code --hosts} file first (split horizon),
 * then DNS. Blocking; the {@link Connector} calls it off the event loops. Shared with {@code ett
 * policy check} so that the check sees the addresses the server would.
 */
public final class Resolver {
  private final Supplier<Hosts> hosts;

  /** @param hosts the current hosts table (it may be reloaded), or a supplier of null */
  public Resolver(Supplier<Hosts> hosts) {
    this.hosts = hosts;
  }

  /** Every address of {@code name}, in the order the server tries them. */
  public List<InetAddress> resolve(String name) throws UnknownHostException {
    Hosts h = hosts.get();
    if (h != null) {
      List<InetAddress> fromHosts = h.lookup(name);
      if (!fromHosts.isEmpty()) {
        return fromHosts;
      }
    }
    return Arrays.asList(InetAddress.getAllByName(name));
  }
}
