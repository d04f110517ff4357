package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ett.front.Users;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Goal of these tests: every file ett trusts (authorized clients, policy file, hosts, proxy users,
 * private keys) is refused when anyone but root and ett's own user could have written it — the
 * file, or the directory that holds it — and a refusal says which path and what to run.
 *
 * <p>Tests run as root in CI: permission-denied reads cannot be provoked for root, so that wording
 * is checked on the exception mapping alone; ownership by another user needs chown, which only root
 * may do, so those tests run only as root.
 */
class TrustedFileTest {
  @TempDir Path dir;

  private static final String ALICE = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

  /** One reader per file kind, each as the server (or the client, for users) reads it. */
  interface Reader {
    Object read(Path p) throws IOException;
  }

  private static final List<Reader> READERS =
      List.of(
          AuthorizedFile::read, p -> PolicyFile.global(List.of(), p), HostsFile::read, Users::read);

  private static final List<String> CONTENT =
      List.of(ALICE + " alice\n", "accept private\n", "127.0.0.1 db.internal\n", "# nobody yet\n");

  private Path write(Path d, int kind, String perms) throws IOException {
    Path p = d.resolve("file" + kind);
    Files.writeString(p, CONTENT.get(kind));
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    return p;
  }

  private static void chmod(Path p, String perms) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
  }

  @ParameterizedTest(name = "kind {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  void everyConfigFileOthersOrGroupCanWriteIsRefused(int kind) throws Exception {
    Path p = write(dir, kind, "rw-r--r--");
    assertThat(READERS.get(kind).read(p)).isNotNull();

    for (String perms : List.of("rw-rw-rw-", "rw-rw-r--", "rw-r--rw-")) {
      chmod(p, perms);
      assertThatThrownBy(() -> READERS.get(kind).read(p))
          .as(perms)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith(p + ": mode 06")
          .hasMessageContaining(" lets group or others ")
          .hasMessageEndingWith("; run chmod go-w " + p);
    }
  }

  @ParameterizedTest(name = "kind {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  void aConfigFileInADirectoryOthersCanWriteIsRefused(int kind) throws Exception {
    Path sub = Files.createDirectory(dir.resolve("etc"));
    Path p = write(sub, kind, "rw-r--r--");
    chmod(sub, "rwxrwxrwx");

    assertThatThrownBy(() -> READERS.get(kind).read(p))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            sub + ": mode 0777 lets group or others replace " + p + "; run chmod go-w " + sub);

    chmod(sub, "rwxrwxr-x");
    assertThatThrownBy(() -> READERS.get(kind).read(p))
        .hasMessageStartingWith(sub + ": mode 0775 lets group");

    chmod(sub, "rwxr-xr-x");
    assertThat(READERS.get(kind).read(p)).isNotNull();
  }

  @Test
  void aStickyWorldWritableDirectoryIsRefusedForTheFileItHoldsButNotAsAnAncestor()
      throws Exception {
    // /tmp-like: anyone may create names in it, but only an entry's owner may rename or remove it.
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path file = write(tmp, 0, "rw-r--r--");
    Path mine = Files.createDirectory(tmp.resolve("mine"));
    Path deeper = write(mine, 0, "rw-r--r--");
    Files.setAttribute(tmp, "unix:mode", 01777);

    assertThatThrownBy(() -> AuthorizedFile.read(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            tmp
                + ": mode 1777 lets group or others replace "
                + file
                + "; keep it in a directory that only root or uid "
                + TrustedFile.OWN_UID
                + " can write");
    // Nobody else can rename tmp/mine (sticky, and it is ours), so what is inside is safe.
    assertThat(AuthorizedFile.read(deeper).size()).isEqualTo(1);
  }

  @Test
  void aSymbolicLinkIsCheckedWhereItPointsAndWhereItLives() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path target = write(real, 1, "rw-r--r--");
    Path links = Files.createDirectory(dir.resolve("links"));
    Path link = Files.createSymbolicLink(links.resolve("policy"), target);
    assertThat(PolicyFile.global(List.of(), link).rules()).hasSize(1);

    chmod(real, "rwxrwxrwx"); // where the file really is
    assertThatThrownBy(() -> PolicyFile.global(List.of(), link))
        .hasMessageStartingWith(real + ": mode 0777");
    chmod(real, "rwxr-xr-x");

    chmod(links, "rwxrwxrwx"); // where the link is: whoever writes here can point it elsewhere
    assertThatThrownBy(() -> PolicyFile.global(List.of(), link))
        .hasMessageStartingWith(links + ": mode 0777");
  }

  @Test
  void aFileOwnedByAnotherUserIsRefused() throws Exception {
    assumeThat(TrustedFile.OWN_UID).as("only root can give a file away").isZero();
    Path p = write(dir, 2, "rw-r--r--");
    Files.setAttribute(p, "unix:uid", 4242);

    assertThatThrownBy(() -> HostsFile.read(p))
        .isInstanceOf(ConfigException.class)
        .hasMessage(p + ": owned by uid 4242 (expected: root or uid 0, the user ett runs as)");
  }

  @Test
  void aDirectoryOwnedByAnotherUserIsRefused() throws Exception {
    assumeThat(TrustedFile.OWN_UID).as("only root can give a directory away").isZero();
    Path sub = Files.createDirectory(dir.resolve("theirs"));
    Path p = write(sub, 2, "rw-r--r--");
    Files.setAttribute(sub, "unix:uid", 4242);

    assertThatThrownBy(() -> HostsFile.read(p))
        .hasMessage(
            sub
                + ": owned by uid 4242, who can replace "
                + p
                + " (expected: root or uid 0, the user ett runs as)");
  }

  @Test
  void aMissingFileSaysNotFound() {
    Path p = dir.resolve("nosuch");
    assertThatThrownBy(() -> AuthorizedFile.read(p))
        .isInstanceOf(ConfigException.class)
        .hasMessage(p + ": not found");
    assertThatThrownBy(() -> KeyFile.readPrivate(p))
        .isInstanceOf(ConfigException.class)
        .hasMessage(p + ": not found");
  }

  @Test
  void aDirectoryGivenAsAFileSaysSo() throws Exception {
    Path d = Files.createDirectory(dir.resolve("hosts.d"));
    assertThatThrownBy(() -> HostsFile.read(d))
        .hasMessage(d + ": is a directory (expected: a file)");
  }

  @Test
  void readErrorsAreNamedForWhatWentWrong() {
    // Root reads anything, so a real permission-denied cannot be provoked in CI: the mapping.
    Path p = Path.of("server.key");
    assertThat(TrustedFile.describe(p, new AccessDeniedException("/abs/server.key")).getMessage())
        .isEqualTo("server.key: permission denied (ett runs as uid " + TrustedFile.OWN_UID + ")");
    assertThat(TrustedFile.describe(p, new NoSuchFileException("/abs/server.key")).getMessage())
        .isEqualTo("server.key: not found");
    assertThat(
            TrustedFile.describe(
                    p,
                    new java.nio.file.FileSystemException(
                        "/abs/server.key", null, "Not a directory"))
                .getMessage())
        .isEqualTo("server.key: not a directory");
  }

  @Test
  void aFileThatChangesOnEveryReadIsRefusedRatherThanReadHalfChecked() throws Exception {
    Path p = write(dir, 1, "rw-r--r--");
    int[] reads = {0};
    // Between the check and the read (the two stats around it), the file is replaced each time.
    TrustedFile.Hook swap =
        () -> {
          reads[0]++;
          Path next = dir.resolve("next");
          Files.writeString(next, "accept *:*\n");
          Files.move(
              next,
              p,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING,
              java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        };
    assertThatThrownBy(() -> TrustedFile.readConfig(p, "change it", 1024, swap))
        .isInstanceOf(ConfigException.class)
        .hasMessage(p + ": replaced while being read, 3 times in a row");
    assertThat(reads[0]).isEqualTo(3);
  }

  @Test
  void aFileReplacedOnceIsReadAgainAndItsNewModeChecked() throws Exception {
    Path p = write(dir, 1, "rw-r--r--");
    boolean[] done = {false};
    TrustedFile.Hook swapToWorldWritable =
        () -> {
          if (!done[0]) {
            done[0] = true;
            Path next = dir.resolve("next");
            Files.writeString(next, "accept *:*\n");
            chmod(next, "rw-rw-rw-");
            Files.move(
                next,
                p,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
          }
        };
    assertThatThrownBy(
            () -> TrustedFile.readConfig(p, "change the exit policy", 1024, swapToWorldWritable))
        .hasMessageStartingWith(p + ": mode 0666 lets group or others change the exit policy");
  }
}
