package dev.ett.bench;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ett bench serve-source --listen HOST:PORT}: the benchmark's bulk target (a separate
 * process).
 */
@Command(
    name = "serve-source",
    hidden = true,
    description = "The benchmark's bulk source target (see BulkSource).")
public final class ServeSourceCommand implements Callable<Integer> {
  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT")
  String listen;

  @Override
  public Integer call() throws Exception {
    int colon = listen.lastIndexOf(':');
    String host = listen.substring(0, colon).replace("[", "").replace("]", "");
    BulkSource.serve(new InetSocketAddress(host, Integer.parseInt(listen.substring(colon + 1))));
    return 0;
  }
}
