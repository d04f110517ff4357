package dev.ett.audit;

import dev.ett.util.Log;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes audit events as JSON Lines from one writer thread, so that a slow or full disk never
 * stalls an event loop.
 *
 * <p>Shape: {@link #record} offers the event to a bounded queue and returns. The writer thread
 * takes a batch, encodes it, writes it with one {@code write} and flushes. Failures are counted,
 * never thrown:
 *
 * <ul>
 *   <li>queue full (the sink is slower than the events): the event is <em>dropped</em>;
 *   <li>the sink throws (disk full, file deleted, stdout closed): the batch is <em>failed</em>, the
 *       sink is closed and opened again for the next batch.
 * </ul>
 *
 * Each is logged when it starts and then at most every 10 s, with the running count; when writing
 * works again an {@link AuditEvent.Gap} line goes first, saying how many events are missing. The
 * tunnel keeps running throughout: an audit trail with a recorded gap is better than a tunnel an
 * operator cannot use, and the gap says exactly what is missing.
 *
 * <p>A syslog collector ({@link #toSyslog}) is a connection, not a file, and differs in three ways:
 *
 * <ul>
 *   <li>while it cannot be reached, the batch in hand is <em>held</em> and the connection retried
 *       with backoff (0.1 s doubling to 5 s); new events wait in the queue meanwhile, and only when
 *       that is full are they dropped (counted, and reported by the {@code audit_gap} that follows
 *       the held batch once it is written). A collector restart of a few seconds loses nothing.
 *   <li>each message is written with a write of its own, so that one failing write costs exactly
 *       that message (counted as failed: part of it may have reached the old connection, where the
 *       collector drops a frame cut short), and the rest of the batch goes to the next connection,
 *       in order. No message is sent twice.
 *   <li>before each batch the connection is asked whether the collector hung up ({@link Liveness}),
 *       so a collector that stopped or restarted cleanly (a FIN) is reconnected to before anything
 *       is written into the dead connection. What the kernel accepted for a connection whose peer
 *       then vanished without a FIN or RST reaching us is lost without our knowing: TCP syslog (RFC
 *       6587) has no acknowledgement, and that window is the price of it.
 * </ul>
 */
public final class AuditWriter implements AuditLog {
  /** Opens the sink; called again after a failure and on {@link #reopen}. */
  public interface Opener {
    OutputStream open() throws IOException;
  }

  /** A sink that can tell, before a write, that the other end is gone. */
  public interface Liveness {
    /** True if the peer closed: the writer then reconnects before writing. */
    boolean peerClosed();
  }

  /** Our choice: room for bursts of several thousand streams opening at once. */
  public static final int DEFAULT_CAPACITY = 16_384;

  private static final int MAX_BATCH = 512;
  private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final String HELD = ", events wait in the queue";
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;

  private final String name;
  private final Opener opener;
  private final Clock clock;
  // Null for a file (JSON Lines, a batch in one write); a collector's format for syslog.
  private final SyslogFormat syslog;
  private final ArrayBlockingQueue<AuditEvent> queue;
  private final Thread thread;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong lastDropReport = new AtomicLong(Long.MIN_VALUE);
  private volatile boolean reopenRequested;
  private volatile boolean closing;

  // Writer thread only.
  private OutputStream out;
  private boolean failing;
  private long lastFailReport;
  private long droppedReported, failedReported;
  private long retryMillis = FIRST_RETRY_MILLIS;

  /**
   * @param name the sink in log messages ("/var/log/ett/audit.jsonl", "stdout")
   */
  public AuditWriter(String name, Opener opener, int capacity, Clock clock) {
    this(name, opener, null, capacity, clock);
  }

  /**
   * @param syslog null for a file or stdout (JSON Lines); else the opener connects to a collector
   *     and events are sent in this format, as the class comment says
   */
  public AuditWriter(String name, Opener opener, SyslogFormat syslog, int capacity, Clock clock) {
    this.name = name;
    this.opener = opener;
    this.syslog = syslog;
    this.clock = clock;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(this::run, "ett-audit");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Appends to {@code path}, creating it with mode 0600 (the trail says who went where). Opens it
   * once now so that a bad path fails at start-up, not at the first event.
   */
  public static AuditWriter toFile(Path path) throws IOException {
    Opener opener =
        () ->
            Channels.newOutputStream(
                Files.newByteChannel(
                    path,
                    java.util.Set.of(
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND,
                        StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))));
    opener.open().close();
    return new AuditWriter(path.toString(), opener, DEFAULT_CAPACITY, Clock.systemUTC());
  }

  /**
   * Writes to file descriptor 1 directly: {@code System.out} is a PrintStream, which swallows write
   * errors, and errors must be counted. Closing it (on reopen) leaves the descriptor open.
   */
  public static AuditWriter toStdout() {
    Opener opener =
        () ->
            new FilterOutputStream(new FileOutputStream(FileDescriptor.out)) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
              }

              @Override
              public void close() throws IOException {
                flush();
              }
            };
    return new AuditWriter("stdout", opener, DEFAULT_CAPACITY, Clock.systemUTC());
  }

  /**
   * Sends to a syslog collector. The TLS context (and its CA file) is built now, so that a bad file
   * fails at start-up; the connection is made by the writer thread, so a collector that is down at
   * start-up only delays the first events.
   */
  public static AuditWriter toSyslog(SyslogTarget target, SyslogFormat format, int capacity)
      throws IOException {
    javax.net.ssl.SSLContext tls = target.tlsContext();
    return new AuditWriter(
        target.toString(), () -> target.connect(tls), format, capacity, Clock.systemUTC());
  }

  @Override
  public void record(AuditEvent event) {
    if (closing || !queue.offer(event)) {
      long n = dropped.incrementAndGet();
      long now = System.nanoTime();
      long last = lastDropReport.get();
      if ((last == Long.MIN_VALUE || now - last > REPORT_EVERY_NANOS)
          && lastDropReport.compareAndSet(last, now)) {
        Log.error(
            "audit: "
                + (closing
                    ? "writer closed"
                    : "queue to " + name + " full (" + queue.size() + " events)")
                + "; events dropped so far: "
                + n);
      }
      return;
    }
    accepted.incrementAndGet();
  }

  /** Closes and reopens the sink before the next write (SIGHUP after logrotate). */
  @Override
  public void reopen() {
    reopenRequested = true;
  }

  /** Events written to the sink. */
  public long written() {
    return written.get();
  }

  /** Events lost because the queue was full (or the writer closed). */
  public long dropped() {
    return dropped.get();
  }

  /** Events lost because the sink failed. */
  public long failed() {
    return failed.get();
  }

  /**
   * Waits until every event recorded before this call has been written or counted as failed.
   * Returns false on timeout. For tests and shutdown; never call it on an event loop.
   */
  public boolean awaitWritten(long timeout, TimeUnit unit) throws InterruptedException {
    long target = accepted.get();
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (processed.get() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(2);
    }
    return true;
  }

  /** Writes what is queued (up to 5 s), then closes the sink. Later events count as dropped. */
  @Override
  public void close() {
    closing = true;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    thread.interrupt();
  }

  private void run() {
    List<AuditEvent> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        AuditEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closing && queue.isEmpty()) {
            break;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        writeBatch(batch);
        processed.addAndGet(batch.size());
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeSink();
    }
  }

  private void writeBatch(List<AuditEvent> batch) {
    if (reopenRequested) {
      reopenRequested = false;
      closeSink();
    }
    if (syslog != null) {
      sendBatch(batch);
      return;
    }
    long lostDropped = dropped.get() - droppedReported;
    long lostFailed = failed.get() - failedReported;
    StringBuilder sb = new StringBuilder(batch.size() * 256);
    if (lostDropped > 0 || lostFailed > 0) {
      sb.append(AuditJson.encode(new AuditEvent.Gap(clock.instant(), lostDropped, lostFailed)))
          .append('\n');
    }
    for (AuditEvent e : batch) {
      sb.append(AuditJson.encode(e)).append('\n');
    }
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    try {
      if (out == null) {
        out = opener.open();
      }
      out.write(bytes);
      out.flush();
    } catch (IOException | RuntimeException e) {
      long total = failed.addAndGet(batch.size());
      closeSink();
      reportFailure("cannot write to", e, "", total);
      return;
    }
    droppedReported += lostDropped;
    failedReported += lostFailed;
    written.addAndGet(batch.size());
    if (failing) {
      failing = false;
      Log.info(
          "audit: writing to " + name + " works again (" + failed.get() + " events lost in all)");
    }
  }

  /**
   * Sends a batch to a collector, one write per message, holding it while the collector is down:
   * see the class comment. Returns once every message is written or counted as failed.
   */
  private void sendBatch(List<AuditEvent> batch) {
    int next = 0;
    boolean gapSent = false;
    long lostDropped = 0, lostFailed = 0;
    // Once per batch, not per message: the check waits up to a millisecond for the read to time
    // out. A connection made below is new, and needs none.
    if (out instanceof Liveness l && l.peerClosed()) {
      Log.warn("audit: " + name + " closed the connection; reconnecting");
      closeSink();
    }
    while (next < batch.size()) {
      if (out == null) {
        try {
          out = opener.open();
          retryMillis = FIRST_RETRY_MILLIS;
          if (failing) {
            failing = false;
            Log.info(
                "audit: connected to " + name + " again (" + failed.get() + " events lost in all)");
          }
        } catch (IOException | RuntimeException e) {
          if (closing) {
            failed.addAndGet(batch.size() - next);
            return;
          }
          reportFailure("cannot connect to", e, HELD, failed.get());
          if (!pause(retryMillis)) {
            failed.addAndGet(batch.size() - next);
            return;
          }
          retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
          continue;
        }
      }
      // The gap goes first on each connection until it is written: it is the next line of the
      // trail, and the losses it reports happened before the message it precedes.
      if (!gapSent) {
        lostDropped = dropped.get() - droppedReported;
        lostFailed = failed.get() - failedReported;
        if (lostDropped > 0 || lostFailed > 0) {
          try {
            out.write(syslog.frame(new AuditEvent.Gap(clock.instant(), lostDropped, lostFailed)));
          } catch (IOException | RuntimeException e) {
            reportFailure("cannot write to", e, HELD, failed.get());
            closeSink();
            continue;
          }
          droppedReported += lostDropped;
          failedReported += lostFailed;
        }
        gapSent = true;
      }
      try {
        out.write(syslog.frame(batch.get(next)));
        written.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        // Part of this message may have gone out: it is counted lost, never sent again.
        reportFailure("cannot write to", e, HELD, failed.incrementAndGet());
        closeSink();
        gapSent = false;
      }
      next++;
    }
  }

  /** Logs a failure when it starts, then at most every 10 s. */
  private void reportFailure(String what, Exception e, String meanwhile, long lost) {
    long now = System.nanoTime();
    if (!failing || now - lastFailReport > REPORT_EVERY_NANOS) {
      lastFailReport = now;
      Log.error(
          "audit: "
              + what
              + " "
              + name
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "; the tunnel keeps running"
              + meanwhile
              + "; events lost so far: "
              + lost);
    }
    failing = true;
  }

  /** Sleeps {@code millis}, waking early to give up when the writer closes. */
  private boolean pause(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    try {
      while (!closing && System.nanoTime() < deadline) {
        Thread.sleep(Math.min(20, millis));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return !closing;
  }

  private void closeSink() {
    if (out == null) {
      return;
    }
    try {
      out.close();
    } catch (IOException e) {
      Log.error("audit: closing " + name + ": " + e.getMessage());
    }
    out = null;
  }
}
