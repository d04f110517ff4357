package dev.ett.cli;

import dev.ett.bench.TestTarget;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "target",
    hidden = true,
    description =
        "A TCP target for demos and benchmarks: echo, discard (counts), or a tiny HTTP server.")
final class TargetCommand implements Callable<Integer> {
  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT")
  String listen;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description = "echo | sink | source | http (default echo).")
  String mode = "echo";

  @Override
  public Integer call() throws Exception {
    TestTarget t =
        TestTarget.start(
            Addrs.listenAddress(listen, "--listen"), TestTarget.Mode.valueOf(mode.toUpperCase()));
    System.err.println("target (" + mode + ") listening on " + t.address());
    Thread.currentThread().join();
    return 0;
  }
}
