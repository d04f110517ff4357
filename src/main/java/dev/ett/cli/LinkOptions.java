package dev.ett.cli;

import dev.ett.link.LinkConfig;
import picocli.CommandLine.Option;

/** Link tunables shared by server and client (PROTOCOL.md §6-§8). */
final class LinkOptions {
  @Option(names = "--window", description = "Per-stream receive window (default 256k).", paramLabel = "SIZE")
  String window;

  @Option(names = "--max-streams", description = "Concurrent streams per link (default 1024).", paramLabel = "N")
  Integer maxStreams;

  @Option(names = "--max-pending-opens", description = "Streams resolving/connecting per link (default 128).", paramLabel = "N")
  Integer maxPendingOpens;

  @Option(names = "--keepalive", description = "Ping after this much silence; dead after 3x (default 15s).", paramLabel = "DURATION")
  String keepalive;

  @Option(names = "--rekey-bytes", description = "Rekey a direction after this many bytes (default 1g).", paramLabel = "SIZE")
  String rekeyBytes;

  @Option(names = "--rekey-interval", description = "Fresh ephemeral keys this often (default 2m).", paramLabel = "DURATION")
  String rekeyInterval;

  @Option(names = "--handshake-timeout", description = "Deadline for a handshake (default 10s).", paramLabel = "DURATION")
  String handshakeTimeout;

  @Option(names = "--connect-timeout", description = "Server: deadline to connect a destination (default 10s).", paramLabel = "DURATION")
  String connectTimeout;

  @Option(
      names = "--max-queued-answers",
      description = "Close a link whose peer leaves this many PONG/REFUSED answers unread (default 10000).",
      paramLabel = "N")
  Integer maxQueuedAnswers;

  LinkConfig toConfig() {
    LinkConfig c = LinkConfig.defaults();
    if (window != null) {
      c = c.withInitialWindow((int) Math.min(Integer.MAX_VALUE, Units.size(window)));
    }
    if (maxStreams != null) {
      c = c.withMaxStreams(maxStreams);
    }
    if (maxPendingOpens != null) {
      c = c.withMaxPendingOpens(maxPendingOpens);
    }
    if (keepalive != null) {
      c = c.withKeepalive(Units.duration(keepalive));
    }
    if (rekeyBytes != null || rekeyInterval != null) {
      c =
          c.withRekey(
              rekeyBytes == null ? c.rekeyBytes() : Units.size(rekeyBytes),
              rekeyInterval == null ? c.rekeyInterval() : Units.duration(rekeyInterval));
    }
    if (handshakeTimeout != null) {
      c = c.withHandshakeTimeout(Units.duration(handshakeTimeout));
    }
    if (maxQueuedAnswers != null) {
      c = c.withMaxQueuedAnswers(maxQueuedAnswers);
    }
    if (connectTimeout != null) {
      c = c.withConnectTimeout(Units.duration(connectTimeout));
    }
    return c;
  }
}
