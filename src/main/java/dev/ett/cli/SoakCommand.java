package dev.ett.cli;

import dev.ett.bench.Soak;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "soak",
    description =
        "Soak test: many concurrent streams with random sizes, half-closes, resets and server restarts through"
            + " a real client and server (paranoid leak detection); checks every byte, reports leaks and RSS over time.")
final class SoakCommand implements Callable<Integer> {
  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description = "How long (default 2m; the full soak is 30m).")
  String duration = "2m";

  @Option(names = "--streams", paramLabel = "N", description = "Concurrent streams (default 1000).")
  int streams = 1000;

  @Option(
      names = "--restart-every",
      paramLabel = "DURATION",
      description = "Restart the server this often (default 5m; 0s: never).")
  String restartEvery = "5m";

  @Option(
      names = "--report-every",
      paramLabel = "DURATION",
      description = "Progress line period (default 30s).")
  String reportEvery = "30s";

  @Override
  public Integer call() throws Exception {
    return new Soak(
            new Soak.Options(
                BenchCommand.findLauncher(),
                Units.duration(duration),
                streams,
                restartEvery.equals("0") ? java.time.Duration.ZERO : Units.duration(restartEvery),
                Units.duration(reportEvery),
                System.out))
        .run();
  }
}
