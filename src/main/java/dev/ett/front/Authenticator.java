package dev.ett.front;

import io.netty.util.concurrent.EventExecutor;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Checks proxy credentials without blocking an event loop, without letting floods of bad logins
 * lock out real users, and without letting timing tell which names exist (issue 12, items 6 and 7).
 * A PBKDF2 run takes hundreds of milliseconds, so it happens on one worker thread and the answer
 * comes back on the connection's loop. What is guaranteed, and how:
 *
 * <ul>
 *   <li><b>Every failure takes the same time.</b> A failure is answered {@link #failureNanos()}
 *       after its attempt started: the costliest entry's verification time (measured at start, then
 *       kept current from real verifications: the median of the last few), times {@value #MARGIN}.
 *       The wait is a timer, not CPU. An unknown name runs no PBKDF2 at all; a cheap entry's wrong
 *       password waits out the difference; the costliest entry's ends within the margin. Successes
 *       are answered as soon as PBKDF2 says so. (Before: carol at 10k iterations failed in 6 ms, an
 *       unknown name in 228 ms, alice at 600k in 248 ms.)
 *   <li><b>Lanes, not addresses.</b> Attempts queue per lane, (source, name), where the source is
 *       the remote address (an IPv6 address's /64). Not the address alone: on a {@code -D} port
 *       nearly every application comes from 127.0.0.1, and a hostile one, or a web page through the
 *       browser, would lock out everyone else there. A lane runs one attempt at a time; after
 *       {@value #FREE_FAILURES} failures each next attempt waits a backoff (250 ms, doubling to 4
 *       s), forgotten {@link #FORGET_AFTER_NANOS} after the last failure or at a success. At most
 *       {@value #MAX_PENDING_PER_LANE} attempts wait in a lane; more are closed at once ({@link
 *       Outcome#OVER_LIMIT}). These rules use a name only as a key, never whether it exists, so
 *       they do not tell names apart either.
 *   <li><b>The worker takes turns.</b> Only known names reach PBKDF2, one job per lane at a time,
 *       and the worker serves user names in turn: alice's verification waits for at most one run
 *       per other user with work pending, whatever floods of made-up names (no work at all) or of
 *       guesses at bob's password (bob's turn, bounded by his lanes' backoff) come in.
 *   <li><b>Remembered passwords go first.</b> A password that verified once is remembered as
 *       SHA-256(salt || password) and answered at once, before any lane: a browser's tenth
 *       connection does not pay PBKDF2 again, and a user who has logged in since start is not
 *       slowed by anything, not even by guesses at her own name from her own address (the one thing
 *       that can delay a first login: her lane's backoff). Wrong passwords are never remembered.
 * </ul>
 *
 * What remains: while the worker runs other users' verifications, a known name's failure can come
 * later than {@link #failureNanos()} (an unknown name's never does). Resources: an attempt waiting
 * for its answer holds its connection (counted against the port's connection cap and closed by its
 * request deadline) and one timer; lanes kept for their failures are capped at {@value #MAX_LANES},
 * the least recently used forgotten first.
 *
 * <p>Threading: lanes are guarded by this object's lock (one lane's attempts may come from several
 * loops: {@code -D} with {@code --links}); answers run on the connection's loop; PBKDF2 runs on the
 * worker, which touches only the job queue (its own lock), the remembered passwords and the cost
 * estimate (written by the worker alone).
 */
public final class Authenticator implements AutoCloseable {
  /** What became of a login attempt. */
  public enum Outcome {
    ACCEPTED,
    REFUSED,
    /** Too many attempts waiting in its lane: close without an answer. */
    OVER_LIMIT
  }

  // ---- our choices ----
  static final int MAX_PENDING_PER_LANE = 16; // a browser opens about 6 connections at once
  static final int FREE_FAILURES = 2; // a typo or two costs no wait
  static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  static final long MAX_BACKOFF_NANOS =
      TimeUnit.SECONDS.toNanos(4); // below the 10 s request deadline
  static final long FORGET_AFTER_NANOS = TimeUnit.MINUTES.toNanos(10);
  static final int MAX_LANES = 4096;

  /**
   * Failures are answered this much later than the costliest entry's estimated verification time,
   * so that a wrong password for that entry, whose run varies with the machine's load, still ends
   * before the common timer rather than at its own time.
   */
  static final double MARGIN = 1.5;

  /** Verification times the estimate is the median of. */
  static final int SAMPLES = 5;

  private final Users users;
  private final Executor worker;

  /** Whether real verifications update {@link #costliestNanos} (false: a fixed cost, for tests). */
  private final boolean adaptive;

  private final int costliestIterations;

  /**
   * Estimated nanoseconds of one verification of the costliest entry; written by the worker only.
   */
  private volatile long costliestNanos;

  /** The last verification times behind {@link #costliestNanos}, a ring; the worker's only. */
  private final long[] samples = new long[SAMPLES];

  private int sampleCount;

  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

  /** In access order, for least-recently-used eviction. Guarded by {@code this}. */
  private final LinkedHashMap<LaneKey, Lane> lanes = new LinkedHashMap<>(16, 0.75f, true);

  /** PBKDF2 jobs by user name, served in turn. Guarded by itself. */
  private final LinkedHashMap<String, ArrayDeque<Runnable>> jobs = new LinkedHashMap<>();

  /** Measures the costliest entry now (one PBKDF2 run on this thread) and keeps measuring. */
  public Authenticator(Users users) {
    this(
        users,
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "ett-auth");
              t.setDaemon(true);
              return t;
            }),
        users.measureCostliestNanos(),
        true);
  }

  /** With a given executor (tests of the codecs: a direct one) and failures answered at once. */
  Authenticator(Users users, Executor worker) {
    this(users, worker, 0, false);
  }

  /** With a given executor and a fixed or initial cost of the costliest entry. */
  Authenticator(Users users, Executor worker, long costliestNanos, boolean adaptive) {
    this.users = users;
    this.worker = worker;
    this.costliestNanos = costliestNanos;
    this.adaptive = adaptive;
    this.costliestIterations = users.costliestIterations();
    this.samples[sampleCount++] = costliestNanos;
  }

  /** How long after its start a failed attempt is answered. */
  long failureNanos() {
    return (long) (costliestNanos * MARGIN);
  }

  /**
   * Calls {@code done} on {@code loop} with what became of the attempt: at once (synchronously) for
   * a remembered password or a full lane, later otherwise. {@code wanted} says whether the
   * connection still waits (an attempt whose connection closed while it queued is dropped without a
   * check and without counting as a failure).
   */
  public void check(
      SocketAddress from,
      String user,
      String password,
      EventExecutor loop,
      BooleanSupplier wanted,
      Consumer<Outcome> done) {
    byte[] salt = users.salt(user);
    byte[] fingerprint = salt == null ? null : fingerprint(salt, password);
    if (remembered(user, fingerprint)) {
      done.accept(Outcome.ACCEPTED);
      return;
    }
    synchronized (this) {
      Lane lane = lane(new LaneKey(source(from), user));
      if (lane.pending() >= MAX_PENDING_PER_LANE) {
        done.accept(Outcome.OVER_LIMIT);
        return;
      }
      lane.waiting.add(new Attempt(user, password, fingerprint, loop, wanted, done));
      pump(lane);
    }
  }

  private boolean remembered(String user, byte[] fingerprint) {
    byte[] known = fingerprint == null ? null : verified.get(user);
    return known != null && MessageDigest.isEqual(known, fingerprint);
  }

  // ---- lanes (under this object's lock) ---------------------------------------------------------

  /** Lanes now held (tests). */
  synchronized int lanes() {
    return lanes.size();
  }

  /** The source part of a lane: an address, or an IPv6 address's /64 (one host's usual share). */
  static String source(SocketAddress from) {
    if (!(from instanceof InetSocketAddress isa) || isa.getAddress() == null) {
      return String.valueOf(from);
    }
    InetAddress a = isa.getAddress();
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      Arrays.fill(b, 8, 16, (byte) 0);
      try {
        return InetAddress.getByAddress(b).getHostAddress() + "/64";
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e); // 16 bytes are always an address
      }
    }
    return a.getHostAddress();
  }

  private Lane lane(LaneKey key) {
    Lane lane = lanes.get(key);
    if (lane == null) {
      if (lanes.size() >= MAX_LANES) {
        // Forget the least recently used idle lane (its failures). Busy lanes are bounded by the
        // port's connections and are never forgotten while they hold attempts.
        for (Iterator<Lane> it = lanes.values().iterator(); it.hasNext(); ) {
          if (it.next().pending() == 0) {
            it.remove();
            break;
          }
        }
      }
      lane = new Lane(key);
      lanes.put(key, lane);
    }
    return lane;
  }

  /** Starts the lane's next attempt if it is idle and its backoff has passed. */
  private void pump(Lane lane) {
    while (!lane.busy && !lane.waiting.isEmpty()) {
      Attempt a = lane.waiting.peek();
      long now = a.loop.ticker().nanoTime();
      if (lane.failures > 0 && now - lane.lastFailure > FORGET_AFTER_NANOS) {
        lane.failures = 0;
      }
      long wait = lane.lastEnd + backoffNanos(lane.failures) - now;
      if (wait > 0) {
        if (!lane.timerSet) {
          lane.timerSet = true;
          a.loop.schedule(() -> onBackoffOver(lane), wait, TimeUnit.NANOSECONDS);
        }
        return;
      }
      lane.waiting.poll();
      if (!a.wanted.getAsBoolean()) {
        continue; // its connection closed while it waited: nothing to answer
      }
      lane.busy = true;
      start(lane, a, now);
    }
    if (lane.pending() == 0 && lane.failures == 0) {
      lanes.remove(lane.key); // nothing to remember
    }
  }

  private synchronized void onBackoffOver(Lane lane) {
    lane.timerSet = false;
    pump(lane);
  }

  /** 0 for the first {@value #FREE_FAILURES} failures, then 250 ms doubling up to 4 s. */
  static long backoffNanos(int failures) {
    if (failures <= FREE_FAILURES) {
      return 0;
    }
    int doublings = Math.min(failures - FREE_FAILURES - 1, 16);
    return Math.min(MAX_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << doublings);
  }

  private void start(Lane lane, Attempt a, long t0) {
    if (remembered(a.user, a.fingerprint)) {
      finish(lane, a, true); // the same password verified while this attempt waited
      return;
    }
    if (a.fingerprint == null) {
      failAt(lane, a, t0); // an unknown name: no PBKDF2, the same timer as any failure
      return;
    }
    submit(
        a.user,
        () -> {
          long v0 = System.nanoTime();
          boolean ok = users.verify(a.user, a.password);
          learn(a.user, System.nanoTime() - v0);
          if (ok) {
            verified.put(a.user, a.fingerprint);
          }
          a.loop.execute(() -> onVerified(lane, a, t0, ok));
        });
  }

  private synchronized void onVerified(Lane lane, Attempt a, long t0, boolean ok) {
    if (ok) {
      finish(lane, a, true);
    } else {
      failAt(lane, a, t0);
    }
  }

  /** Answers a failure {@link #failureNanos()} after {@code t0}, or now if that has passed. */
  private void failAt(Lane lane, Attempt a, long t0) {
    long wait = t0 + failureNanos() - a.loop.ticker().nanoTime();
    if (wait <= 0) {
      finish(lane, a, false);
    } else {
      a.loop.schedule(() -> onFailureDue(lane, a), wait, TimeUnit.NANOSECONDS);
    }
  }

  private synchronized void onFailureDue(Lane lane, Attempt a) {
    finish(lane, a, false);
  }

  private void finish(Lane lane, Attempt a, boolean ok) {
    long now = a.loop.ticker().nanoTime();
    lane.busy = false;
    lane.lastEnd = now;
    if (ok) {
      lane.failures = 0;
    } else {
      lane.failures++;
      lane.lastFailure = now;
    }
    answer(a, ok ? Outcome.ACCEPTED : Outcome.REFUSED);
    pump(lane);
  }

  /**
   * Calls the attempt's {@code done} on its loop. A lane's attempts may come from connections on
   * different loops ({@code -D} with {@code --links}: one browser's connections, one lane, spread
   * over the links), and the end of one attempt starts the next, whose answer (a password
   * remembered meanwhile, an unknown name) can be due at once: on this thread, the other attempt's
   * loop.
   */
  private static void answer(Attempt a, Outcome outcome) {
    if (a.loop.inEventLoop()) {
      a.done.accept(outcome);
    } else {
      a.loop.execute(() -> a.done.accept(outcome));
    }
  }

  // ---- the worker -------------------------------------------------------------------------------

  /** Queues {@code job} under {@code user}; the worker serves users in turn. */
  private void submit(String user, Runnable job) {
    synchronized (jobs) {
      jobs.computeIfAbsent(user, u -> new ArrayDeque<>()).add(job);
    }
    try {
      worker.execute(this::runNextJob);
    } catch (RejectedExecutionException closed) {
      // Closed: the attempt stays unanswered and its connection's deadline closes it.
    }
  }

  /** Runs the first waiting user's oldest job, and moves that user behind the others. */
  private void runNextJob() {
    Runnable job;
    synchronized (jobs) {
      Iterator<Map.Entry<String, ArrayDeque<Runnable>>> it = jobs.entrySet().iterator();
      if (!it.hasNext()) {
        return;
      }
      Map.Entry<String, ArrayDeque<Runnable>> first = it.next();
      job = first.getValue().poll();
      it.remove();
      if (!first.getValue().isEmpty()) {
        jobs.put(first.getKey(), first.getValue());
      }
    }
    job.run();
  }

  /**
   * Folds one verification's time, scaled to the costliest entry's iterations, into the estimate:
   * the median of the last {@value #SAMPLES} samples (the first being the measurement at start), so
   * that one slow run (a pause, a busy moment) moves it little, and a start-up measurement taken
   * before the JIT warmed up is outvoted after a few real runs. Only entries at least a quarter as
   * costly count: a cheap entry's fixed overheads, scaled up, would overstate it. Worker only.
   */
  private void learn(String user, long nanos) {
    int iterations = users.iterationsFor(user);
    if (!adaptive || iterations == 0 || iterations * 4L < costliestIterations) {
      return;
    }
    samples[sampleCount++ % SAMPLES] = (long) ((double) nanos * costliestIterations / iterations);
    long[] recent = Arrays.copyOf(samples, Math.min(sampleCount, SAMPLES));
    Arrays.sort(recent);
    costliestNanos = recent[recent.length / 2];
  }

  private static byte[] fingerprint(byte[] salt, String password) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      return sha.digest(password.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (worker instanceof ExecutorService e) {
      e.shutdownNow();
    }
  }

  private record LaneKey(String source, String user) {}

  /** One attempt: who, and where its answer goes. */
  private record Attempt(
      String user,
      String password,
      byte[] fingerprint,
      EventExecutor loop,
      BooleanSupplier wanted,
      Consumer<Outcome> done) {}

  /** The attempts of one (source, name), run one at a time, and its failures. */
  private static final class Lane {
    final LaneKey key;
    final ArrayDeque<Attempt> waiting = new ArrayDeque<>();
    boolean busy; // an attempt is being verified or waits for its failure timer
    boolean timerSet; // a backoff timer will pump this lane
    int failures; // since the last success, forgotten after FORGET_AFTER_NANOS
    long lastFailure, lastEnd = Long.MIN_VALUE / 2;

    Lane(LaneKey key) {
      this.key = key;
    }

    int pending() {
      return waiting.size() + (busy ? 1 : 0);
    }
  }
}
