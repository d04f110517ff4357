package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: issue 12 item 6 on a real {@code -D} port. 80 concurrent SOCKS5 logins with
 * made-up names filled the single PBKDF2 worker's queue, so the real user with the right password
 * was refused, and every failure wrote a log line (26,045 lines in 12 s). Now made-up names cost no
 * PBKDF2, each user's verifications take turns on the worker, and failures are logged once, then
 * counted.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProxyLoginFloodTest {
  private static final int FLOODERS = 96, GUESSERS = 16, MAX_ATTEMPTS = 8000;

  @Test
  void aFloodOfMadeUpNamesAndGuessesAtAnotherUserDoesNotLockOutTheRealUser() throws Exception {
    Users users =
        Users.parse(
            "users",
            Users.line("alice", "alice's password", 50_000)
                + "\n" + Users.line("bob", "bob's password", 50_000)
                + "\n" + Users.line("dave", "dave's password", 50_000));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (Authenticator auth = new Authenticator(users);
        LoginPort port = new LoginPort(auth)) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger attempts = new AtomicInteger(), accepted = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      for (int i = 0; i < FLOODERS + GUESSERS; i++) {
        boolean guesser = i < GUESSERS;
        threads.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      while (!stop.get() && attempts.incrementAndGet() <= MAX_ATTEMPTS) {
                        long r = ThreadLocalRandom.current().nextLong();
                        try {
                          LoginPort.Result res =
                              guesser ? port.login("bob", "guess " + r) : port.login("user" + Long.toHexString(r), "x");
                          if (res.accepted()) {
                            accepted.incrementAndGet();
                          }
                        } catch (IOException e) {
                          // a reset under load is a failed attempt, too
                        }
                      }
                    }));
      }
      Thread.sleep(500); // let the flood fill whatever queue there is
      List<LoginPort.Result> real = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        real.add(port.login("alice", "alice's password"));
        if (i % 2 == 1) {
          // A second real user, whose first login needs PBKDF2 while bob's guesses run.
          real.add(port.login("dave", "dave's password"));
        }
        Thread.sleep(150);
      }
      int during = attempts.get();
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
      System.setErr(oldErr);
      assertThat(during).as("bad logins while the real users logged in").isGreaterThan(FLOODERS);
      assertThat(accepted.get()).as("bad logins accepted").isZero();
      assertThat(real)
          .as("every real login succeeds, and in time")
          .allSatisfy(r -> {
            assertThat(r.status()).isZero();
            assertThat(r.millis()).isLessThan(3000);
          });
      List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(lines).as("log lines for %d bad logins", attempts.get()).hasSizeLessThanOrEqualTo(3);
      assertThat(lines).anyMatch(l -> l.contains(": failed login from 127.0.0.1"));
      // The minute's summary (its timer, called early): every failure counted, by address.
      log.reset();
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      assertThat(port.front.summarizeFailedLogins()).isTrue();
      System.setErr(oldErr);
      String summary = log.toString(StandardCharsets.UTF_8);
      System.out.println(lines + "\n" + summary);
      assertThat(summary).containsPattern(" [0-9]{3,} more failed logins in the last minute, from 127\\.0\\.0\\.1 \\([0-9]{3,}\\)");
    } finally {
      System.setErr(oldErr);
    }
  }
}
