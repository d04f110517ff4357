package dev.ett.audit;

/**
 * Where audit events go. {@link #record} is called on event loops: it must neither block nor throw,
 * whatever happens to the sink (see {@link AuditWriter}).
 */
public interface AuditLog extends AutoCloseable {
  void record(AuditEvent event);

  /** Reopens the sink (after logrotate moved the file); a no-op where that means nothing. */
  default void reopen() {}

  @Override
  default void close() {}

  /** Discards every event: a server started without {@code --audit}. */
  AuditLog NONE = event -> {};
}
