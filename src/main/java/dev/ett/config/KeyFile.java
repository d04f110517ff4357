package dev.ett.config;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * X25519 key files in WireGuard's format: the 32-byte key in standard base64 (44 characters
 * ending in '='), one line. {@code server.key} holds the private key and must be mode 0600;
 * {@code server.key.pub} holds the public key.
 *
 * <p>This class never generates keys (that lives with the X25519 code) and never puts private key
 * bytes in an exception message.
 */
public final class KeyFile {
  private KeyFile() {}

  /** From the specification (RFC 7748): X25519 keys are 32 bytes. */
  public static final int KEY_BYTES = 32;

  /** Base64 of 32 bytes: 43 characters and one '=' of padding. */
  public static final int ENCODED_CHARS = 44;

  private static final Set<PosixFilePermission> PRIVATE_MODE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC_MODE =
      PosixFilePermissions.fromString("rw-r--r--");

  /** Key files are one short line; anything bigger is not a key file, so do not read it all. */
  private static final long MAX_FILE_BYTES = 1024;

  /** {@link #write(Path, byte[], byte[], boolean)} refusing to overwrite. */
  public static void write(Path privatePath, byte[] privateKey, byte[] publicKey)
      throws IOException {
    write(privatePath, privateKey, publicKey, false);
  }

  /**
   * Writes {@code privatePath} (mode 0600) and {@code privatePath + ".pub"} (mode 0644).
   *
   * <p>The private file is created with mode 0600 by the open call itself, so it is never
   * readable by others, not even between creation and a chmod. Without {@code force}, nothing is
   * written if either file exists, and the private file is created with O_EXCL. With {@code
   * force}, each file is written to a fresh temporary file in the same directory and renamed over
   * the old one, so a reader sees the old key or the new key, never half of one.
   */
  public static void write(Path privatePath, byte[] privateKey, byte[] publicKey, boolean force)
      throws IOException {
    checkKey("privateKey", privateKey);
    checkKey("publicKey", publicKey);
    Path publicPath = publicPathOf(privatePath);
    if (!force) {
      for (Path p : new Path[] {privatePath, publicPath}) {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          throw new FileAlreadyExistsException(
              p.toString(), null, "refusing to overwrite an existing key file (use force)");
        }
      }
    }
    byte[] privateLine = line(privateKey);
    try {
      writeFile(privatePath, privateLine, PRIVATE_MODE, force);
    } finally {
      Arrays.fill(privateLine, (byte) 0);
    }
    writeFile(publicPath, line(publicKey), PUBLIC_MODE, force);
  }

  /** {@code server.key} → {@code server.key.pub}. */
  public static Path publicPathOf(Path privatePath) {
    return privatePath.resolveSibling(privatePath.getFileName() + ".pub");
  }

  /**
   * Reads a private key, refusing a file that group or others may access in any way.
   *
   * @throws ConfigException naming the file: unsafe mode (with the chmod to run), or bad content
   */
  public static byte[] readPrivate(Path path) throws IOException {
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
    EnumSet<PosixFilePermission> group =
        EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE);
    EnumSet<PosixFilePermission> others =
        EnumSet.of(
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);
    boolean byGroup = mode.stream().anyMatch(group::contains);
    boolean byOthers = mode.stream().anyMatch(others::contains);
    if (byGroup || byOthers) {
      boolean readable =
          mode.contains(PosixFilePermission.GROUP_READ)
              || mode.contains(PosixFilePermission.OTHERS_READ);
      String who = byGroup && byOthers ? "group and others" : byGroup ? "group" : "others";
      throw new ConfigException(
          path
              + ": mode "
              + octal(mode)
              + " is "
              + (readable ? "readable" : "accessible")
              + " by "
              + who
              + "; run chmod 600 "
              + path);
    }
    char[] text = readSmall(path);
    try {
      return decode(path + ": private key", text, false);
    } finally {
      Arrays.fill(text, '\0');
    }
  }

  /** Reads a public key file (any mode). */
  public static byte[] readPublic(Path path) throws IOException {
    char[] text = readSmall(path);
    return decode(path + ": public key", text, true);
  }

  /**
   * Parses a public key written as 44 base64 characters, e.g. from a command line.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static byte[] parsePublic(String base64) {
    try {
      return decode("public key", base64.strip().toCharArray(), true);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /** The 44-character base64 form of a 32-byte key. */
  public static String encode(byte[] key) {
    checkKey("key", key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** First 8 bytes of SHA-256 of the public key, as 16 hex digits: short enough for logs. */
  public static String fingerprint(byte[] publicKey) {
    checkKey("publicKey", publicKey);
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(publicKey);
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void checkKey(String what, byte[] key) {
    if (key == null || key.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          what + ": " + (key == null ? "null" : key.length + " bytes") + " (expected: 32 bytes)");
    }
  }

  /**
   * @param showText whether the offending text may appear in the message (never for private keys)
   */
  private static byte[] decode(String what, char[] raw, boolean showText) throws ConfigException {
    int len = raw.length;
    while (len > 0 && Character.isWhitespace(raw[len - 1])) {
      len--;
    }
    int start = 0;
    while (start < len && Character.isWhitespace(raw[start])) {
      start++;
    }
    String shown = showText ? " '" + new String(raw, start, Math.min(len - start, 60)) + "'" : "";
    if (len - start != ENCODED_CHARS) {
      throw new ConfigException(
          what
              + shown
              + ": "
              + (len - start)
              + " characters (expected: 44 base64 characters encoding 32 bytes)");
    }
    byte[] ascii = new byte[ENCODED_CHARS];
    try {
      for (int i = 0; i < ENCODED_CHARS; i++) {
        char c = raw[start + i];
        boolean ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '+' || c == '/' || (c == '=' && i == ENCODED_CHARS - 1);
        if (!ok) {
          throw new ConfigException(
              what
                  + shown
                  + ": character "
                  + (i + 1)
                  + " is not standard base64 (expected: A-Z a-z 0-9 + / and a final '=')");
        }
        ascii[i] = (byte) c;
      }
      byte[] key = Base64.getDecoder().decode(ascii);
      if (key.length != KEY_BYTES) {
        // 44 characters without the final '=' decode to 33 bytes (found by ConfigFuzzTest).
        Arrays.fill(key, (byte) 0);
        throw new ConfigException(
            what + shown + ": " + key.length + " bytes (expected: 44 base64 characters encoding 32 bytes, ending in '=')");
      }
      // 43 characters carry 258 bits; the last 2 must be zero or the text is not canonical,
      // and two spellings of one key would make "same key" comparisons on text unreliable.
      if (!Arrays.equals(Base64.getEncoder().encode(key), ascii)) {
        throw new ConfigException(
            what + shown + ": not canonical base64 (expected: the last character before '=' to"
                + " encode zero low bits, as wg and ett write it)");
      }
      return key;
    } finally {
      Arrays.fill(ascii, (byte) 0);
    }
  }

  private static char[] readSmall(Path path) throws IOException {
    long size = Files.size(path);
    if (size > MAX_FILE_BYTES) {
      throw new ConfigException(
          path + ": " + size + " bytes (expected: one line with a 44-character base64 key)");
    }
    byte[] bytes = Files.readAllBytes(path);
    try {
      char[] chars = new char[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        chars[i] = (char) (bytes[i] & 0xff);
      }
      return chars;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static byte[] line(byte[] key) {
    byte[] b64 = Base64.getEncoder().encode(key);
    byte[] out = Arrays.copyOf(b64, b64.length + 1);
    out[b64.length] = '\n';
    Arrays.fill(b64, (byte) 0);
    return out;
  }

  private static void writeFile(
      Path target, byte[] content, Set<PosixFilePermission> mode, boolean replace)
      throws IOException {
    Path file = target;
    if (replace) {
      Path dir = target.toAbsolutePath().getParent();
      file = dir.resolve("." + target.getFileName() + "." + System.nanoTime() + ".tmp");
    }
    try {
      // CREATE_NEW is O_CREAT|O_EXCL: fails rather than following a planted symlink or
      // reusing a file someone else opened. The mode is applied by open(2) itself (minus umask).
      try (SeekableByteChannel ch =
              Files.newByteChannel(
                  file,
                  EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                  PosixFilePermissions.asFileAttribute(mode));
          OutputStream out = Channels.newOutputStream(ch)) {
        out.write(content);
      }
      // The umask may have removed bits (e.g. 0644 -> 0600); set exactly what we mean.
      Files.setPosixFilePermissions(file, mode);
      if (replace) {
        Files.move(
            file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      try {
        if (replace || !(e instanceof FileAlreadyExistsException)) {
          Files.deleteIfExists(file);
        }
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static String octal(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      // PosixFilePermission is declared owner rwx, group rwx, others rwx.
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("0%03o", bits);
  }
}
