package dev.ett.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads the files ett trusts — private keys, the authorized clients, the policy file, the hosts
 * file, the proxy users — only if nobody but root and the user ett runs as could have written them.
 * Whoever can write one of them can let themselves in, open the exit policy, point a name at
 * another address or add a proxy user; ssh's StrictModes is the model.
 *
 * <p>The checks, at start and on every reload:
 *
 * <ol>
 *   <li>The file is a regular file owned by root or by ett's user, not writable by group or others
 *       ({@link #readConfig}); a private key not accessible by them at all ({@link #readPrivate}).
 *   <li>Every directory on the way to it, both as named and after resolving symbolic links (so a
 *       link is checked where it lives and where it points), is owned by root or by ett's user and
 *       not writable by group or others: whoever can write a directory can rename another file over
 *       the one inside. One exception: a sticky directory (mode 1777, like /tmp) above the file's
 *       own directory, because in a sticky directory only an entry's owner may rename or remove it,
 *       and that owner is checked one level down. The file's own directory may not be sticky and
 *       world-writable: a key or a policy directly in /tmp is refused (others can create names next
 *       to it, and tmp cleaners delete it).
 * </ol>
 *
 * <p>Check the file that was read, not a name: Java cannot fstat an open channel, so the file's
 * attributes are read through its resolved path before opening it ({@code O_NOFOLLOW}) and again
 * after reading, and the read counts only if both show the same file unchanged (device, inode,
 * type, mode, owner, size, modification and change times); otherwise it is done again, up to
 * {@value #ATTEMPTS} times. Once every directory on the path is writable only by root and ett's
 * user, nobody else can swap the file between those steps, so this closes the window that a check
 * and a separate read leave; the comparison catches an honest rename over the file (an editor
 * saving) during the read. (Reading {@code /proc/self/fd} would need the descriptor's number, which
 * Java does not expose without opening {@code java.base} internals.)
 *
 * <p>Not checked: ACLs and other users who are members of a directory's group on systems with one
 * group per user (sshd asks the group database; Java cannot). Such a directory must be made {@code
 * g-w}.
 */
public final class TrustedFile {
  private TrustedFile() {}

  /**
   * The user ett runs as (real uid; ett is not setuid). Files owned by it or by root are trusted.
   */
  public static final int OWN_UID = (int) new com.sun.security.auth.module.UnixSystem().getUid();

  // st_mode bits (POSIX).
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_ISVTX = 01000;
  private static final int GROUP_OR_OTHERS_WRITE = 0022;
  private static final int GROUP_OR_OTHERS_ANY = 0077;

  /** Our choice: a file that keeps changing under the reader is refused after this many reads. */
  static final int ATTEMPTS = 3;

  /** Called between the check and the read; only tests replace the file there. */
  interface Hook {
    Hook NONE = () -> {};

    void beforeOpen() throws IOException;
  }

  /**
   * Reads a configuration file as UTF-8 after the checks above; group and others may read it.
   *
   * @param grants what writing the file would let someone do ("add clients"), for the refusal
   * @param maxBytes a bigger file is refused unread
   * @throws ConfigException naming the file (or directory) and the reason, with the fix
   */
  public static String readConfig(Path path, String grants, long maxBytes) throws IOException {
    return readConfig(path, grants, maxBytes, Hook.NONE);
  }

  static String readConfig(Path path, String grants, long maxBytes, Hook hook) throws IOException {
    byte[] bytes =
        read(path, GROUP_OR_OTHERS_WRITE, grants, maxBytes, "at most " + maxBytes + " bytes", hook);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(path + ": not UTF-8 text");
    }
  }

  /**
   * Reads a private key file after the checks above; group and others may not access it at all. The
   * caller owns the returned bytes and should zero them.
   *
   * @param expected what the file should hold, for the message about an oversized file
   */
  public static byte[] readPrivate(Path path, long maxBytes, String expected) throws IOException {
    return read(path, GROUP_OR_OTHERS_ANY, null, maxBytes, expected, Hook.NONE);
  }

  private static byte[] read(
      Path path, int forbidden, String grants, long maxBytes, String expected, Hook hook)
      throws IOException {
    for (int attempt = 1; ; attempt++) {
      Path real;
      try {
        real = path.toRealPath();
      } catch (IOException e) {
        throw describe(path, e);
      }
      checkDirectories(path, real);
      Stat before = Stat.ofFile(path, real);
      checkFile(path, before, forbidden, grants, maxBytes, expected);
      hook.beforeOpen();
      byte[] content = readAll(path, real, (int) before.size);
      Stat after;
      try {
        after = Stat.ofFile(path, real);
      } catch (ConfigException e) {
        Arrays.fill(content, (byte) 0);
        throw e;
      }
      if (after.equals(before) && content.length == before.size) {
        return content;
      }
      Arrays.fill(content, (byte) 0);
      if (attempt == ATTEMPTS) {
        throw new ConfigException(
            path + ": replaced while being read, " + ATTEMPTS + " times in a row");
      }
    }
  }

  private static void checkFile(
      Path path, Stat s, int forbidden, String grants, long maxBytes, String expected)
      throws ConfigException {
    if (s.type() == S_IFDIR) {
      throw new ConfigException(path + ": is a directory (expected: a file)");
    }
    if (s.type() != S_IFREG) {
      throw new ConfigException(path + ": not a regular file");
    }
    checkOwner(path, s, "");
    if ((s.mode & forbidden) != 0) {
      throw new ConfigException(
          path + ": mode " + octal(s.mode) + modeProblem(s.mode, forbidden, grants, path));
    }
    if (s.size > maxBytes) {
      throw new ConfigException(path + ": " + s.size + " bytes (expected: " + expected + ")");
    }
  }

  private static String modeProblem(int mode, int forbidden, String grants, Path path) {
    if (forbidden == GROUP_OR_OTHERS_WRITE) {
      return " lets group or others " + grants + "; run chmod go-w " + path;
    }
    boolean byGroup = (mode & 0070) != 0;
    boolean byOthers = (mode & 0007) != 0;
    boolean readable = (mode & 0044) != 0;
    String who = byGroup && byOthers ? "group and others" : byGroup ? "group" : "others";
    return " is "
        + (readable ? "readable" : "accessible")
        + " by "
        + who
        + "; run chmod 600 "
        + path;
  }

  /**
   * Every directory whose entries lead to the file: the parents of the path as named (through
   * whatever links they are) and of its resolved path.
   */
  private static void checkDirectories(Path path, Path real) throws IOException {
    Map<Path, Boolean> dirs = new LinkedHashMap<>(); // directory -> holds the file itself
    Path named = path.toAbsolutePath();
    for (Path chain : new Path[] {named, real}) {
      boolean first = true;
      for (Path d = chain.getParent(); d != null; d = d.getParent()) {
        dirs.merge(d, first, Boolean::logicalOr);
        first = false;
      }
    }
    for (Map.Entry<Path, Boolean> e : dirs.entrySet()) {
      Path d = e.getKey();
      Stat s = Stat.stat(d, d);
      checkOwner(d, s, ", who can replace " + path);
      boolean writable = (s.mode & GROUP_OR_OTHERS_WRITE) != 0;
      boolean stickyAbove = (s.mode & S_ISVTX) != 0 && !e.getValue();
      if (writable && !stickyAbove) {
        String fix =
            s.uid == OWN_UID && (s.mode & S_ISVTX) == 0
                ? "run chmod go-w " + d
                : "keep it in a directory that only root or uid " + OWN_UID + " can write";
        throw new ConfigException(
            d + ": mode " + octal(s.mode) + " lets group or others replace " + path + "; " + fix);
      }
    }
  }

  private static void checkOwner(Path p, Stat s, String consequence) throws ConfigException {
    if (s.uid != 0 && s.uid != OWN_UID) {
      throw new ConfigException(
          p
              + ": owned by uid "
              + s.uid
              + consequence
              + " (expected: root or uid "
              + OWN_UID
              + ", the user ett runs as)");
    }
  }

  private static byte[] readAll(Path path, Path real, int size) throws IOException {
    // One byte more than expected, to notice a file that grew since it was checked.
    byte[] buf = new byte[size + 1];
    int n = 0;
    Set<OpenOption> options = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    try (SeekableByteChannel ch = Files.newByteChannel(real, options)) {
      ByteBuffer bb = ByteBuffer.wrap(buf);
      while (bb.hasRemaining() && ch.read(bb) >= 0) {
        // read until full or end of file
      }
      n = bb.position();
    } catch (IOException e) {
      Arrays.fill(buf, (byte) 0);
      throw describe(path, e);
    }
    byte[] out = Arrays.copyOf(buf, n);
    Arrays.fill(buf, (byte) 0);
    return out;
  }

  /**
   * An operator-facing error for a failed open or stat: the path as given and why ({@code not
   * found}, {@code permission denied}), since the JDK's exceptions carry only the path. Also for
   * files that are only read, not trusted ({@code ett policy check --first-bytes}).
   */
  public static ConfigException describe(Path path, IOException e) {
    if (e instanceof ConfigException c) {
      return c;
    }
    String why;
    if (e instanceof NoSuchFileException) {
      why = "not found";
    } else if (e instanceof AccessDeniedException) {
      why = "permission denied (ett runs as uid " + OWN_UID + ")";
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      String r = f.getReason();
      why = r.isEmpty() ? r : r.substring(0, 1).toLowerCase(Locale.ROOT) + r.substring(1);
    } else {
      why = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
    }
    ConfigException out = new ConfigException(path + ": " + why);
    out.initCause(e);
    return out;
  }

  private static String octal(int mode) {
    return String.format("%04o", mode & 07777);
  }

  /** What the checks and the same-file comparison need of stat(2). */
  private record Stat(
      int mode, int uid, long dev, long ino, long size, Object mtime, Object ctime) {
    int type() {
      return mode & S_IFMT;
    }

    /**
     * lstat of the resolved path: its last component is not a link, unless it just became one,
     * which then shows as "not a regular file".
     */
    static Stat ofFile(Path path, Path real) throws ConfigException {
      return stat(path, real, LinkOption.NOFOLLOW_LINKS);
    }

    /** stat of {@code p}; errors name {@code shown}. */
    static Stat stat(Path shown, Path p, LinkOption... options) throws ConfigException {
      Map<String, Object> a;
      try {
        a = Files.readAttributes(p, "unix:mode,uid,dev,ino,size,lastModifiedTime,ctime", options);
      } catch (IOException e) {
        throw describe(shown, e);
      }
      return new Stat(
          (Integer) a.get("mode"),
          (Integer) a.get("uid"),
          (Long) a.get("dev"),
          (Long) a.get("ino"),
          (Long) a.get("size"),
          a.get("lastModifiedTime"),
          a.get("ctime"));
    }
  }
}
