package dev.ett.audit;

import java.util.List;

/**
 * Several audit sinks at once ({@code --audit FILE --audit syslog://...}): each event goes to every
 * writer. Each writer has its own queue and thread, so a collector that is down delays and counts
 * its own losses and never those of the file.
 */
public final class AuditTee implements AuditLog {
  private final List<AuditWriter> writers;

  public AuditTee(List<AuditWriter> writers) {
    if (writers.isEmpty()) {
      throw new IllegalArgumentException("audit writers: none (expected: at least one)");
    }
    this.writers = List.copyOf(writers);
  }

  /** One writer as it is, several as a tee, none as {@link AuditLog#NONE}. */
  public static AuditLog of(List<AuditWriter> writers) {
    return switch (writers.size()) {
      case 0 -> AuditLog.NONE;
      case 1 -> writers.get(0);
      default -> new AuditTee(writers);
    };
  }

  /** The writers behind an audit log (for the metrics): none, one, or a tee's. */
  public static List<AuditWriter> writers(AuditLog log) {
    if (log instanceof AuditWriter w) {
      return List.of(w);
    }
    return log instanceof AuditTee t ? t.writers : List.of();
  }

  @Override
  public void record(AuditEvent event) {
    for (AuditWriter w : writers) {
      w.record(event);
    }
  }

  @Override
  public void reopen() {
    writers.forEach(AuditWriter::reopen);
  }

  /** Closes the writers one after the other (each waits up to 5 s for its queue). */
  @Override
  public void close() {
    writers.forEach(AuditWriter::close);
  }
}
