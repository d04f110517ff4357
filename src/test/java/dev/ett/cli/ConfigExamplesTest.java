package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of this test: every example configuration in packaging/examples/ (installed under /etc/ett)
 * passes {@code ett config check} as shipped, next to the key, authorized and hosts files it names.
 */
class ConfigExamplesTest {
  static final Path EXAMPLES = Path.of("packaging/examples");

  @Test
  void everyExampleChecksOk(@TempDir Path dir) throws Exception {
    CliTest.run("keygen", dir.resolve("server.key").toString());
    String client = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    Files.writeString(
        dir.resolve("authorized"), client + " alice streams=100 accept 10.1.0.0/16:22\n");
    Files.writeString(dir.resolve("hosts"), "10.1.2.3 git.intranet.example\n");
    List<Path> examples;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      examples = s.filter(p -> p.toString().endsWith(".toml")).sorted().toList();
    }
    assertThat(examples)
        .extracting(p -> p.getFileName().toString())
        .containsExactly("client.toml", "company-gateway.toml", "web-exit.toml");
    for (Path example : examples) {
      Path copy = Files.copy(example, dir.resolve(example.getFileName()));
      Run r = CliTest.run("config", "check", copy.toString());
      assertThat(r.err()).as(example.toString()).isEmpty();
      assertThat(r.out())
          .isEqualTo(
              copy
                  + ": ok (ett "
                  + (example.endsWith("client.toml") ? "client" : "server")
                  + ")\n");
      assertThat(r.status()).isZero();
    }
  }

  @Test
  void theClientExampleLeavesReverseOutWithAComment() throws Exception {
    assertThat(Files.readString(EXAMPLES.resolve("client.toml")))
        .contains("# -R")
        .doesNotContainPattern("(?m)^reverse");
  }
}
