package dev.ett.front;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UsersTest {
  @Test
  void aLineFromPasswdVerifiesItsPasswordOnly() {
    String line = Users.line("alice", "correct horse", 1000);
    assertThat(line).startsWith("alice:$pbkdf2-sha256$1000$").doesNotContain("correct");
    Users u = Users.parse("users", "# proxy users\n\n" + line + "\n");
    assertThat(u.verify("alice", "correct horse")).isTrue();
    assertThat(u.verify("alice", "correct horsE")).isFalse();
    assertThat(u.verify("bob", "correct horse")).isFalse();
  }

  @Test
  void anUnknownNameCostsNoPbkdf2AndTheCostliestEntryIsKnown() {
    // An unknown name used to cost a dummy run as costly as the costliest entry: made-up names
    // bought the most expensive work the file allows. Equal timing is the Authenticator's job now.
    Users u =
        Users.parse("users", Users.line("alice", "p", 1000) + "\n" + Users.line("bob", "p", 2000));
    assertThat(u.iterationsFor("mallory")).isZero();
    assertThat(u.iterationsFor("alice")).isEqualTo(1000);
    assertThat(u.costliestIterations()).isEqualTo(2000);
    assertThat(u.measureCostliestNanos()).isPositive();
    assertThat(Users.parse("users", "").costliestIterations()).isZero();
    assertThat(Users.parse("users", "").measureCostliestNanos()).isZero();
  }

  @Test
  void twoLinesForOnePasswordDiffer() {
    assertThat(Users.line("a", "p", 1000)).isNotEqualTo(Users.line("a", "p", 1000));
  }

  @Test
  void errorsNameTheLine() {
    assertThatThrownBy(() -> Users.parse("u", "alice:plaintext\n")).hasMessageStartingWith("u:1: ");
    assertThatThrownBy(() -> Users.parse("u", "\nalice:$pbkdf2-sha256$10$AAAAAAAAAAA$AAAA\n"))
        .hasMessageStartingWith("u:2: iterations: 10");
    String l = Users.line("a", "p", 1000);
    assertThatThrownBy(() -> Users.parse("u", l + "\n" + l)).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> Users.line("a:b", "p", 1000)).hasMessageContaining("':'");
  }

  @Test
  void authenticatorRemembersOnlyRightPasswords() {
    Users u = Users.parse("u", Users.line("alice", "pw", 1000));
    int[] runs = {0};
    Authenticator a =
        new Authenticator(
            u,
            r -> {
              runs[0]++;
              r.run();
            });
    Authenticator.Outcome[] result = new Authenticator.Outcome[1];
    io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel();
    a.check(ch.remoteAddress(), "alice", "nope", ch.eventLoop(), () -> true, o -> result[0] = o);
    ch.runPendingTasks();
    assertThat(result[0]).isEqualTo(Authenticator.Outcome.REFUSED);
    a.check(ch.remoteAddress(), "alice", "pw", ch.eventLoop(), () -> true, o -> result[0] = o);
    ch.runPendingTasks();
    assertThat(result[0]).isEqualTo(Authenticator.Outcome.ACCEPTED);
    result[0] = null;
    a.check(ch.remoteAddress(), "alice", "pw", ch.eventLoop(), () -> true, o -> result[0] = o);
    assertThat(result[0]).isEqualTo(Authenticator.Outcome.ACCEPTED);
    assertThat(runs[0]).as("the third check was answered from memory").isEqualTo(2);
    ch.finishAndReleaseAll();
  }
}
