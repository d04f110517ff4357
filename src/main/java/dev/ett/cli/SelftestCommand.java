package dev.ett.cli;

import dev.ett.noise.TestVectors;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "selftest",
    description = {
      "Without options: run a server, a client and an echo destination in this process on loopback, and check",
      "that handshakes, connections through -L and SOCKS5 and a bulk transfer work; print one line.",
      "With --vectors: run Noise test vector files (cacophony, snow, noise-c formats); print 'N passed, N failed'."
    })
final class SelftestCommand implements Callable<Integer> {
  @Option(
      names = "--vectors",
      arity = "1..*",
      paramLabel = "FILE",
      description = "Noise test vector files to run instead.")
  List<Path> files;

  @Option(
      names = "--connections",
      defaultValue = "200",
      paramLabel = "N",
      description = "Connections through each front (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--bulk",
      defaultValue = "64MiB",
      paramLabel = "SIZE",
      description = "Bytes of the bulk transfer (default: ${DEFAULT-VALUE}).")
  String bulk;

  @Override
  public Integer call() throws Exception {
    if (files == null) {
      if (connections < 0) {
        throw new IllegalArgumentException(
            "--connections " + connections + " (expected: 0 or more)");
      }
      System.out.println(
          Rehearsal.run(connections, Units.size("--bulk", bulk, 0, 1L << 40)).summary());
      return 0;
    }
    TestVectors.Result r = TestVectors.run(files);
    System.out.println(r.summary());
    return r.failed().isEmpty() ? 0 : 1;
  }
}
