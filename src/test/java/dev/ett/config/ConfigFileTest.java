package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.config.ConfigFile.Array;
import dev.ett.config.ConfigFile.Kind;
import dev.ett.config.ConfigFile.Scalar;
import dev.ett.config.ConfigFile.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: a TOML configuration file becomes settings that know their line — each
 * key's, and each element's of an array written over several lines — and broken TOML is refused
 * with the file and line, like the authorized file's errors.
 */
class ConfigFileTest {
  @Test
  void everyKeyAndEveryArrayElementKnowsItsLine() throws Exception {
    ConfigFile f =
        ConfigFile.parse(
            "server.toml",
            """
            # an exit for the web
            role = "server"
            listen = "127.0.0.1:7000"   # comment = "not a key"

            policy = [
              "accept 127.0.0.1:8080",  # first
              # a comment line between elements
              'web',
            ]
            note = \"\"\"
            two
            lines\"\"\"
            threads = 4
            verbose = true
            ratio = 1.5
            """);
    assertThat(f.settings())
        .extracting(ConfigFile.Setting::key)
        .containsExactly("role", "listen", "policy", "note", "threads", "verbose", "ratio");
    assertThat(f.get("listen").orElseThrow().line()).isEqualTo(3);
    Array policy = (Array) f.get("policy").orElseThrow().value();
    assertThat(policy.line()).isEqualTo(5);
    assertThat(policy.elements())
        .extracting(v -> ((Scalar) v).text())
        .containsExactly("accept 127.0.0.1:8080", "web");
    assertThat(policy.elements()).extracting(ConfigFile.Value::line).containsExactly(6, 8);
    assertThat(f.get("threads").orElseThrow())
        .satisfies(
            s -> {
              assertThat(s.line()).isEqualTo(13);
              assertThat(s.value()).isEqualTo(new Scalar(Kind.INTEGER, "4", 13));
            });
    assertThat(f.get("verbose").orElseThrow().value())
        .isEqualTo(new Scalar(Kind.BOOLEAN, "true", 14));
    assertThat(((Scalar) f.get("ratio").orElseThrow().value()).kind()).isEqualTo(Kind.FLOAT);
  }

  @Test
  void aTableIsReportedAtItsHeaderLine() throws Exception {
    ConfigFile f = ConfigFile.parse("c.toml", "role = \"client\"\n\n[server]\nlisten = \"x\"\n");
    assertThat(f.get("server").orElseThrow().value()).isEqualTo(new Table(3));
    ConfigFile dotted = ConfigFile.parse("c.toml", "role = \"client\"\nlog.level = \"debug\"\n");
    assertThat(dotted.get("log").orElseThrow().value()).isEqualTo(new Table(2));
  }

  @Test
  void aDuplicateKeyNamesBothLines() {
    assertThatThrownBy(
            () -> ConfigFile.parse("s.toml", "role = \"server\"\nthreads = 1\n\nthreads = 2\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("s.toml:4: duplicate key 'threads' (already on line 2)");
  }

  @Test
  void brokenTomlNamesFileAndLine() {
    assertThatThrownBy(() -> ConfigFile.parse("s.toml", "role = \"server\"\n\nthreads = four\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("s.toml:3: not TOML: ")
        .hasMessageContaining("a string needs quotes");
    assertThatThrownBy(
            () -> ConfigFile.parse("s.toml", "role = \"server\"\nlisten = \"127.0.0.1:7000\n"))
        .hasMessageStartingWith("s.toml:2: not TOML: ");
  }

  @Test
  void anEmptyFileHasNoSettings() throws Exception {
    assertThat(ConfigFile.parse("e.toml", "").settings()).isEmpty();
    assertThat(ConfigFile.parse("e.toml", "# only a comment\n").settings()).isEmpty();
  }

  @Test
  void aFileOthersCanWriteIsRefusedLikeTheOtherTrustedFiles(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("server.toml"), "role = \"server\"\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThatThrownBy(() -> ConfigFile.read(f))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            f
                + ": mode 0666 lets group or others change the keys, clients and policy ett uses; run chmod go-w "
                + f);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(ConfigFile.read(f).settings()).hasSize(1);
  }

  @Test
  void didYouMeanFindsNearKeysOnly() {
    List<String> keys = List.of("threads", "listen", "client-rate", "forward");
    assertThat(Spelling.closest("treads", keys)).contains("threads");
    assertThat(Spelling.closest("--listen", keys)).contains("listen");
    assertThat(Spelling.closest("clientrate", keys)).contains("client-rate");
    assertThat(Spelling.closest("port", keys)).isEmpty();
  }
}
