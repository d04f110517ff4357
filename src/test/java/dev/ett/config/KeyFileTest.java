package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyFileTest {
  @TempDir Path dir;

  private static byte[] key() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void writeCreatesPrivateKeyWithMode0600AndPublicKeyWith0644() throws Exception {
    byte[] priv = key();
    byte[] pub = key();
    Path path = dir.resolve("server.key");

    KeyFile.write(path, priv, pub);

    assertThat(mode(path)).isEqualTo("rw-------");
    assertThat(mode(dir.resolve("server.key.pub"))).isEqualTo("rw-r--r--");
    assertThat(Files.readString(path)).hasSize(45).endsWith("=\n");
    assertThat(KeyFile.readPrivate(path)).isEqualTo(priv);
    assertThat(KeyFile.readPublic(KeyFile.publicPathOf(path))).isEqualTo(pub);
  }

  @Test
  void writeRefusesToOverwriteAnExistingKeyWithoutForce() throws Exception {
    Path path = dir.resolve("server.key");
    byte[] first = key();
    KeyFile.write(path, first, key());

    assertThatThrownBy(() -> KeyFile.write(path, key(), key()))
        .isInstanceOf(FileAlreadyExistsException.class)
        .hasMessageContaining("server.key")
        .hasMessageContaining("refusing to overwrite");
    assertThat(KeyFile.readPrivate(path)).isEqualTo(first);
  }

  @Test
  void writeRefusesWhenOnlyThePublicFileExists() throws Exception {
    Path path = dir.resolve("server.key");
    Files.writeString(dir.resolve("server.key.pub"), "old\n");

    assertThatThrownBy(() -> KeyFile.write(path, key(), key()))
        .isInstanceOf(FileAlreadyExistsException.class)
        .hasMessageContaining("server.key.pub");
    assertThat(path).doesNotExist();
  }

  @Test
  void writeWithForceReplacesAWorldReadableKeyWithA0600One() throws Exception {
    Path path = dir.resolve("server.key");
    Files.writeString(path, "old\n");
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
    byte[] priv = key();

    KeyFile.write(path, priv, key(), true);

    assertThat(mode(path)).isEqualTo("rw-------");
    assertThat(KeyFile.readPrivate(path)).isEqualTo(priv);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("server.key", "server.key.pub");
    }
  }

  @ParameterizedTest(name = "mode {0}")
  @CsvSource({
    "rw-r--r--, mode 0644 is readable by group and others",
    "rw-r-----, mode 0640 is readable by group",
    "rw----r--, mode 0604 is readable by others",
    "rw-----w-, mode 0602 is accessible by others",
    "rwx--x---, mode 0710 is accessible by group"
  })
  void readPrivateRefusesAKeyThatGroupOrOthersCanAccess(String perms, String message)
      throws Exception {
    Path path = dir.resolve("server.key");
    KeyFile.write(path, key(), key());
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(perms));

    assertThatThrownBy(() -> KeyFile.readPrivate(path))
        .isInstanceOf(ConfigException.class)
        .hasMessage(path + ": " + message + "; run chmod 600 " + path);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8   | 43 characters (expected: 44 base64 characters encoding 32 bytes)
          AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8== | 45 characters
          AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=  | character 43 is not standard base64
          AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==  | character 43 is not standard base64
          AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=  | not canonical base64
          """)
  void malformedKeysAreRefusedWithTheReason(String text, String reason) throws Exception {
    assertThatThrownBy(() -> KeyFile.parsePublic(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);

    Path path = dir.resolve("bad.key");
    Files.writeString(path, text + "\n");
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> KeyFile.readPrivate(path))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(path + ": private key: ")
        .hasMessageContaining(reason.substring(0, 12))
        // A private key, even a broken one, never appears in a message.
        .hasMessageNotContaining(text.substring(0, 20));
  }

  @Test
  void parsePublicAcceptsWireGuardFormatWithSurroundingWhitespace() {
    byte[] expected = new byte[32];
    for (int i = 0; i < 32; i++) {
      expected[i] = (byte) i;
    }
    assertThat(KeyFile.parsePublic(" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"))
        .isEqualTo(expected);
    assertThat(KeyFile.encode(expected)).isEqualTo("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  }

  @Test
  void fingerprintIsTheFirstEightBytesOfSha256InHex() {
    // printf '\0%.0s' {1..32} | sha256sum -> 66687aadf862bd77...
    assertThat(KeyFile.fingerprint(new byte[32])).isEqualTo("66687aadf862bd77");
  }

  @Test
  void keysMustBe32Bytes() {
    assertThatThrownBy(() -> KeyFile.write(dir.resolve("k"), new byte[31], key()))
        .hasMessage("privateKey: 31 bytes (expected: 32 bytes)");
    assertThat(dir.resolve("k")).doesNotExist();
  }

  @Test
  void oversizedKeyFileIsRefusedWithoutReadingIt() throws Exception {
    Path path = dir.resolve("big.key");
    Files.write(path, new byte[4096]);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> KeyFile.readPrivate(path))
        .hasMessage(path + ": 4096 bytes (expected: one line with a 44-character base64 key)");
    assertThat("x".getBytes(StandardCharsets.US_ASCII)).hasSize(1);
  }

  @ParameterizedTest(name = "mode {0}")
  @CsvSource({"rw-r--r--", "rw-------"})
  void aPublicKeyFileIsRefusedAsAPrivateKeyWhateverItsMode(String perms) throws Exception {
    // The mode error used to say "run chmod 600"; after it, the server started with an identity
    // derived from the public key's bytes, which no client pins.
    Path path = dir.resolve("server.key");
    KeyFile.write(path, key(), key());
    Path pub = dir.resolve("server.key.pub");
    Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString(perms));

    assertThatThrownBy(() -> KeyFile.readPrivate(pub))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            pub
                + ": holds a public key (expected: the private key file written by `ett keygen`: server.key, not"
                + " server.key.pub)");
  }

  @ParameterizedTest(name = "mode {0}")
  @CsvSource({"rw-r--r--", "rw-------"})
  void aCopyOfAPublicKeyUnderAnotherNameIsRefusedAsAPrivateKey(String perms) throws Exception {
    Path path = dir.resolve("server.key");
    KeyFile.write(path, key(), key());
    Path copy = dir.resolve("identity");
    Files.copy(dir.resolve("server.key.pub"), copy);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString(perms));

    assertThatThrownBy(() -> KeyFile.readPrivate(copy))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            copy
                + ": holds the public key in "
                + dir.resolve("server.key.pub")
                + " (expected: the private key file written by `ett keygen`)");
    // The real private key next to it is still fine.
    assertThat(KeyFile.readPrivate(path)).hasSize(32);
  }

  @Test
  void aDirectoryIsRefusedAsAKeyWithoutTheChmodAdvice() throws Exception {
    Path keys = Files.createDirectory(dir.resolve("keys"));
    assertThatThrownBy(() -> KeyFile.readPrivate(keys))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            keys + ": is a directory (expected: the private key file written by `ett keygen`)");
  }

  @Test
  void aKeyInADirectoryOthersCanWriteIsRefused() throws Exception {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Path path = shared.resolve("server.key");
    KeyFile.write(path, key(), key());
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(() -> KeyFile.readPrivate(path))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            shared
                + ": mode 0777 lets group or others replace "
                + path
                + "; run chmod go-w "
                + shared);

    // /tmp itself: sticky and world-writable. Anyone may put names next to the key there.
    Files.setAttribute(shared, "unix:mode", 01777);
    assertThatThrownBy(() -> KeyFile.readPrivate(path))
        .hasMessageStartingWith(shared + ": mode 1777 lets group or others");

    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx------"));
    assertThat(KeyFile.readPrivate(path)).hasSize(32);
  }

  @Test
  void aMissingKeySaysNotFoundAndAKeyGivenInPlaceOfItsFileIsNotEchoed() {
    Path missing = dir.resolve("nosuch.key");
    assertThatThrownBy(() -> KeyFile.readPrivate(missing)).hasMessage(missing + ": not found");

    String key = KeyFile.encode(key());
    assertThatThrownBy(() -> KeyFile.readPrivate(Path.of(key)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("a key itself, not a file")
        .hasMessageNotContaining(key.substring(0, 20));
  }

  @Test
  void aKeyWithDoubleSlashesGivenInPlaceOfItsFileIsNotEchoedEither() {
    // Path.of collapses "//" to "/", so the name is no longer 44 characters; it is still a key.
    String key = "nBrITRhlBa+vizkz3G47jCJqQ//Fu2d/UxLvSElUSlw=";
    assertThat(KeyFile.isPublicKey(key)).isTrue();
    assertThatThrownBy(() -> KeyFile.readPrivate(Path.of(key)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("a key itself, not a file")
        .hasMessageNotContaining("3G47jCJqQ");
  }
}
