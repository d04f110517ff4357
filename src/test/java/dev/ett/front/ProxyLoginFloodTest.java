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
                + "\n"
                + Users.line("bob", "bob's password", 50_000)
                + "\n"
                + Users.line("dave", "dave's password", 50_000));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (Authenticator auth = new Authenticator(users);
        LoginPort port = new LoginPort(auth)) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger attempts = new AtomicInteger(),
          accepted = new AtomicInteger(),
          inFlight = new AtomicInteger();
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
                        inFlight.incrementAndGet();
                        try {
                          // Bob's guesses queue in one lane and back off: give up after 2 s.
                          LoginPort.Result res =
                              guesser
                                  ? port.login(null, "bob", "guess " + r, 2000)
                                  : port.login(null, "user" + Long.toHexString(r), "x", 2000);
                          if (res.accepted()) {
                            accepted.incrementAndGet();
                          }
                        } catch (IOException e) {
                          // a reset or a timeout under load is a failed attempt, too
                        } finally {
                          inFlight.decrementAndGet();
                        }
                      }
                    }));
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < 200 && inFlight.get() < FLOODERS; i++) {
        Thread.sleep(50); // until the flood is in full swing
      }
      Thread.sleep(300); // and has filled whatever queue there is
      List<LoginPort.Result> real = new ArrayList<>();
      List<Integer> concurrent = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        concurrent.add(inFlight.get());
        real.add(port.login("alice", "alice's password"));
        if (i % 2 == 1) {
          // A second real user, whose first login needs PBKDF2 while bob's guesses run.
          concurrent.add(inFlight.get());
          real.add(port.login("dave", "dave's password"));
        }
        Thread.sleep(150);
      }
      int during = attempts.get();
      long floodMillis = (System.nanoTime() - t0) / 1_000_000;
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
      }
      System.setErr(oldErr);
      assertThat(concurrent)
          .as("bad logins in flight as each real one began")
          .allMatch(n -> n >= 80);
      assertThat(accepted.get()).as("bad logins accepted").isZero();
      assertThat(real)
          .as("every real login succeeds, and in time")
          .allSatisfy(
              r -> {
                assertThat(r.status()).isZero();
                assertThat(r.millis())
                    .isLessThan(5000); // PBKDF2 at 50,000 on a loaded machine, and one turn
              });
      List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(lines)
          .as("log lines for %d bad logins", attempts.get())
          .hasSizeLessThanOrEqualTo(3);
      assertThat(lines).anyMatch(l -> l.contains(": failed login from 127.0.0.1"));
      // The minute's summary (its timer, called early): every failure counted, by address.
      log.reset();
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      assertThat(port.front.summarizeFailedLogins()).isTrue();
      System.setErr(oldErr);
      String summary = log.toString(StandardCharsets.UTF_8);
      System.out.println(
          during
              + " bad logins in "
              + floodMillis
              + " ms, "
              + concurrent
              + " at once, while "
              + real.size()
              + " real ones succeeded in "
              + real.stream().map(LoginPort.Result::millis).toList()
              + " ms; log: "
              + lines
              + "\n"
              + summary);
      assertThat(summary)
          .containsPattern(
              " [0-9]{3,} more failed logins in the last minute, from 127\\.0\\.0\\.1 \\([0-9]{3,}\\)");
    } finally {
      System.setErr(oldErr);
    }
  }
}
