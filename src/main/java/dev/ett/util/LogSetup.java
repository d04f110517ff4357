package dev.ett.util;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Logback's configuration, made in code: one appender on standard error with {@link LogEncoder} in
 * one of three {@link Format}s, a level for everything and levels per package. Everything that logs
 * through SLF4J — {@link Log}, Netty (its InternalLoggerFactory picks SLF4J when present),
 * libraries — goes through it.
 *
 * <p>Logback finds this class as a {@link Configurator} service (META-INF/services) and asks it
 * first, so it never looks for or parses a {@code logback.xml}: the default configuration (text, or
 * journald's when standard error is the journal; info, or {@code -Dett.log=N}) costs a few objects.
 * Commands then call {@link #configure} with their options.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  /** How each event is written: see {@link LogEncoder}. */
  public enum Format {
    /** {@code 2026-12-04T21:40:00.123+01:00 INFO message}. */
    TEXT,
    /** One JSON object per line: time, level, logger, thread, message (and exception). */
    JSON,
    /** For systemd's journal: {@code <6>INFO message}, the syslog priority first and no date. */
    JOURNALD
  }

  static final int ERROR = Level.ERROR_INT;
  static final int WARN = Level.WARN_INT;
  static final int INFO = Level.INFO_INT;
  static final int DEBUG = Level.DEBUG_INT;

  /**
   * The most verbose level any logger is set to (Logback's integer, smaller is more verbose): a
   * {@link Log} call below it cannot be logged by anyone and returns without more work.
   */
  private static volatile int floor = Level.INFO_INT;

  private static LoggerContext context; // guarded by LogSetup.class
  private static Format format; // guarded by LogSetup.class

  /** For Logback's service loader. */
  public LogSetup() {}

  /** Called by Logback once, at the first use of SLF4J: the default configuration. */
  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    synchronized (LogSetup.class) {
      context = ctx;
      applyInt(defaultFormat(), Integer.getInteger("ett.log", 1));
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Makes sure SLF4J and Logback have started, so that {@link #floor} is the configured one. */
  static void ensureConfigured() {
    ILoggerFactory f = LoggerFactory.getILoggerFactory();
    synchronized (LogSetup.class) {
      if (context == null && f instanceof LoggerContext ctx) {
        // Configured by someone else (a logback.xml named by a system property): take it over.
        context = ctx;
        applyInt(defaultFormat(), Integer.getInteger("ett.log", 1));
      }
    }
  }

  static int floor() {
    return floor;
  }

  /**
   * Configures the log from a command's options: {@code format} is text, json, journald or null
   * (journald's when standard error is the journal, text otherwise); {@code defaultLevel} the level
   * when no spec names one; each spec is {@code LEVEL} (everything) or {@code LOGGER=LEVEL} (a
   * package or class and what is under it), later ones winning. Throws IllegalArgumentException
   * naming the option and the bad value.
   */
  public static void configure(String format, String defaultLevel, List<String> specs) {
    Format f = format == null ? defaultFormat() : parseFormat(format);
    Level root = parseLevel("--log-level", defaultLevel);
    Map<String, Level> levels = new LinkedHashMap<>();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq < 0) {
        root = parseLevel("--log-level", spec);
        continue;
      }
      String name = spec.substring(0, eq).strip();
      if (!name.matches("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*")) {
        throw new IllegalArgumentException(
            "--log-level "
                + Log.escape(spec)
                + ": '"
                + Log.escape(name)
                + "' is not a package or class name (expected: e.g. dev.ett.mux=debug)");
      }
      levels.remove(name); // the later one wins, in its own place
      levels.put(name, parseLevel("--log-level " + name, spec.substring(eq + 1)));
    }
    ensureConfigured();
    synchronized (LogSetup.class) {
      apply(f, root, levels);
    }
  }

  /**
   * The old integer level {@code l} (see {@link Log}) and no other per-package level; the format
   * kept.
   */
  static void setLevel(int l) {
    ensureConfigured();
    synchronized (LogSetup.class) {
      applyInt(format == null ? defaultFormat() : format, l);
    }
  }

  /**
   * The old integer levels were about ett's own lines: 2 is ett's debug ({@code -v}), with Netty
   * and other libraries kept at info.
   */
  // guarded by LogSetup.class
  private static void applyInt(Format f, int l) {
    Level root = l < 0 ? Level.OFF : l == 0 ? Level.WARN : Level.INFO;
    apply(f, root, l >= 2 ? Map.of("dev.ett", Level.DEBUG) : Map.of());
  }

  /** The format now (for tests). */
  static synchronized Format format() {
    return format;
  }

  // guarded by LogSetup.class
  private static void apply(Format f, Level root, Map<String, Level> levels) {
    if (context == null) {
      return; // SLF4J is bound to something else: nothing of ours to configure
    }
    Logger rootLogger = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (f != format || rootLogger.getAppender("stderr") == null) {
      LogEncoder encoder = new LogEncoder(f);
      encoder.setContext(context);
      encoder.start();
      // ConsoleAppender writes to whatever System.err is at each event (tests capture it).
      ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
      appender.setContext(context);
      appender.setName("stderr");
      appender.setTarget("System.err");
      appender.setEncoder(encoder);
      appender.start();
      rootLogger.detachAndStopAllAppenders();
      rootLogger.addAppender(appender);
      format = f;
    }
    for (Logger l : context.getLoggerList()) {
      if (l != rootLogger && l.getLevel() != null) {
        l.setLevel(null);
      }
    }
    rootLogger.setLevel(root);
    int min = root.toInt();
    for (Map.Entry<String, Level> e : levels.entrySet()) {
      context.getLogger(e.getKey()).setLevel(e.getValue());
      min = Math.min(min, e.getValue().toInt());
    }
    floor = min;
  }

  /**
   * Journald's format when standard error is the journal: systemd sets {@code JOURNAL_STREAM} to
   * the device and inode of the stream it connected ({@code DEV:INODE}), and a service that
   * redirected its standard error elsewhere (a shell script in ExecStart) still inherits the
   * variable, so it is compared with what file descriptor 2 is now (systemd.exec(5)). When that
   * cannot be checked, the variable is trusted.
   */
  static Format defaultFormat() {
    String stream = System.getenv("JOURNAL_STREAM");
    if (stream == null || stream.isEmpty()) {
      return Format.TEXT;
    }
    try {
      Map<String, Object> stat = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
      return stream.equals(stat.get("dev") + ":" + stat.get("ino")) ? Format.JOURNALD : Format.TEXT;
    } catch (IOException
        | UnsupportedOperationException
        | IllegalArgumentException
        | SecurityException e) {
      return Format.JOURNALD;
    }
  }

  private static Format parseFormat(String s) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "text" -> Format.TEXT;
      case "json" -> Format.JSON;
      case "journald" -> Format.JOURNALD;
      default ->
          throw new IllegalArgumentException(
              "--log-format: '" + Log.escape(s) + "' (expected: text, json or journald)");
    };
  }

  private static Level parseLevel(String what, String s) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "off" -> Level.OFF;
      case "error" -> Level.ERROR;
      case "warn", "warning" -> Level.WARN;
      case "info" -> Level.INFO;
      case "debug" -> Level.DEBUG;
      case "trace" -> Level.TRACE;
      default ->
          throw new IllegalArgumentException(
              what
                  + ": '"
                  + Log.escape(s)
                  + "' (expected: off, error, warn, info, debug or trace)");
    };
  }

  static int intLevelOf(int logbackLevel) {
    return logbackLevel <= DEBUG
        ? 2
        : logbackLevel <= INFO ? 1 : logbackLevel <= ERROR ? 0 : Log.SILENT;
  }
}
