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
  void anUnknownNameCostsWhatAKnownOneDoes() {
    // Found while fuzzing the proxy front: unknown names were checked with 600,000 iterations
    // whatever the file said, so with a 1000-iteration file they took 600 times longer.
    Users u = Users.parse("users", Users.line("alice", "p", 1000) + "\n" + Users.line("bob", "p", 2000));
    assertThat(u.iterationsFor("mallory")).isEqualTo(2000);
    assertThat(u.iterationsFor("alice")).isEqualTo(1000);
    assertThat(Users.parse("users", "").iterationsFor("mallory")).isEqualTo(Users.DEFAULT_ITERATIONS);
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
    Authenticator a = new Authenticator(u, r -> { runs[0]++; r.run(); });
    Boolean[] result = new Boolean[1];
    io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel();
    a.check("alice", "nope", ch.eventLoop(), ok -> result[0] = ok);
    ch.runPendingTasks();
    assertThat(result[0]).isFalse();
    a.check("alice", "pw", ch.eventLoop(), ok -> result[0] = ok);
    ch.runPendingTasks();
    assertThat(result[0]).isTrue();
    a.check("alice", "pw", ch.eventLoop(), ok -> result[0] = ok);
    assertThat(result[0]).isTrue();
    assertThat(runs[0]).as("the third check was answered from memory").isEqualTo(2);
    ch.finishAndReleaseAll();
  }
}
