package dev.ett.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Static name → addresses table from a {@link HostsFile}. Immutable; names case-insensitive. */
public final class Hosts {
  private final Map<String, List<InetAddress>> byName;

  Hosts(Map<String, List<InetAddress>> byName) {
    this.byName = Map.copyOf(byName);
  }

  /**
   * The addresses listed for {@code name} (case-insensitive, trailing dot ignored), in file order;
   * empty if the name is not listed.
   */
  public List<InetAddress> lookup(String name) {
    String key = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    return byName.getOrDefault(key.toLowerCase(Locale.ROOT), List.of());
  }

  public int size() {
    return byName.size();
  }

  @Override
  public String toString() {
    return "Hosts" + byName;
  }
}
