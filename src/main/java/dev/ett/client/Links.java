package dev.ett.client;

import dev.ett.mux.Mux;
import dev.ett.util.Health;
import dev.ett.util.Transports;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code --links N}: N {@link Client}s, each keeping its own link (to the same server, or to
 * different servers of the list) on its own event loop, so that one busy client uses N cores here
 * and N event loops on the server. New streams are spread at accept: a front that registers its
 * sockets on {@link #streamLoops()} gets, for each accepted socket, the loop of the link that is up
 * and carries the fewest streams (round robin among equals and while none is up); {@link
 * Client#open} then hands the socket to the link of its loop. A link that dies resets its streams
 * (as a single link does), takes no new ones while down, and reconnects on its own.
 *
 * <p>Threading: each link's state lives on its loop; the chooser reads only {@link #load}, a
 * counter per link kept with atomic updates, and the links' volatile up flags.
 */
public final class Links implements AutoCloseable {
  private final List<Client> links = new ArrayList<>();
  private final EventLoopGroup group;
  private final Chooser chooser = new Chooser();

  /**
   * Builds (does not start) {@code n} links.
   *
   * @param each makes link {@code k}'s client on the given group (it takes {@code group.next()},
   *     which hands out the loops in turn while the links are being built)
   */
  public Links(int n, java.util.function.BiFunction<Integer, EventLoopGroup, Client> each) {
    if (n < 1 || n > MAX_LINKS) {
      throw new IllegalArgumentException("--links: " + n + " (expected: 1~" + MAX_LINKS + ")");
    }
    IoHandlerFactory f =
        Transports.nativeEpoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    group =
        new MultiThreadIoEventLoopGroup(
            n,
            new io.netty.util.concurrent.ThreadPerTaskExecutor(
                new DefaultThreadFactory("ett-client", true)),
            chooser,
            f);
    for (int k = 0; k < n; k++) {
      Client c = each.apply(k, group);
      if (n > 1) {
        c.joinLinks(this);
      }
      links.add(c);
    }
  }

  /** More links than this only add handshakes: a core each is the point. */
  public static final int MAX_LINKS = 64;

  /** The first link: fronts bind their listening sockets on its loop. */
  public Client primary() {
    return links.get(0);
  }

  public List<Client> all() {
    return List.copyOf(links);
  }

  /** The loops new streams' sockets go to (see the class comment). */
  EventLoopGroup streamLoops() {
    return group;
  }

  /**
   * The link running on {@code loop}; {@code fallback} if none does (a socket of another group).
   */
  Client onLoop(EventLoop loop, Client fallback) {
    for (Client c : links) {
      if (c.eventLoop() == loop) {
        return c;
      }
    }
    return fallback;
  }

  /**
   * Starts the links one after the other, each once the one before has finished its first attempt:
   * a server refuses a message 1 whose timestamp is not newer than the last it accepted from the
   * key, so handshakes that overtake each other would cost a retry. Completes when the first link
   * is up.
   */
  public CompletableFuture<Void> start() {
    CompletableFuture<?> before = CompletableFuture.completedFuture(null);
    for (Client c : links) {
      CompletableFuture<?> prev = before;
      before = prev.handle((x, e) -> c.start()).thenCompose(started -> c.firstAttempt());
    }
    return primary().start();
  }

  /** The counts of every link, summed (links: how many are up). */
  public Client.Activity activity(Duration wait) {
    boolean up = false;
    int n = 0;
    Mux.Counts counts = Mux.NO_COUNTS;
    long established = 0, failed = 0;
    for (Client c : links) {
      Client.Activity a = c.activity(wait);
      up |= a.up();
      n += a.links();
      counts = Mux.sum(counts, a.counts());
      established += a.linksEstablished();
      failed += a.failedAttempts();
    }
    return new Client.Activity(up, n, counts, established, failed);
  }

  /** Up while any link is up (streams go to the others). */
  public Health health() {
    if (links.size() == 1) {
      return primary().health();
    }
    int up = 0;
    Health down = null;
    for (Client c : links) {
      Health h = c.health();
      if (h.ok()) {
        up++;
      } else if (down == null) {
        down = h;
      }
    }
    return up > 0
        ? new Health(true, up + " of " + links.size() + " links up")
        : new Health(false, "no link up (" + down.text() + ")");
  }

  @Override
  public void close() {
    for (int k = links.size() - 1; k >= 0; k--) {
      links.get(k).close();
    }
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * Picks the loop for a new stream's socket: the loop of the up link with the fewest streams, the
   * links taken in turn from a moving start so equals share. While the links are being built (and
   * when none is up) it hands out the loops in turn, as Netty's default chooser does.
   */
  private final class Chooser implements EventExecutorChooserFactory {
    private final AtomicInteger turn = new AtomicInteger();

    /**
     * Sockets handed to each link's loop whose stream has not been counted in its {@link
     * Client#streamLoad} yet. A burst of accepts runs on the listener's loop (the first link's): a
     * socket given to that loop is registered and opened inline, so its link's load rises before
     * the next choice, while one given to another loop is counted only once that loop has run its
     * registration. Without this, 8 streams accepted at once went 1 to the first link and 7 to the
     * second (ServerFailoverTest).
     */
    private final AtomicInteger[] handedOut = new AtomicInteger[MAX_LINKS];

    {
      for (int i = 0; i < handedOut.length; i++) {
        handedOut[i] = new AtomicInteger();
      }
    }

    @Override
    public EventExecutorChooser newChooser(EventExecutor[] executors) {
      return () -> {
        int start = Math.floorMod(turn.getAndIncrement(), executors.length);
        if (links.size() == executors.length) {
          Client best = null;
          int bestIndex = -1;
          int bestLoad = Integer.MAX_VALUE;
          for (int i = 0; i < links.size(); i++) {
            int k = (start + i) % links.size();
            Client c = links.get(k);
            int load = c.streamLoad() + handedOut[k].get();
            if (c.isUp() && load < bestLoad) {
              best = c;
              bestIndex = k;
              bestLoad = load;
            }
          }
          if (best != null) {
            EventLoop loop = best.eventLoop();
            if (!loop.inEventLoop()) {
              // Counted until the loop has run the socket's registration (queued after this
              // task by the caller, Netty's register) and so the front's open: the second hop
              // runs after it, by then the stream is in streamLoad, or the socket is waiting for
              // its front (a proxy request) or closed, and not counted, as before.
              AtomicInteger h = handedOut[bestIndex];
              h.incrementAndGet();
              loop.execute(() -> loop.execute(h::decrementAndGet));
            }
            return loop;
          }
        }
        return executors[start];
      };
    }
  }
}
