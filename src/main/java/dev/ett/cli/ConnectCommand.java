package dev.ett.cli;

import dev.ett.front.StdioFront;
import dev.ett.util.Log;
import dev.ett.wire.Destination;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ett connect HOST PORT}: standard input and output joined to one stream through the server,
 * for ssh's {@code ProxyCommand}. Standard output carries the stream's bytes and nothing else; the
 * log (silent unless -v) goes to standard error.
 */
@Command(
    name = "connect",
    description = {
      "Join standard input/output to one stream to HOST:PORT through the server (for ssh's ProxyCommand).",
      "Exit status 0 when the stream ends cleanly; 1 with a one-line reason otherwise."
    })
final class ConnectCommand implements Callable<Integer> {
  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT[=KEY[,KEY2]]",
      description =
          "The server; repeatable: the first that answers is used (see --server-order), as for ett client.")
  java.util.List<String> servers = new java.util.ArrayList<>();

  @Option(
      names = "--server-key",
      paramLabel = "KEY[,KEY2]",
      description =
          "The server's public key, or a file holding it; two are tried in order (key rotation).")
  String serverKey;

  @Option(
      names = "--server-order",
      paramLabel = "ORDER",
      description = "ordered (default) or random, as for ett client.")
  String serverOrder = "ordered";

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description = "This client's private key (mode 0600).")
  Path key;

  @Option(
      names = "--via",
      paramLabel = "HOST:PORT=PUBKEY",
      description = "A relay before --server, repeatable, in route order (as for ett client).")
  java.util.List<String> via = new java.util.ArrayList<>();

  @Option(names = "--suite", paramLabel = "SUITE", description = "aesgcm (default) or chachapoly.")
  String suite = "aesgcm";

  @Option(
      names = {"-v", "--verbose"},
      description = "Log the link's life on standard error.")
  boolean verbose;

  @Parameters(index = "0", paramLabel = "HOST", description = "Resolved by the server.")
  String host;

  @Parameters(index = "1", paramLabel = "PORT")
  int port;

  @Mixin LinkOptions linkOptions = new LinkOptions();

  @Mixin LogOptions logOptions = new LogOptions();

  @Override
  public Integer call() throws Exception {
    // Silent unless asked: the one line that says what failed is this command's own.
    logOptions.apply("off", verbose ? "info" : null);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1~65535)");
    }
    Destination d;
    try {
      d = Destination.parse(host, port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("HOST " + Log.escape(host) + ": " + e.getMessage(), e);
    }
    StdioFront.Result r;
    try (ClientCommand.Link link =
        ClientCommand.Link.open(
            via,
            ClientCommand.Servers.of(servers, serverKey, serverOrder, null, 1, via),
            key,
            suite,
            linkOptions,
            1)) {
      link.start();
      // Unbuffered standard streams: each read is written through at once (interactive ssh).
      r =
          new StdioFront(link.client(), d)
              .run(
                  new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
    }
    if (r.status() != 0) {
      System.err.println(
          "ett: " + Log.escape(r.reason())); // the server's words: one line, whatever it sent
    }
    return r.status();
  }
}
