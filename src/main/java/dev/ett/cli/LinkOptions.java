package dev.ett.cli;

import dev.ett.link.LinkConfig;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Link tunables shared by server and client (PROTOCOL.md §6-§8). */
final class LinkOptions {
  @Option(
      names = "--window",
      description = "Per-stream receive window (default 256k).",
      paramLabel = "SIZE")
  String window;

  @Option(
      names = "--max-streams",
      description = "Concurrent streams per link (default 1024).",
      paramLabel = "N")
  Integer maxStreams;

  @Option(
      names = "--max-pending-opens",
      description = "Streams resolving/connecting per link (default 128).",
      paramLabel = "N")
  Integer maxPendingOpens;

  @Option(
      names = "--keepalive",
      description = "Ping after this much silence; dead after 3x (default 15s).",
      paramLabel = "DURATION")
  String keepalive;

  @Option(
      names = "--rekey-bytes",
      description = "Rekey a direction after this many bytes (default 1g).",
      paramLabel = "SIZE")
  String rekeyBytes;

  @Option(
      names = "--rekey-interval",
      description = "Fresh ephemeral keys this often (default 2m).",
      paramLabel = "DURATION")
  String rekeyInterval;

  @Option(
      names = "--handshake-timeout",
      description = "Deadline for a handshake (default 10s).",
      paramLabel = "DURATION")
  String handshakeTimeout;

  @Option(
      names = "--connect-timeout",
      description = "Server: deadline to connect a destination (default 10s).",
      paramLabel = "DURATION")
  String connectTimeout;

  @Option(
      names = "--max-queued-answers",
      description =
          "Close a link whose peer leaves this many PONG/REFUSED answers unread (default 10000).",
      paramLabel = "N")
  Integer maxQueuedAnswers;

  private static final Duration MS = Duration.ofMillis(1);

  /**
   * The link tunables, every one checked against its range with the option's name in the error (the
   * records below would name only their own fields).
   */
  LinkConfig toConfig() {
    LinkConfig c = LinkConfig.defaults();
    if (window != null) {
      // PROTOCOL.md §4: the window fields are u32 limited to MIN_WINDOW..2^31-1.
      c =
          c.withInitialWindow(
              (int) Units.size("--window", window, LinkConfig.MIN_WINDOW, LinkConfig.MAX_WINDOW));
    }
    if (maxStreams != null) {
      c = c.withMaxStreams(Units.count("--max-streams", maxStreams, 1, Integer.MAX_VALUE));
    }
    if (maxPendingOpens != null) {
      c =
          c.withMaxPendingOpens(
              Units.count("--max-pending-opens", maxPendingOpens, 1, Integer.MAX_VALUE));
    }
    if (keepalive != null) {
      c = c.withKeepalive(Units.duration("--keepalive", keepalive, MS));
    }
    if (rekeyBytes != null || rekeyInterval != null) {
      c =
          c.withRekey(
              rekeyBytes == null
                  ? c.rekeyBytes()
                  : Units.size(
                      "--rekey-bytes", rekeyBytes, LinkConfig.MIN_REKEY_BYTES, Long.MAX_VALUE),
              rekeyInterval == null
                  ? c.rekeyInterval()
                  : Units.duration("--rekey-interval", rekeyInterval, MS));
    }
    if (handshakeTimeout != null) {
      c = c.withHandshakeTimeout(Units.duration("--handshake-timeout", handshakeTimeout, MS));
    }
    if (maxQueuedAnswers != null) {
      c =
          c.withMaxQueuedAnswers(
              Units.count("--max-queued-answers", maxQueuedAnswers, 1, Integer.MAX_VALUE));
    }
    if (connectTimeout != null) {
      c = c.withConnectTimeout(Units.duration("--connect-timeout", connectTimeout, MS));
    }
    return c;
  }
}
