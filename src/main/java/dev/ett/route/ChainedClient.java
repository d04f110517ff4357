package dev.ett.route;

import dev.ett.client.Client;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A client whose streams pass through a {@link Route}: one {@link Client} per hop, each a complete
 * ett link (Noise IK with that hop's pinned key, keepalive, reconnect with backoff, windows), the
 * link of layer k+1 carried inside a stream of layer k:
 *
 * <pre>
 *   fronts -> layer n (end to end with hop n) -> joint n-1 -> ... -> layer 2 -> joint 1 -> layer 1 -> hop 1
 *                                                                       (127.0.0.1, in process)
 * </pre>
 *
 * Layer 1 connects to hop 1's address. Layer k+1 connects to a {@link HopForward} ("joint") on
 * layer k, which turns the connection into a stream to hop k+1: hop k sees only the previous hop
 * (or the client) and hop k+1's address; the destination and everything else travel encrypted for
 * the last hop. No wire change: every hop is an ordinary ett server that relays to the next hop
 * only if its policy for this client allows that address and port.
 *
 * <p><b>Failures.</b> When a layer's link dies, the joint's stream to the next hop is reset, so the
 * layer above loses its link and reconnects with its own backoff; when a layer's link comes up, the
 * layer above is told to retry at once. A layer that cannot be set up says which hop failed: "hop 1
 * (H:P) refused the route to hop 2 (H:P): not allowed by policy (...)", or "hop 2 (H:P): handshake
 * failed: ...".
 *
 * <p>Each layer runs on its own event loop thread (each hop's encryption on its own core); the
 * fronts go on {@link #innermost()}'s loop.
 */
public final class ChainedClient implements AutoCloseable {
  /**
   * Receive window of the streams of the outer layers (our choice). Such a stream carries a whole
   * link, i.e. all the inner layer's streams at once, each allowed the configured window; with only
   * the configured window the outer stream would cap them all together. It costs little: an outer
   * layer has one stream.
   */
  static final int OUTER_WINDOW = 4 << 20;

  private final Route route;
  private final List<Client> layers = new ArrayList<>();
  private final List<HopForward> joints = new ArrayList<>();

  /**
   * Builds (does not start) every layer, and binds the joints.
   *
   * @param maxQueuedOpens for the innermost layer, which carries the fronts' streams; the others
   *     carry one stream each (the next layer's link)
   */
  public ChainedClient(Route route, KeyPair key, Suite suite, LinkConfig link, int maxQueuedOpens)
      throws InterruptedException {
    this.route = route;
    boolean ok = false;
    try {
      InetSocketAddress to = route.hop(1).socketAddress();
      for (int n = 1; n <= route.size(); n++) {
        Hop hop = route.hop(n);
        int queued = n == route.size() ? maxQueuedOpens : 16;
        LinkConfig lc =
            n < route.size()
                ? link.withInitialWindow(Math.max(OUTER_WINDOW, link.initialWindow()))
                : link;
        Client c = new Client(new Client.Options(to, hop.key(), key, suite, lc, queued));
        c.setPeerName(route.name(n));
        c.setLinkListener(new Layer(n));
        layers.add(c);
        if (n > 1) {
          joints.get(n - 2).acceptOnlyFrom(c);
        }
        if (n < route.size()) {
          HopForward j =
              new HopForward(c, route.hop(n + 1).destination(), route.name(n), route.name(n + 1));
          joints.add(j);
          to = j.start();
        }
      }
      ok = true;
    } finally {
      if (!ok) {
        close();
      }
    }
  }

  public Route route() {
    return route;
  }

  /** The layer that is end to end with the last hop: fronts open their streams here. */
  public Client innermost() {
    return layers.get(layers.size() - 1);
  }

  /** The client of layer {@code n} (1 = the link to hop 1), for tests and diagnostics. */
  public Client layer(int n) {
    return layers.get(n - 1);
  }

  /** The local address of the joint between layer {@code n} and layer n+1 (for tests). */
  InetSocketAddress joint(int n) {
    return joints.get(n - 1).address();
  }

  /**
   * Starts every layer (once; later calls return the same future); completes when the innermost
   * link is up, i.e. when the whole route is.
   */
  public CompletableFuture<Void> start() {
    for (Client c : layers) {
      c.start();
    }
    return innermost().start();
  }

  /**
   * Why the route is not up, from the outermost layer that is down (the cause: the layers above it
   * fail because of it), or "" when every layer's last attempt succeeded.
   */
  public String lastFailure() {
    for (Client c : layers) {
      if (!c.lastFailure().isEmpty()) {
        return c.lastFailure();
      }
    }
    return "";
  }

  /**
   * Closes the innermost layer first, so each hop sees its link end with a GOAWAY; each joint
   * closes after the layer it carries and before the layer it runs on.
   */
  @Override
  public void close() {
    for (int i = layers.size() - 1; i >= 0; i--) {
      if (i < joints.size()) {
        joints.get(i).close();
      }
      layers.get(i).close();
    }
  }

  /** Names failures after the hop, and reconnects the layer above when this one comes up. */
  private final class Layer implements Client.LinkListener {
    private final int n;

    Layer(int n) {
      this.n = n;
    }

    @Override
    public void onLinkUp() {
      if (n < layers.size()) {
        layers.get(n).reconnectNow();
      }
    }

    @Override
    public String onLinkFailed(String why) {
      if (n > 1) {
        String refused = joints.get(n - 2).takeRefusal();
        if (refused != null) {
          return refused;
        }
      }
      String name = route.name(n);
      return why.contains(name) ? why : name + ": " + why;
    }
  }
}
