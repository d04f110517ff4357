package dev.ett.front;

import dev.ett.config.TrustedFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The users allowed through a proxy front ({@code --users FILE}): SOCKS5 username/password (RFC
 * 1929) and HTTP {@code Proxy-Authorization: Basic}. No passwords are stored, only PBKDF2 hashes:
 *
 * <pre>
 *   # comment
 *   alice:$pbkdf2-sha256$600000$SALT$HASH
 * </pre>
 *
 * SALT (16 bytes) and HASH (32 bytes) are unpadded standard base64; {@code ett passwd USER} prints
 * such a line. Verifying a known name costs one PBKDF2 run (hundreds of milliseconds by design), so
 * callers run {@link #verify} off the event loop. An unknown name costs nothing here: hiding which
 * names exist is the {@link Authenticator}'s job, which answers every failure at the same time.
 */
public final class Users {
  public static final String SCHEME = "pbkdf2-sha256";

  /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 600_000;

  private static final int MIN_ITERATIONS = 1_000, MAX_ITERATIONS = 10_000_000;
  private static final int SALT_BYTES = 16, HASH_BYTES = 32;

  /** RFC 1929: a username and a password are each 1..255 bytes. */
  public static final int MAX_FIELD_BYTES = 255;

  private static final long MAX_FILE_BYTES = 1 << 20;

  record Entry(int iterations, byte[] salt, byte[] hash) {}

  private final Map<String, Entry> users;

  private Users(Map<String, Entry> users) {
    this.users = users;
  }

  /**
   * Reads and parses a users file; refused if group or others could write it, or the directory it
   * is in ({@link TrustedFile}): whoever can write it can add a proxy user.
   */
  public static Users read(Path file) throws IOException {
    return parse(file.toString(), TrustedFile.readConfig(file, "add proxy users", MAX_FILE_BYTES));
  }

  /** Parses a users file; errors name the source and line. */
  public static Users parse(String source, String text) {
    Map<String, Entry> users = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + ":" + (i + 1) + ": ";
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            where + "expected USER:$" + SCHEME + "$ITERATIONS$SALT$HASH");
      }
      String user = line.substring(0, colon);
      checkField(where + "user", user);
      if (users.containsKey(user)) {
        throw new IllegalArgumentException(where + "user " + user + " appears twice");
      }
      users.put(user, parseHash(where, line.substring(colon + 1)));
    }
    return new Users(Map.copyOf(users));
  }

  private static Entry parseHash(String where, String s) {
    String[] p = s.split("\\$", -1);
    if (p.length != 5 || !p[0].isEmpty() || !p[1].equals(SCHEME)) {
      throw new IllegalArgumentException(
          where + "expected $" + SCHEME + "$ITERATIONS$SALT$HASH (see ett passwd)");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(p[2]);
    } catch (NumberFormatException e) {
      iterations = -1;
    }
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          where
              + "iterations: "
              + p[2]
              + " (expected: "
              + MIN_ITERATIONS
              + "~"
              + MAX_ITERATIONS
              + ")");
    }
    byte[] salt, hash;
    try {
      salt = Base64.getDecoder().decode(p[3]);
      hash = Base64.getDecoder().decode(p[4]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + "salt and hash must be base64");
    }
    if (salt.length < 8 || hash.length != HASH_BYTES) {
      throw new IllegalArgumentException(
          where
              + "salt "
              + salt.length
              + " bytes, hash "
              + hash.length
              + " bytes (expected: >= 8 and "
              + HASH_BYTES
              + ")");
    }
    return new Entry(iterations, salt, hash);
  }

  private static void checkField(String what, String value) {
    int n = value.getBytes(StandardCharsets.UTF_8).length;
    if (n < 1 || n > MAX_FIELD_BYTES) {
      throw new IllegalArgumentException(
          what + ": " + n + " bytes (expected: 1~" + MAX_FIELD_BYTES + ")");
    }
  }

  public int size() {
    return users.size();
  }

  public boolean contains(String user) {
    return users.containsKey(user);
  }

  /**
   * The stored salt of {@code user}, or null: lets a cache key its entries without the password.
   */
  byte[] salt(String user) {
    Entry e = users.get(user);
    return e == null ? null : e.salt.clone();
  }

  /**
   * Whether {@code password} is {@code user}'s: one PBKDF2 run for a known name, none for an
   * unknown one. (An unknown name used to cost a dummy run as costly as the costliest entry, so
   * that timing would not tell names apart; but that handed anyone who sends made-up names the most
   * expensive work the file allows, and the single worker's queue filled with it while real users
   * waited. Equal timing is now the caller's: {@link Authenticator} answers every failure at one
   * fixed time after the attempt, by a timer.)
   */
  public boolean verify(String user, String password) {
    Entry e = users.get(user);
    if (e == null) {
      return false;
    }
    byte[] h = pbkdf2(password, e.salt, e.iterations);
    boolean ok = MessageDigest.isEqual(h, e.hash);
    Arrays.fill(h, (byte) 0);
    return ok;
  }

  /** The PBKDF2 iterations {@link #verify} spends on {@code user}: 0 for an unknown name. */
  int iterationsFor(String user) {
    Entry e = users.get(user);
    return e == null ? 0 : e.iterations();
  }

  /** The iterations of the costliest entry; 0 for a file without users. */
  int costliestIterations() {
    return users.values().stream().mapToInt(Entry::iterations).max().orElse(0);
  }

  /**
   * How long one verification of the costliest entry takes on this machine now, in nanoseconds (0
   * for a file without users): one short run first, so that the JIT has compiled PBKDF2's loop,
   * then one timed run of the costliest entry's iterations with a throwaway password.
   */
  long measureCostliestNanos() {
    int iterations = costliestIterations();
    if (iterations == 0) {
      return 0;
    }
    byte[] salt = new byte[SALT_BYTES];
    Arrays.fill(pbkdf2("warm-up", salt, Math.min(iterations, 20_000)), (byte) 0);
    long t0 = System.nanoTime();
    Arrays.fill(pbkdf2("calibration", salt, iterations), (byte) 0);
    return System.nanoTime() - t0;
  }

  /** A users-file line for {@code user} with a fresh salt. */
  public static String line(String user, String password, int iterations) {
    checkField("user", user);
    if (user.contains(":") || !user.strip().equals(user) || user.startsWith("#")) {
      throw new IllegalArgumentException(
          "user: " + user + " (expected: no ':', no leading '#' or spaces)");
    }
    checkField("password", password);
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "iterations: "
              + iterations
              + " (expected: "
              + MIN_ITERATIONS
              + "~"
              + MAX_ITERATIONS
              + ")");
    }
    byte[] salt = new byte[SALT_BYTES];
    new SecureRandom().nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return user
        + ":$"
        + SCHEME
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(pbkdf2(password, salt, iterations));
  }

  static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }
}
