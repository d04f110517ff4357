package dev.ett.mux;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's budget for buffered stream data (DATA received from clients and not yet written to
 * its destination), shared by all links; each link charges its own {@link Account}. Pure
 * accounting, thread-safe: links charge from their own event loops.
 *
 * <p>Windows bound each stream, but not the sum over streams and links: 128 streams opening at once
 * on each of several links, each with a full 256 KiB window, exceed the 64 MiB of direct memory
 * that {@code bin/ett}'s {@code -Xmx64m} allows, and the {@code OutOfMemoryError} then lands on
 * whichever link allocates next, usually another client's (issue 12, item 1).
 *
 * <p>Charges are the payload bytes held plus {@link #PER_BUFFER} per buffer held separately. A held
 * payload never takes more than twice its size in memory ({@code FrameCodec.decode} copies a small
 * one out of its record; a buffer that collects small payloads at most doubles), so the memory
 * behind the charges is at most twice their sum.
 *
 * <p>The rule, after the fair-share schemes of network queues: within {@link #limit()} every charge
 * is accepted. Past it, a link holding more than its fair share (the limit divided by the links) is
 * refused, and its stream is reset; a link within its share is still served, and the links over
 * their share are asked to shed (see {@link #open}: reset their largest streams) on their own event
 * loops. So a flood costs the flooding client its streams, not another client its link. Nothing
 * passes {@link #ceiling()} (the limit and a half), whoever asks.
 */
public final class BufferBudget {
  /**
   * Charged per buffer held on top of its bytes: the buffer object, its queue slot, and Netty's
   * outbound entry and promise while a socket writes it (Netty itself counts 96 bytes per entry).
   */
  public static final int PER_BUFFER = 128;

  private final long limit;
  private final long ceiling;
  private final AtomicLong used = new AtomicLong();
  private final Set<Account> accounts = ConcurrentHashMap.newKeySet();

  /**
   * @param limit bytes of charges (see the class comment), at least 1
   */
  public BufferBudget(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
    }
    this.limit = limit;
    this.ceiling = limit + limit / 2;
  }

  /**
   * A quarter of the JVM's direct memory in charges: at most half of it in memory, even for a peer
   * that makes every held payload cost twice its size. The other half is for what the budget does
   * not count: records in flight both ways, links' outbound queues, reads from destinations.
   * ({@code bin/ett} runs with {@code -Xmx64m}: 64 MiB of direct memory, a 16 MiB budget.)
   */
  public static BufferBudget forDirectMemory(long maxDirectMemory) {
    return new BufferBudget(Math.max(1, maxDirectMemory / 4));
  }

  public long limit() {
    return limit;
  }

  public long ceiling() {
    return ceiling;
  }

  /** Bytes charged now, over all accounts. */
  public long used() {
    return used.get();
  }

  /** The limit divided by the open accounts (links). */
  public long fairShare() {
    return limit / Math.max(1, accounts.size());
  }

  /**
   * Opens a link's account.
   *
   * @param shed asked (from any thread, at most once until it calls {@link Account#shedding}) to
   *     free what the link holds beyond its fair share; it must hand the work to the link's own
   *     event loop and not block
   */
  public Account open(Runnable shed) {
    Account a = new Account(shed);
    accounts.add(a);
    return a;
  }

  /** One link's charges. Charged and released on the link's event loop; read from any thread. */
  public final class Account {
    private final AtomicLong used = new AtomicLong();
    private final AtomicBoolean shedAsked = new AtomicBoolean();
    private final Runnable shed;

    private Account(Runnable shed) {
      this.shed = shed;
    }

    /** Charges {@code bytes}. False if refused (nothing charged): the caller must not hold them. */
    public boolean tryCharge(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("bytes: " + bytes + " (expected: >= 0)");
      }
      long mine = used.addAndGet(bytes);
      long total = BufferBudget.this.used.addAndGet(bytes);
      if (total <= limit) {
        return true;
      }
      if (mine > fairShare() || total > ceiling) {
        used.addAndGet(-bytes);
        BufferBudget.this.used.addAndGet(-bytes);
        return false;
      }
      // Within our share, so others are over theirs (the shares add up to the limit): they shed.
      long share = fairShare();
      for (Account a : accounts) {
        if (a != this && a.used.get() > share && a.shedAsked.compareAndSet(false, true)) {
          a.shed.run();
        }
      }
      return true;
    }

    /** Gives back {@code bytes} charged earlier (also after {@link #close}). */
    public void release(long bytes) {
      if (bytes < 0 || used.addAndGet(-bytes) < 0) {
        throw new IllegalStateException("released " + bytes + " bytes, more than was charged");
      }
      BufferBudget.this.used.addAndGet(-bytes);
    }

    /** Bytes this account holds now. */
    public long used() {
      return used.get();
    }

    /**
     * Called by the shed task when it starts: from then on a new excess asks again. Returns how
     * much this account holds beyond its fair share (0 if nothing).
     */
    public long shedding() {
      shedAsked.set(false);
      return Math.max(0, used.get() - fairShare());
    }

    /**
     * The link is gone: it no longer counts towards the fair share. What it still holds is released
     * as its buffers go (writes in flight fail and give their bytes back).
     */
    public void close() {
      accounts.remove(this);
    }
  }
}
