package dev.ett.util;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Writes one event as one line, in one of {@link LogSetup.Format}:
 *
 * <pre>
 * text      2026-12-04T21:40:00.123+01:00 INFO link up: alice from /127.0.0.1:4000
 * json      {"time":"2026-12-04T21:40:00.123+01:00","level":"INFO","logger":"dev.ett.server.Server","thread":"main","message":"link up: ..."}
 * journald  &lt;6&gt;INFO link up: alice from /127.0.0.1:4000
 * </pre>
 *
 * Text and journald name the logger before the message only for other libraries' loggers (Netty's):
 * ett's own messages say what they are about. Journald's prefix is sd-daemon(3)'s SD_ERR (3) to
 * SD_DEBUG (7); the journal adds its own time. An exception follows on lines starting with a tab
 * (each with the prefix, for journald), or in an "exception" field.
 *
 * <p>Every text that may come from outside (message, exception messages, logger and thread names)
 * goes through {@link Log#escape}, in every format: a name holding a line break cannot forge a
 * second event. JSON then escapes what JSON needs; the message decoded from JSON is the text
 * line's. Logback 1.6.7's own JsonEncoder was not used: it writes epoch numbers, a sequence number
 * and the context's properties on every line, and writes the logger name unescaped (tried: a logger
 * named {@code a"b} plus a line break gave invalid JSON on two lines; 1.6.8's notes say it is
 * fixed).
 */
final class LogEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

  private final LogSetup.Format format;
  private final ZoneId zone = ZoneId.systemDefault();

  LogEncoder(LogSetup.Format format) {
    this.format = format;
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent e) {
    return line(e).getBytes(StandardCharsets.UTF_8);
  }

  String line(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder(128);
    String message = e.getFormattedMessage() == null ? "" : e.getFormattedMessage();
    if (format == LogSetup.Format.JSON) {
      sb.append("{\"time\":\"").append(time(e)).append('"');
      field(sb, "level", e.getLevel().toString());
      field(sb, "logger", Log.escape(e.getLoggerName()));
      field(sb, "thread", Log.escape(e.getThreadName()));
      field(sb, "message", Log.escape(message));
      if (e.getThrowableProxy() != null) {
        StringBuilder trace = new StringBuilder();
        throwable(trace, e.getThrowableProxy(), "", "");
        field(sb, "exception", trace.toString().stripTrailing());
      }
      return sb.append("}\n").toString();
    }
    String prefix = format == LogSetup.Format.JOURNALD ? "<" + priority(e.getLevel()) + ">" : "";
    sb.append(prefix);
    if (format == LogSetup.Format.TEXT) {
      sb.append(time(e)).append(' ');
    }
    sb.append(e.getLevel().toString()).append(' ');
    String logger = e.getLoggerName();
    if (!logger.startsWith("dev.ett.")) {
      sb.append(Log.escape(logger)).append(": ");
    }
    sb.append(Log.escape(message)).append('\n');
    if (e.getThrowableProxy() != null) {
      throwable(sb, e.getThrowableProxy(), prefix, "\t");
    }
    return sb.toString();
  }

  private String time(ILoggingEvent e) {
    return TIME.format(Instant.ofEpochMilli(e.getTimeStamp()).atZone(zone));
  }

  /** sd-daemon(3): SD_ERR 3, SD_WARNING 4, SD_INFO 6, SD_DEBUG 7 (trace too). */
  static int priority(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> 3;
      case Level.WARN_INT -> 4;
      case Level.INFO_INT -> 6;
      default -> 7;
    };
  }

  /** The exception and its causes, one line each frame, every line after {@code prefix}. */
  private static void throwable(StringBuilder sb, IThrowableProxy t, String prefix, String indent) {
    for (String lead = ""; t != null; t = t.getCause(), lead = "Caused by: ") {
      sb.append(prefix).append(indent).append(lead).append(Log.escape(t.getClassName()));
      if (t.getMessage() != null) {
        sb.append(": ").append(Log.escape(t.getMessage()));
      }
      sb.append('\n');
      StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
      int shown = frames.length - t.getCommonFrames();
      for (int i = 0; i < shown; i++) {
        sb.append(prefix)
            .append(indent)
            .append("\tat ")
            .append(Log.escape(frames[i].getStackTraceElement().toString()))
            .append('\n');
      }
      if (t.getCommonFrames() > 0) {
        sb.append(prefix)
            .append(indent)
            .append("\t... ")
            .append(t.getCommonFrames())
            .append(" more\n");
      }
    }
  }

  /** {@code ,"name":"value"}, the value escaped for JSON (RFC 8259 section 7). */
  private static void field(StringBuilder sb, String name, String value) {
    sb.append(",\"").append(name).append("\":\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
