package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.front.Authenticator.Outcome;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the Authenticator's rules on a frozen clock (an EmbeddedChannel's loop), with
 * PBKDF2 jobs run when the test says: failures at one fixed time whatever the name, lanes per
 * (address, name) with backoff and a limit, and a worker that takes turns between users.
 */
class AuthenticatorTest {
  private static final long COSTLIEST_MS = 100,
      FAILURE_MS = (long) (COSTLIEST_MS * Authenticator.MARGIN);
  private static final Users USERS =
      Users.parse(
          "users",
          Users.line("alice", "alice pw", 2000)
              + "\n"
              + Users.line("bob", "bob pw", 2000)
              + "\n"
              + Users.line("carol", "carol pw", 1000));

  private final EmbeddedChannel loop = new EmbeddedChannel();

  /** PBKDF2 jobs, run by {@link #runJobs}. */
  private final ArrayDeque<Runnable> jobs = new ArrayDeque<>();

  private final Authenticator auth =
      new Authenticator(USERS, jobs::add, TimeUnit.MILLISECONDS.toNanos(COSTLIEST_MS), false);

  AuthenticatorTest() {
    loop.freezeTime();
  }

  @AfterEach
  void close() {
    loop.finishAndReleaseAll();
  }

  /** One attempt's answer, if any yet. */
  private static final class Answer {
    Outcome outcome;
  }

  private Answer check(String from, String user, String password) {
    Answer a = new Answer();
    auth.check(address(from), user, password, loop.eventLoop(), () -> true, o -> a.outcome = o);
    loop.runPendingTasks();
    return a;
  }

  private static SocketAddress address(String ip) {
    return new InetSocketAddress(ip, 40000);
  }

  private int runJobs() {
    int n = 0;
    for (Runnable r; (r = jobs.poll()) != null; n++) {
      r.run();
      loop.runPendingTasks();
    }
    return n;
  }

  private void advance(long ms) {
    loop.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
    loop.runPendingTasks();
    loop.runScheduledPendingTasks();
    loop.runPendingTasks();
  }

  @Test
  void anUnknownNameRunsNoPbkdf2AndFailsAtTheSameTimeAsAWrongPassword() {
    Answer unknown = check("127.0.0.1", "mallory", "x");
    Answer cheap = check("127.0.0.1", "carol", "x");
    Answer costly = check("127.0.0.1", "alice", "x");
    assertThat(jobs).as("PBKDF2 for the two known names only").hasSize(2);
    assertThat(runJobs()).isEqualTo(2);
    advance(FAILURE_MS - 1);
    assertThat(List.of(unknown, cheap, costly)).allMatch(a -> a.outcome == null);
    advance(1);
    assertThat(List.of(unknown, cheap, costly)).allMatch(a -> a.outcome == Outcome.REFUSED);
  }

  @Test
  void aRightPasswordIsAnsweredAtOnceAndRememberedBeforeAnyLane() {
    Answer first = check("127.0.0.1", "alice", "alice pw");
    runJobs();
    assertThat(first.outcome).isEqualTo(Outcome.ACCEPTED);
    // Someone else, from the same address, guesses at alice until her lane backs off...
    for (int i = 0; i < 4; i++) {
      check("127.0.0.1", "alice", "guess " + i);
      runJobs();
      advance(FAILURE_MS);
    }
    // ...and alice's remembered password still gets in at once, with no PBKDF2.
    Answer again = check("127.0.0.1", "alice", "alice pw");
    assertThat(again.outcome).isEqualTo(Outcome.ACCEPTED);
    assertThat(jobs).isEmpty();
  }

  @Test
  void failuresInALaneBackOffButOtherNamesAndAddressesDoNot() {
    long[] waits = new long[6];
    for (int i = 0; i < waits.length; i++) {
      Answer a = check("127.0.0.1", "mallory", "x");
      long waited = 0;
      while (a.outcome == null && waited < 10_000) {
        advance(10);
        waited += 10;
      }
      waits[i] = waited;
      assertThat(a.outcome).isEqualTo(Outcome.REFUSED);
    }
    // Two free failures, then 250 ms, 500 ms, 1 s, 2 s before each next attempt starts.
    long f = FAILURE_MS;
    assertThat(waits)
        .containsExactly(
            round(f), round(f), round(f), round(250 + f), round(500 + f), round(1000 + f));
    // The same name from another address, and another name from this one, start at once.
    Answer other = check("127.0.0.2", "mallory", "x");
    Answer alice = check("127.0.0.1", "alice", "alice pw");
    runJobs();
    assertThat(alice.outcome).isEqualTo(Outcome.ACCEPTED);
    advance(FAILURE_MS);
    assertThat(other.outcome).isEqualTo(Outcome.REFUSED);
  }

  private static long round(long ms) {
    return (ms + 9) / 10 * 10;
  }

  @Test
  void aLaneHoldsAtMostSixteenAttemptsAndClosesTheRest() {
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < Authenticator.MAX_PENDING_PER_LANE + 3; i++) {
      answers.add(check("127.0.0.1", "nobody", "x"));
    }
    assertThat(answers.subList(0, Authenticator.MAX_PENDING_PER_LANE))
        .allMatch(a -> a.outcome == null);
    assertThat(answers.subList(Authenticator.MAX_PENDING_PER_LANE, answers.size()))
        .allMatch(a -> a.outcome == Outcome.OVER_LIMIT);
    // The same for a name that exists: the limit does not tell names apart.
    for (int i = 0; i < Authenticator.MAX_PENDING_PER_LANE; i++) {
      check("127.0.0.1", "bob", "x");
    }
    assertThat(check("127.0.0.1", "bob", "x").outcome).isEqualTo(Outcome.OVER_LIMIT);
  }

  @Test
  void theWorkerTakesTurnsBetweenUsers() {
    for (int i = 0; i < 8; i++) {
      check("10.0.0." + i, "bob", "guess"); // guesses at bob from eight addresses: eight lanes
    }
    Answer alice = check("127.0.0.1", "alice", "alice pw");
    Answer carol = check("127.0.0.1", "carol", "carol pw");
    assertThat(jobs).hasSize(10);
    jobs.poll().run(); // bob's first guess
    loop.runPendingTasks();
    assertThat(alice.outcome).isNull();
    jobs.poll().run(); // alice's turn, not bob's second guess
    loop.runPendingTasks();
    assertThat(alice.outcome).isEqualTo(Outcome.ACCEPTED);
    jobs.poll().run(); // then carol's
    loop.runPendingTasks();
    assertThat(carol.outcome).isEqualTo(Outcome.ACCEPTED);
  }

  @Test
  void lanesRememberedForTheirFailuresAreCapped() {
    for (int i = 0; i < Authenticator.MAX_LANES + 100; i++) {
      check("127.0.0.1", "user" + i, "x");
      advance(FAILURE_MS);
    }
    assertThat(auth.lanes()).isLessThanOrEqualTo(Authenticator.MAX_LANES);
  }

  @Test
  void anIpv6SourceIsItsSlash64() {
    assertThat(Authenticator.source(new InetSocketAddress("2001:db8:1:2:3:4:5:6", 1)))
        .isEqualTo(Authenticator.source(new InetSocketAddress("2001:db8:1:2:ffff::1", 2)))
        .isEqualTo("2001:db8:1:2:0:0:0:0/64");
    assertThat(Authenticator.source(new InetSocketAddress("127.0.0.1", 1))).isEqualTo("127.0.0.1");
  }

  @Test
  void anAttemptQueuedFromAnotherLoopIsAnsweredOnItsOwnLoop() throws Exception {
    // -D with --links: one browser's connections, one lane, on two loops. The first attempt's end
    // (on its loop) starts the second, whose password is remembered by then: due at once.
    io.netty.util.concurrent.DefaultEventExecutor
        one = new io.netty.util.concurrent.DefaultEventExecutor(),
        two = new io.netty.util.concurrent.DefaultEventExecutor();
    try {
      java.util.concurrent.CompletableFuture<Boolean>
          first = new java.util.concurrent.CompletableFuture<>(),
          second = new java.util.concurrent.CompletableFuture<>();
      one.submit(
              () ->
                  auth.check(
                      address("127.0.0.1"),
                      "alice",
                      "alice pw",
                      one,
                      () -> true,
                      o -> first.complete(one.inEventLoop())))
          .sync();
      two.submit(
              () ->
                  auth.check(
                      address("127.0.0.1"),
                      "alice",
                      "alice pw",
                      two,
                      () -> true,
                      o -> second.complete(two.inEventLoop())))
          .sync();
      assertThat(jobs).as("the second waits in the lane").hasSize(1);
      jobs.poll().run(); // the first's PBKDF2: alice's password is remembered
      assertThat(first.get(5, TimeUnit.SECONDS)).as("first answered on its loop").isTrue();
      assertThat(second.get(5, TimeUnit.SECONDS)).as("second answered on its loop").isTrue();
      assertThat(jobs).isEmpty();
    } finally {
      one.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      two.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
