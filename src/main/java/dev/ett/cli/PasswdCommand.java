package dev.ett.cli;

import dev.ett.front.Users;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ett passwd USER}: prints a users-file line (PBKDF2 hash) for a proxy user. */
@Command(
    name = "passwd",
    description = {
      "Print a line for a --users file: USER:$pbkdf2-sha256$ITERATIONS$SALT$HASH.",
      "The password is read from the terminal (twice, not echoed), or with --stdin from the first line of standard input."
    })
final class PasswdCommand implements Callable<Integer> {
  @Parameters(paramLabel = "USER")
  String user;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      description = "PBKDF2 iterations (default 600000).")
  int iterations = Users.DEFAULT_ITERATIONS;

  @Option(
      names = "--stdin",
      description = "Read the password from the first line of standard input.")
  boolean stdin;

  @Override
  public Integer call() throws Exception {
    String password;
    Console console = System.console();
    if (!stdin) {
      if (console == null) {
        throw new IllegalArgumentException("no terminal to read the password from (use --stdin)");
      }
      char[] a = console.readPassword("password for %s: ", user);
      char[] b = console.readPassword("again: ");
      if (a == null || b == null || !Arrays.equals(a, b)) {
        throw new IllegalArgumentException("the passwords differ");
      }
      password = new String(a);
      Arrays.fill(a, ' ');
      Arrays.fill(b, ' ');
    } else {
      // --stdin
      password =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (password == null) {
        throw new IllegalArgumentException("no password on standard input");
      }
    }
    System.out.println(Users.line(user, password, iterations));
    return 0;
  }
}
