package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.cli.CliTest.Run;
import dev.ett.config.ConfigFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Goal of these tests: a configuration file is the command line it stands for. Keys are the long
 * option names (read off picocli's model, so none can be missing), flags on the command line win (a
 * repeatable one replaces the file's whole list), and every mistake — unknown key, wrong type, bad
 * value, a file for the other command — is one line naming file, line and key.
 */
class ConfigArgsTest {
  @TempDir Path dir;
  private String clientPub;

  @BeforeEach
  void keys() throws Exception {
    CliTest.run("keygen", dir.resolve("server.key").toString());
    clientPub = CliTest.run("keygen", dir.resolve("client.key").toString()).out().trim();
    Files.writeString(dir.resolve("authorized"), clientPub + " alice\n");
  }

  private Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  private Path server(String extra) throws Exception {
    return write(
        "server.toml",
        "role = \"server\"\nlisten = \"127.0.0.1:0\"\nkey = \"server.key\"\nauthorized = \"authorized\"\n"
            + extra);
  }

  private Run check(Path file) {
    return CliTest.run("config", "check", file.toString());
  }

  @Test
  void aValidServerFileChecksOk() throws Exception {
    Path f =
        server(
            "policy = [\"web\", \"accept 127.0.0.1:8080\"]\nthreads = 2\nfirst-bytes-timeout = \"5s\"\nverbose = false\n");
    Run r = check(f);
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).isEqualTo(f + ": ok (ett server)\n");
    assertThat(r.status()).isZero();
  }

  @Test
  void anUnknownKeyIsAnErrorWithDidYouMean() throws Exception {
    Path f = server("\ntreads = 2\n");
    Run r = check(f);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("ett: " + f + ":6: unknown key 'treads' (did you mean 'threads'?)\n");

    Path g = server("port = 7000\n");
    assertThat(check(g).err())
        .isEqualTo(
            "ett: "
                + g
                + ":5: unknown key 'port' (keys are the long options of ett server without the dashes: see ett server --help)\n");
  }

  @Test
  void aShortOptionNameOrDashesPointToTheKey() throws Exception {
    Path f = write("client.toml", "role = \"client\"\nL = [\"9000:h:1\"]\n");
    assertThat(check(f).err())
        .isEqualTo("ett: " + f + ":2: unknown key 'L' (did you mean 'forward'?)\n");
    Path g = server("\"--threads\" = 2\n");
    assertThat(check(g).err())
        .isEqualTo("ett: " + g + ":5: unknown key '--threads' (did you mean 'threads'?)\n");
  }

  @Test
  void reverseIsTheFilesKeyForR() throws Exception {
    Path f = write("client.toml", "role = \"client\"\nreverse = [\"8080:127.0.0.1:80\"]\n");
    assertThat(check(f).err()).doesNotContain("reverse");
  }

  @Test
  void wrongTypesNameTheKeyAndWhatWasExpected() throws Exception {
    assertThat(check(server("threads = [2]\n")).err())
        .endsWith(":5: threads: an array (expected: one value, threads = N)\n");
    assertThat(check(server("threads = \"four\"\n")).err())
        .endsWith(":5: threads: a string \"four\" (expected: an integer, threads = N)\n");
    assertThat(check(server("policy = \"web\"\n")).err())
        .endsWith(
            ":5: policy: a string \"web\" (expected: an array, policy = [\"RULES\"]; the option is repeatable)\n");
    assertThat(check(server("verbose = \"yes\"\n")).err())
        .endsWith(":5: verbose: a string \"yes\" (expected: true or false)\n");
    assertThat(check(server("drain-timeout = 1.5\n")).err())
        .endsWith(
            ":5: drain-timeout: a float 1.5 (expected: a string, drain-timeout = \"DURATION\")\n");
    assertThat(check(server("policy = [\"web\",\n  [\"x\"]]\n")).err())
        .endsWith(":6: policy: an element is an array (expected: strings)\n");
  }

  @Test
  void aTableIsRefused() throws Exception {
    Run r = check(server("\n[threads]\nn = 1\n"));
    assertThat(r.err())
        .endsWith(":6: threads: a table (expected one value; every key is at the top level)\n");
  }

  @Test
  void integersAreAcceptedForNumbersSizesAndPorts() throws Exception {
    assertThat(check(server("threads = \"2\"\nwindow = 1048576\n")).status()).isZero();
    Path f =
        write(
            "client.toml",
            "role = \"client\"\nserver = \"127.0.0.1:1\"\nserver-key = \""
                + clientPub
                + "\"\nkey = \"client.key\"\nproxy = [1080]\n");
    Run r = check(f);
    assertThat(r.err()).isEmpty();
    assertThat(r.status()).isZero();
  }

  @Test
  void serverTakesOneStringOrAListOfServersWithTheirOwnKeysAndTwoKeysForOne() throws Exception {
    String rest = "\nkey = \"client.key\"\nproxy = [1080]\n";
    Path one =
        write(
            "one.toml",
            "role = \"client\"\nserver = \"127.0.0.1:1\"\nserver-key = \""
                + clientPub
                + "\""
                + rest);
    Path list =
        write(
            "list.toml",
            "role = \"client\"\nserver = [\"127.0.0.1:1\", \"127.0.0.1:2="
                + clientPub
                + "\"]\nserver-key = \""
                + clientPub
                + ","
                + clientPub
                + "\"\nserver-order = \"random\"\nlinks = 2\nfailback = \"30s\""
                + rest);
    for (Path f : List.of(one, list)) {
      Run r = check(f);
      assertThat(r.err()).isEmpty();
      assertThat(r.status()).isZero();
    }
    Path noKey = write("nokey.toml", "role = \"client\"\nserver = [\"127.0.0.1:1\"]" + rest);
    assertThat(check(noKey).err())
        .contains(
            "nokey.toml:2: server 127.0.0.1:1: expected HOST:PORT=PUBKEY (or --server-key PUBKEY)");
    Path threeKeys =
        write(
            "three.toml",
            "role = \"client\"\nserver = \"127.0.0.1:1="
                + clientPub
                + ","
                + clientPub
                + ","
                + clientPub
                + "\""
                + rest);
    assertThat(check(threeKeys).err())
        .contains("three.toml:2: server 127.0.0.1:1: 3 keys (expected: 1~2");
    Path badOrder =
        write(
            "order.toml",
            "role = \"client\"\nserver = \"127.0.0.1:1="
                + clientPub
                + "\"\nserver-order = \"roundrobin\""
                + rest);
    assertThat(check(badOrder).err())
        .contains("server-order: roundrobin (expected: ordered or random)");
  }

  @Test
  void aBadValueIsPlacedInTheFile() throws Exception {
    Path f = server("\nthreads = 0\n");
    assertThat(check(f).err()).isEqualTo("ett: " + f + ":6: threads: 0 (expected: 1~1024)\n");
    Path g = server("first-bytes-timeout = \"10x\"\n");
    assertThat(check(g).err()).startsWith("ett: " + g + ":5: first-bytes-timeout: 10x");
    Path h = server("policy = [\n  \"web\",\n  \"accept nowhere:99999\",\n]\n");
    assertThat(check(h).err()).startsWith("ett: " + h + ":7: policy 'accept nowhere:99999': ");
  }

  @Test
  void aBadForwardIsPlacedOnItsElementsLine() throws Exception {
    Path f =
        write(
            "client.toml",
            "role = \"client\"\nserver = \"127.0.0.1:1\"\nserver-key = \""
                + clientPub
                + "\"\nkey = \"client.key\"\nforward = [\n  \"9000:h:1\",\n  \"9001:nohost\",\n]\n");
    assertThat(check(f).err())
        .startsWith("ett: " + f + ":7: forward 9001:nohost: ")
        .contains("[BIND:]PORT:HOST:HOSTPORT");
  }

  @Test
  void roleIsRequiredAndMustMatchTheCommand() throws Exception {
    Path none = write("x.toml", "listen = \"127.0.0.1:0\"\n");
    assertThat(check(none).err())
        .isEqualTo(
            "ett: "
                + none
                + ": no role (expected a line role = \"server\" or role = \"client\")\n");
    Path client = write("client.toml", "role = \"client\"\nserver = \"127.0.0.1:1\"\n");
    Run r = CliTest.run("server", "--config", client.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "ett: "
                + client
                + ":1: role = \"client\": this file is for ett client, not ett server\n");
    Path odd = write("odd.toml", "role = \"exit\"\n");
    assertThat(check(odd).err())
        .isEqualTo(
            "ett: " + odd + ":1: role: a string \"exit\" (expected: \"server\" or \"client\")\n");
  }

  @Test
  void aMissingRequiredKeyNamesKeyAndFlag() throws Exception {
    Path f =
        write(
            "server.toml",
            "role = \"server\"\nkey = \"server.key\"\nauthorized = \"authorized\"\n");
    assertThat(check(f).err())
        .isEqualTo(
            "ett: "
                + f
                + ": no listen (required: listen = \"HOST:PORT\", or --listen on the command line)\n");
  }

  @Test
  void flagsOverrideTheFileAndARepeatableFlagReplacesTheWholeList() throws Exception {
    Path f = server("policy = [\"web\", \"accept 127.0.0.1:22\"]\nthreads = 2\nverbose = true\n");
    ConfigArgs.Loaded l =
        ConfigArgs.load(
            "server",
            List.of("--config", f.toString(), "--threads", "3", "--policy", "accept 10.0.0.1:80"));
    assertThat(l.overridden()).isEqualTo(Set.of("config", "threads", "policy"));
    ServerCommand s = new ServerCommand();
    new CommandLine(s).parseArgs(l.args().toArray(String[]::new));
    assertThat(s.threads).isEqualTo(3);
    assertThat(s.policy).containsExactly("accept 10.0.0.1:80");
    assertThat(s.verbose).isTrue();
    assertThat(s.listen).isEqualTo("127.0.0.1:0");
    // Relative paths are the file's directory's, wherever ett runs.
    assertThat(s.key).containsExactly(dir.resolve("server.key"));
    assertThat(s.authorized).isEqualTo(dir.resolve("authorized"));

    // Without the flags, the file's values.
    ServerCommand t = new ServerCommand();
    new CommandLine(t)
        .parseArgs(
            ConfigArgs.load("server", List.of("--config=" + f)).args().toArray(String[]::new));
    assertThat(t.threads).isEqualTo(2);
    assertThat(t.policy).containsExactly("web", "accept 127.0.0.1:22");
  }

  @Test
  void auditTakesOneSinkAsAStringOrSeveralAsAnArrayAndAUrlIsNotAPath() throws Exception {
    Run one = check(server("policy = [\"web\"]\naudit = \"audit.jsonl\"\n"));
    assertThat(one.err()).isEmpty();
    assertThat(one.status()).isZero();
    Path f =
        server(
            "audit = [\"audit.jsonl\", \"syslog+tls://[::1]:6514\"]\n"
                + "audit-syslog-ca = \"ca.pem\"\naudit-syslog-facility = \"local3\"\n");
    ServerCommand s = new ServerCommand();
    new CommandLine(s)
        .parseArgs(
            ConfigArgs.load("server", List.of("--config=" + f)).args().toArray(String[]::new));
    assertThat(s.audit)
        .containsExactly(dir.resolve("audit.jsonl").toString(), "syslog+tls://[::1]:6514");
    assertThat(s.auditSyslogCa).isEqualTo(dir.resolve("ca.pem"));
    assertThat(s.auditSyslogFacility).isEqualTo("local3");
  }

  @Test
  void aBadSyslogSettingIsPlacedInTheFile() throws Exception {
    assertThat(check(server("audit-syslog-facility = \"local8\"\n")).err())
        .contains(":5: audit-syslog-facility: local8 (expected: one of kern, user, mail,");
    assertThat(check(server("audit = [\"syslog://h:0\"]\n")).err())
        .endsWith(":5: audit syslog port: 0 (expected: 1~65535)\n");
    assertThat(check(server("audit = \"syslog://h\"\naudit-syslog-ca = \"ca.pem\"\n")).err())
        .contains("audit-syslog-ca: ")
        .contains("(expected: with --audit syslog+tls://HOST:PORT)");
  }

  @Test
  void everyOptionOfBothCommandsHasAKey() {
    // The mapping is picocli's model: -L and -D have long names, so the file can name them.
    assertThat(ConfigArgs.keys(new CommandLine(new ClientCommand()).getCommandSpec()).keySet())
        .contains(
            "server", "server-key", "key", "via", "forward", "proxy", "users", "window", "verbose")
        .doesNotContain("config", "L", "D");
    assertThat(ConfigArgs.keys(new CommandLine(new ServerCommand()).getCommandSpec()).keySet())
        .contains(
            "listen",
            "key",
            "authorized",
            "policy",
            "policy-file",
            "first-bytes-timeout",
            "max-queued-answers")
        .doesNotContain("config", "help", "version");
  }

  @Test
  void printShowsTheEffectiveConfigurationWhereEachValueCameFrom() throws Exception {
    Path f = server("policy = [\"web\"]\nthreads = 2\n");
    Run r = CliTest.run("config", "print", "--config", f.toString(), "--threads", "3");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains("role = \"server\"\n")
        .contains("listen = \"127.0.0.1:0\"  # " + f + ":2\n")
        .contains("key = \"" + dir.resolve("server.key") + "\"  # " + f + ":3\n")
        .contains("policy = [\"web\"]  # " + f + ":5\n")
        .contains("threads = 3  # command line\n")
        .contains("resolve-timeout = \"10s\"  # default\n")
        .contains("# window = \"SIZE\"  # not set: ett's default\n");
    // What it prints is a configuration file again.
    Path printed = write("printed.toml", r.out());
    assertThat(check(printed).status()).isZero();

    Run flagsOnly =
        CliTest.run(
            "config",
            "print",
            "client",
            "--server",
            "127.0.0.1:1",
            "--server-key",
            clientPub,
            "--key",
            "k",
            "-L",
            "9000:h:1");
    assertThat(flagsOnly.out())
        .contains("forward = [\"9000:h:1\"]  # command line\n")
        .contains("role = \"client\"\n");
  }

  @Test
  void aServerFileMayNameSeveralKeysAsKeysOrKey() throws Exception {
    CliTest.run("keygen", dir.resolve("new.key").toString());
    String head =
        "role = \"server\"\nlisten = \"127.0.0.1:0\"\nauthorized = \"authorized\"\npolicy = [\"web\"]\n";
    Path plural = write("plural.toml", head + "keys = [\"new.key\", \"server.key\"]\n");
    Path singular = write("singular.toml", head + "key = [\"new.key\", \"server.key\"]\n");
    for (Path f : List.of(plural, singular)) {
      assertThat(check(f).err()).as(f.toString()).isEmpty();
      ServerCommand c = new ServerCommand();
      ConfigArgs.Loaded l =
          ConfigArgs.map(
              ConfigFile.read(f),
              "server",
              new CommandLine(c).getCommandSpec(),
              List.of(),
              Set.of());
      new CommandLine(c).parseArgs(l.args().toArray(String[]::new));
      assertThat(c.key).containsExactly(dir.resolve("new.key"), dir.resolve("server.key"));
    }

    Path both = write("both.toml", head + "key = \"server.key\"\nkeys = [\"new.key\"]\n");
    assertThat(check(both).err())
        .contains(both + ":6: keys: and key on line 5 (expected: one of them)");
    Path same = write("same.toml", head + "keys = [\"server.key\", \"server.key\"]\n");
    assertThat(check(same).err()).contains("the same key as --key");
  }

  @Test
  void printRedactsPrivateKeysWrittenInAListOfKeys() throws Exception {
    String inline = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    Run r =
        CliTest.run(
            "config",
            "print",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            "server.key",
            "--key",
            inline,
            "--authorized",
            "a");
    assertThat(r.out()).contains("key = \"(redacted)\"").doesNotContain(inline);
  }

  @Test
  void printRedactsAPrivateKeyWrittenWhereItsPathBelongs() throws Exception {
    String inline = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    Run r =
        CliTest.run(
            "config",
            "print",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--key",
            inline,
            "--authorized",
            "a");
    assertThat(r.out()).contains("key = \"(redacted)\"").doesNotContain(inline);
  }

  @Test
  void explainLeavesMessagesAboutFlagsAlone() throws Exception {
    ConfigFile file =
        ConfigFile.parse(
            "s.toml",
            "role = \"server\"\nlisten = \"127.0.0.1:0\"\nkey = \"k\"\nauthorized = \"a\"\nthreads = 9\n");
    ConfigArgs.Loaded l =
        ConfigArgs.map(
            file,
            "server",
            new CommandLine(new ServerCommand()).getCommandSpec(),
            List.of("--drain-timeout", "x"),
            Set.of("drain-timeout"));
    assertThat(l.explain("--threads: 9 (expected: 1~8)"))
        .isEqualTo("s.toml:5: threads: 9 (expected: 1~8)");
    assertThat(l.explain("--drain-timeout: x (expected ...)"))
        .isEqualTo("--drain-timeout: x (expected ...)");
    assertThat(l.explain("--threads-other: 1")).isEqualTo("--threads-other: 1");
  }
}
