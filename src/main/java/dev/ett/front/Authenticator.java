package dev.ett.front;

import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Checks proxy credentials without blocking an event loop: a PBKDF2 run takes hundreds of
 * milliseconds, so it happens on one worker thread, and the answer comes back on the connection's
 * loop. A password that verified once is remembered as SHA-256(salt || password), so a browser
 * opening its tenth connection does not pay PBKDF2 again; wrong passwords are never remembered.
 * At most {@value #MAX_WAITING} checks wait; more are refused at once (admission control).
 */
public final class Authenticator implements AutoCloseable {
  static final int MAX_WAITING = 64;

  private final Users users;
  private final Executor worker;
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

  public Authenticator(Users users) {
    this(
        users,
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_WAITING),
            r -> {
              Thread t = new Thread(r, "ett-auth");
              t.setDaemon(true);
              return t;
            }));
  }

  /** With a given executor (tests: a direct one). */
  Authenticator(Users users, Executor worker) {
    this.users = users;
    this.worker = worker;
  }

  /**
   * Calls {@code done} on {@code loop} with whether {@code password} is {@code user}'s: at once
   * (synchronously) when the answer is known, later otherwise.
   */
  public void check(String user, String password, EventExecutor loop, Consumer<Boolean> done) {
    byte[] salt = users.salt(user);
    byte[] fingerprint = salt == null ? null : fingerprint(salt, password);
    byte[] known = salt == null ? null : verified.get(user);
    if (known != null && MessageDigest.isEqual(known, fingerprint)) {
      done.accept(true);
      return;
    }
    try {
      worker.execute(
          () -> {
            boolean ok = users.verify(user, password);
            if (ok) {
              verified.put(user, fingerprint);
            }
            loop.execute(() -> done.accept(ok));
          });
    } catch (RejectedExecutionException e) {
      done.accept(false); // too many checks waiting: fail closed
    }
  }

  private static byte[] fingerprint(byte[] salt, String password) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      return sha.digest(password.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (worker instanceof ExecutorService e) {
      e.shutdownNow();
    }
  }
}
