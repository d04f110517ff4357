package dev.ett.cli;

import dev.ett.noise.TestVectors;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "selftest",
    description = "Run Noise test vector files (cacophony, snow, noise-c formats); print 'N passed, N failed'.")
final class SelftestCommand implements Callable<Integer> {
  @Option(names = "--vectors", arity = "1..*", required = true, paramLabel = "FILE")
  List<Path> files;

  @Override
  public Integer call() throws Exception {
    TestVectors.Result r = TestVectors.run(files);
    System.out.println(r.summary());
    return r.failed().isEmpty() ? 0 : 1;
  }
}
