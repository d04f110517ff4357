package dev.ett.client;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The servers a client may link to ({@code --server}, repeatable), each with the keys pinned for it
 * in the order they are tried ({@code --server-key K1,K2} or {@code --server HOST:PORT=K1,K2}), and
 * the order the servers are tried in. Pure: no sockets; a {@link Cursor} says which server and key
 * the next attempt uses, and is told how attempts end.
 *
 * <p>An attempt is one (server, key) pair. A <em>round</em> tries every pair once; the client's
 * reconnect backoff is applied between rounds, not between the pairs of one round, so a dead first
 * server costs one failed connect, not a backoff.
 */
public record ServerList(List<Server> servers, Order order) {
  /** How many servers at most: each costs an attempt per round. */
  public static final int MAX_SERVERS = 16;

  /**
   * How many keys at most per server: each wrong one costs a round trip (docs/configuration.md).
   */
  public static final int MAX_KEYS = 2;

  /** {@code --server-order}. */
  public enum Order {
    /** The first that answers, in the order given; the first is the preferred one. */
    ORDERED,
    /** A random order, drawn afresh for each round (spreads clients over the servers). */
    RANDOM;

    public static Order parse(String s) {
      return switch (s) {
        case "ordered" -> ORDERED;
        case "random" -> RANDOM;
        default ->
            throw new IllegalArgumentException(
                "--server-order: " + s + " (expected: ordered or random)");
      };
    }
  }

  /**
   * One server: where it is, how messages name it, and its pinned keys in the order they are tried.
   * Keys never appear in {@link #toString()}.
   */
  public record Server(InetSocketAddress address, String name, List<byte[]> keys) {
    public Server {
      if (keys == null || keys.isEmpty() || keys.size() > MAX_KEYS) {
        throw new IllegalArgumentException(
            "server "
                + name
                + ": "
                + (keys == null ? 0 : keys.size())
                + " keys (expected: 1~"
                + MAX_KEYS
                + ")");
      }
      List<byte[]> copy = new ArrayList<>();
      for (byte[] k : keys) {
        if (k.length != 32) {
          throw new IllegalArgumentException(
              "server " + name + ": key of " + k.length + " bytes (expected: 32)");
        }
        copy.add(k.clone());
      }
      keys = List.copyOf(copy);
    }

    @Override
    public List<byte[]> keys() {
      return keys.stream().map(byte[]::clone).toList();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Server s && s.address.equals(address) && s.name.equals(name);
    }

    @Override
    public int hashCode() {
      return address.hashCode();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  public ServerList {
    if (servers == null || servers.isEmpty() || servers.size() > MAX_SERVERS) {
      throw new IllegalArgumentException(
          "servers: "
              + (servers == null ? 0 : servers.size())
              + " (expected: 1~"
              + MAX_SERVERS
              + ")");
    }
    servers = List.copyOf(servers);
    if (order == null) {
      throw new IllegalArgumentException("order: null (expected: ORDERED or RANDOM)");
    }
  }

  /** One server with one key: the plain client. */
  public static ServerList of(InetSocketAddress address, String name, byte[] key) {
    return new ServerList(List.of(new Server(address, name, List.of(key))), Order.ORDERED);
  }

  /** What one attempt uses. */
  public record Target(Server server, int keyIndex) {
    public byte[] key() {
      return server.keys.get(keyIndex).clone();
    }

    /** {@code host:port}, and which key when the server has several. */
    @Override
    public String toString() {
      return server.keys.size() == 1 ? server.name : server.name + " (key " + (keyIndex + 1) + ")";
    }
  }

  /**
   * Where one link is in the list. Link {@code k} of {@code --links N} prefers server {@code k mod
   * M} in ordered mode (the list rotated by k), so N links to M servers spread over them; the
   * preferred server is the one it fails back to. Not thread-safe: one link's event loop owns it.
   */
  public Cursor cursor(int link, Random random) {
    return new Cursor(link, random);
  }

  public final class Cursor {
    private final int link;
    private final Random random;
    private List<Server> round;
    private int server, key, tried;

    private Cursor(int link, Random random) {
      this.link = link;
      this.random = random;
      newRound();
    }

    private void newRound() {
      List<Server> r = new ArrayList<>(servers);
      if (order == Order.RANDOM) {
        Collections.shuffle(r, random);
      } else {
        Collections.rotate(r, -(link % r.size()));
      }
      round = r;
      server = 0;
      key = 0;
      tried = 0;
    }

    /** The server and key of the next attempt. */
    public Target current() {
      return new Target(round.get(server), key);
    }

    /** The server this link prefers (ordered mode); null in random mode, which prefers none. */
    public Server preferred() {
      if (order == Order.RANDOM) {
        return null;
      }
      return servers.get(link % servers.size());
    }

    /** Whether the current server is the preferred one (always true in random mode). */
    public boolean onPreferred() {
      Server p = preferred();
      return p == null || p.equals(round.get(server));
    }

    /** The attempt came up: the next round starts over from this pair. */
    public void succeeded() {
      tried = 0;
    }

    /**
     * The attempt failed (connect, handshake, or silence from a server that holds another key):
     * moves to the next key of this server, or the next server. Returns false when every pair of
     * the round has been tried: the caller backs off, and the next round starts from the top.
     */
    public boolean failed() {
      return failed(true);
    }

    /**
     * As {@link #failed()}; {@code reached} false (the TCP connect failed) skips the server's other
     * keys: they would meet the same closed port.
     */
    public boolean failed(boolean reached) {
      int keys = round.get(server).keys.size();
      if (reached && key + 1 < keys) {
        tried++;
        key++;
      } else {
        tried += keys - key;
        key = 0;
        server = (server + 1) % round.size();
      }
      if (tried >= pairs()) {
        newRound();
        return false;
      }
      return true;
    }

    /**
     * The link to the current server was lost: the next attempt goes to the next server (the lost
     * one is tried last in the round), starting with its first key.
     */
    public void lost() {
      if (round.size() > 1) {
        server = (server + 1) % round.size();
      }
      key = 0;
      tried = 0;
    }

    /** Points at the preferred server's first key, for a fail-back attempt. */
    public void toPreferred() {
      Server p = preferred();
      if (p != null) {
        newRound();
      }
    }

    /** Restores the position {@link #mark()} returned (a fail-back attempt failed). */
    public void reset(int[] mark) {
      server = mark[0];
      key = mark[1];
      tried = mark[2];
    }

    /** The position now, for {@link #reset}. */
    public int[] mark() {
      return new int[] {server, key, tried};
    }

    private int pairs() {
      int n = 0;
      for (Server s : round) {
        n += s.keys.size();
      }
      return n;
    }
  }

  @Override
  public String toString() {
    return String.join(", ", servers.stream().map(Server::toString).toList())
        + (servers.size() > 1 ? " (" + order.name().toLowerCase(java.util.Locale.ROOT) + ")" : "");
  }
}
