package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --server-key takes a key or a file holding one, whatever the length of the file's path. */
class ServerKeyArgumentTest {
  @TempDir Path dir;

  @Test
  void aFileWhosePathIsExactly44CharactersLongIsReadAsAFile() throws Exception {
    KeyPair k = X25519.generate();
    Path sub = Files.createDirectories(dir.resolve("d"));
    StringBuilder name = new StringBuilder("server.key.pub");
    Path file = sub.resolve(name.toString());
    // Pad the file name until the path given on the command line is exactly 44 characters.
    String path = file.toString();
    while (path.length() < KeyFile.ENCODED_CHARS) {
      name.insert(0, 'x');
      file = sub.resolve(name.toString());
      path = file.toString();
    }
    if (path.length() > KeyFile.ENCODED_CHARS) {
      // A long temp dir: use a path relative to it instead, made to measure.
      path = "./" + "x".repeat(KeyFile.ENCODED_CHARS - 2 - ".pub".length()) + ".pub";
      file = Path.of(path);
      file.toFile().deleteOnExit();
    }
    assertThat(path).hasSize(KeyFile.ENCODED_CHARS);
    Files.writeString(file, KeyFile.encode(k.publicKey()) + "\n");
    try {
      assertThat(ClientCommand.readServerKey(path)).isEqualTo(k.publicKey());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void aKeyIsAKeyAndSomethingElseIsNeither() throws Exception {
    KeyPair k = X25519.generate();
    assertThat(ClientCommand.readServerKey(KeyFile.encode(k.publicKey()))).isEqualTo(k.publicKey());
    assertThatThrownBy(() -> ClientCommand.readServerKey("no/such/file.pub"))
        .isInstanceOf(Exception.class);
  }
}
