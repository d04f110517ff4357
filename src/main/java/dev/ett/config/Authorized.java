package dev.ett.config;

import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The clients allowed to connect, by public key. Immutable; build with {@link AuthorizedFile}. */
public final class Authorized {
  private final Map<String, AuthorizedClient> byKey;

  Authorized(List<AuthorizedClient> clients) {
    Map<String, AuthorizedClient> m = new LinkedHashMap<>();
    for (AuthorizedClient c : clients) {
      if (m.putIfAbsent(hex(c.publicKey()), c) != null) {
        throw new IllegalArgumentException("clients: duplicate key for " + c.name());
      }
    }
    this.byKey = Collections.unmodifiableMap(m);
  }

  /** The client holding {@code publicKey}, if authorized. */
  public Optional<AuthorizedClient> lookup(byte[] publicKey) {
    if (publicKey == null || publicKey.length != KeyFile.KEY_BYTES) {
      return Optional.empty();
    }
    return Optional.ofNullable(byKey.get(hex(publicKey)));
  }

  /** All clients in file order. */
  public List<AuthorizedClient> clients() {
    return List.copyOf(byKey.values());
  }

  public int size() {
    return byKey.size();
  }

  private static String hex(byte[] key) {
    return HexFormat.of().formatHex(key);
  }

  @Override
  public String toString() {
    return "Authorized" + byKey.values();
  }
}
