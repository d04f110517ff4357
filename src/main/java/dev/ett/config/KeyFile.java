package dev.ett.config;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
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
 * X25519 key files in WireGuard's format: the 32-byte key in standard base64 (44 characters ending
 * in '='), one line. {@code server.key} holds the private key and must be mode 0600; {@code
 * server.key.pub} holds the public key.
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
   * <p>The private file is created with mode 0600 by the open call itself, so it is never readable
   * by others, not even between creation and a chmod. Without {@code force}, nothing is written if
   * either file exists, and the private file is created with O_EXCL. With {@code force}, each file
   * is written to a fresh temporary file in the same directory and renamed over the old one, so a
   * reader sees the old key or the new key, never half of one.
   */
  public static void write(Path privatePath, byte[] privateKey, byte[] publicKey, boolean force)
      throws IOException {
    write(privatePath, privateKey, publicKey, force, null);
  }

  /**
   * {@link #write(Path, byte[], byte[], boolean)} with a name: the public file then holds {@code
   * PUBKEY NAME}, a line of the server's authorized file as it is (NAME as {@link AuthorizedFile}
   * takes it), which {@link #readPublic} also reads as the key alone.
   */
  public static void write(
      Path privatePath, byte[] privateKey, byte[] publicKey, boolean force, String name)
      throws IOException {
    if (name != null) {
      AuthorizedFile.checkName(name);
    }
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
    writeFile(
        publicPath,
        name == null
            ? line(publicKey)
            : (encode(publicKey) + " " + name + "\n").getBytes(StandardCharsets.US_ASCII),
        PUBLIC_MODE,
        force);
  }

  /** {@code server.key} → {@code server.key.pub}. */
  public static Path publicPathOf(Path privatePath) {
    return privatePath.resolveSibling(privatePath.getFileName() + ".pub");
  }

  /**
   * Reads a private key, refusing a file that group or others may access in any way, or that sits
   * where others could replace it (see {@link TrustedFile}).
   *
   * <p>Before the mode is checked, the file is checked for being what a mistaken {@code --key}
   * usually is — a directory, or a public key — because the mode error's advice ({@code chmod 600})
   * would "fix" a public key file into a server with some other identity.
   *
   * @throws ConfigException naming the file: not found, permission denied, a directory, a public
   *     key, unsafe mode or directory (with the command to run), or bad content
   */
  public static byte[] readPrivate(Path path) throws IOException {
    refuseWhatIsNotAPrivateKeyFile(path);
    byte[] raw =
        TrustedFile.readPrivate(path, MAX_FILE_BYTES, "one line with a 44-character base64 key");
    char[] text = chars(raw);
    byte[] key;
    try {
      key = decode(path + ": private key", text, false);
    } finally {
      Arrays.fill(text, '\0');
    }
    Path same = publicKeyFileHolding(path, key);
    if (same != null) {
      Arrays.fill(key, (byte) 0);
      throw holdsPublicKey(path, "the public key in " + same);
    }
    return key;
  }

  private static void refuseWhatIsNotAPrivateKeyFile(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new ConfigException(
          path + ": is a directory (expected: the private key file written by `ett keygen`)");
    }
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && looksLikeAKey(path.toString())) {
      // Never echo it: it may be a private key pasted in place of its file's name.
      throw new ConfigException(
          "the key file's name is 44 base64 characters: a key itself, not a file (expected: the private key file"
              + " written by `ett keygen`)");
    }
    if (name.endsWith(".pub") && name.length() > 4) {
      throw holdsPublicKey(path, "a public key");
    }
    if (Files.isRegularFile(path)
        && readableByOthers(Files.getPosixFilePermissions(path))
        && Files.size(path) <= MAX_FILE_BYTES) {
      // Readable by everyone, as a public key file is: reading it tells us nothing secret, and a
      // copy of a .pub next to it must not get the chmod 600 advice.
      byte[] key;
      try {
        key = decode("", chars(Files.readAllBytes(path)), false);
      } catch (ConfigException e) {
        return; // not a key at all: the checks below say what is wrong
      }
      Path same = publicKeyFileHolding(path, key);
      Arrays.fill(key, (byte) 0);
      if (same != null) {
        throw holdsPublicKey(path, "the public key in " + same);
      }
    }
  }

  private static boolean readableByOthers(Set<PosixFilePermission> mode) {
    return mode.contains(PosixFilePermission.GROUP_READ)
        || mode.contains(PosixFilePermission.OTHERS_READ);
  }

  private static ConfigException holdsPublicKey(Path path, String what) {
    String name = path.getFileName().toString();
    String hint =
        name.endsWith(".pub") ? ": " + name.substring(0, name.length() - 4) + ", not " + name : "";
    return new ConfigException(
        path
            + ": holds "
            + what
            + " (expected: the private key file written by `ett keygen`"
            + hint
            + ")");
  }

  /**
   * Whether a file name that does not exist is a key pasted in its place: a key itself, or one
   * whose "//" the path collapsed to "/" (Path.of does), so up to a few characters short of 44. A
   * name that only resembles one costs nothing but the wording of a "not found".
   */
  private static boolean looksLikeAKey(String name) {
    if (isPublicKey(name)) {
      return true;
    }
    return name.length() >= ENCODED_CHARS - 4
        && name.length() < ENCODED_CHARS
        && name.endsWith("=")
        && name.chars()
            .allMatch(
                c -> (Character.isLetterOrDigit(c) && c < 128) || c == '+' || c == '/' || c == '=');
  }

  /**
   * A {@code *.pub} file in the same directory as {@code keyPath} holding {@code key}, or null: a
   * "private" key equal to a public key file is a copy of that public key.
   */
  private static Path publicKeyFileHolding(Path keyPath, byte[] key) throws IOException {
    Path dir = keyPath.toAbsolutePath().getParent();
    if (dir == null) {
      return null;
    }
    try (DirectoryStream<Path> pubs = Files.newDirectoryStream(dir, "*.pub")) {
      for (Path p : pubs) {
        if (!Files.isRegularFile(p) || Files.size(p) > MAX_FILE_BYTES) {
          continue;
        }
        byte[] other;
        try {
          other = readPublic(p);
        } catch (IOException e) {
          continue; // not a key file: nothing to compare
        }
        if (MessageDigest.isEqual(other, key)) {
          return keyPath.resolveSibling(p.getFileName());
        }
      }
    } catch (IOException e) {
      return null; // an unreadable directory: the real read already succeeded or will say why
    }
    return null;
  }

  /**
   * Reads a public key file (any mode): {@code PUBKEY}, or {@code PUBKEY NAME} as {@code ett keygen
   * --name} writes it (a line of an authorized file).
   */
  public static byte[] readPublic(Path path) throws IOException {
    char[] text = readSmall(path);
    String[] words = new String(text).strip().split("\\s+", 2);
    if (words.length == 2 && isName(words[1])) {
      text = words[0].toCharArray();
    }
    return decode(path + ": public key", text, true);
  }

  private static boolean isName(String s) {
    try {
      AuthorizedFile.checkName(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Parses a public key written as 44 base64 characters, e.g. from a command line.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  /** Whether {@code text} is a public key written out: 44 characters of base64 for 32 bytes. */
  public static boolean isPublicKey(String text) {
    try {
      parsePublic(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

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
            (c >= 'A' && c <= 'Z')
                || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || c == '+'
                || c == '/'
                || (c == '=' && i == ENCODED_CHARS - 1);
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
            what
                + shown
                + ": "
                + key.length
                + " bytes (expected: 44 base64 characters encoding 32 bytes, ending in '=')");
      }
      // 43 characters carry 258 bits; the last 2 must be zero or the text is not canonical,
      // and two spellings of one key would make "same key" comparisons on text unreliable.
      if (!Arrays.equals(Base64.getEncoder().encode(key), ascii)) {
        throw new ConfigException(
            what
                + shown
                + ": not canonical base64 (expected: the last character before '=' to"
                + " encode zero low bits, as wg and ett write it)");
      }
      return key;
    } finally {
      Arrays.fill(ascii, (byte) 0);
    }
  }

  /** Latin-1 bytes to chars; zeroes the bytes. */
  private static char[] chars(byte[] bytes) {
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

  private static char[] readSmall(Path path) throws IOException {
    long size = Files.size(path);
    if (size > MAX_FILE_BYTES) {
      throw new ConfigException(
          path + ": " + size + " bytes (expected: one line with a 44-character base64 key)");
    }
    return chars(Files.readAllBytes(path));
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
}
