package dev.ett.cli;

import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.Client;
import dev.ett.config.Hosts;
import dev.ett.config.HostsFile;
import dev.ett.config.KeyFile;
import dev.ett.config.PolicyFile;
import dev.ett.exit.Connector;
import dev.ett.exit.InterfaceAddresses;
import dev.ett.exit.Resolver;
import dev.ett.policy.Destination;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Host;
import dev.ett.policy.HostParser;
import dev.ett.policy.OwnAddresses;
import dev.ett.policy.Policy;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "policy",
    description = "Questions about the exit policy.",
    subcommands = {PolicyCommand.Check.class})
final class PolicyCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (policy check)");
  }

  /**
   * {@code ett policy check}: what the server would decide for a client's stream, address by
   * address, with the rule that decided. It reads the same files and resolves the same way as the
   * server (hosts file, then DNS) and uses the same policy code. The addresses of the interfaces of
   * the machine it runs on count as the server's own (closed unless a rule names them), so it
   * answers for the server when run on the server. Exit status 0 if the server would connect, 1 if
   * it would refuse (or on an error).
   */
  @Command(
      name = "check",
      description = {
        "Print what the server would decide for CLIENT's stream to HOST:PORT, and which rule decided.",
        "Run it on the server: this machine's interface addresses count as the server's own, closed unless a rule names them."
      })
  static final class Check implements Callable<Integer> {
    @Option(names = "--authorized", required = true, paramLabel = "FILE", description = "The server's authorized clients file.")
    Path authorized;

    @Option(names = "--policy", paramLabel = "RULES", description = "The server's global rules (as for ett server); repeatable.")
    List<String> policy = new ArrayList<>();

    @Option(names = "--policy-file", paramLabel = "FILE", description = "The server's global rules file.")
    Path policyFile;

    @Option(names = "--hosts", paramLabel = "FILE", description = "The server's hosts file.")
    Path hosts;

    @Option(names = "--dns", paramLabel = "HOST[:PORT]", description = "The server's name servers (as for ett server); repeatable.")
    List<String> dns = new ArrayList<>();

    @Option(names = "--resolve-timeout", paramLabel = "DURATION", description = "As for ett server (default 10s).")
    String resolveTimeout = "10s";

    @Parameters(index = "0", paramLabel = "CLIENT", description = "A client's name or public key.")
    String client;

    @Parameters(index = "1", paramLabel = "HOST:PORT", description = "The destination as the client would ask for it.")
    String destination;

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      Authorized auth = AuthorizedFile.read(authorized);
      Policy global = PolicyFile.global(policy, policyFile);
      Hosts hostsTable = hosts == null ? null : HostsFile.read(hosts);
      Client c = findClient(auth, client);
      OwnAddresses own = InterfaceAddresses.read();
      ExitPolicy exitPolicy = c.exitPolicy(global).atServer(() -> own);

      int colon = destination.lastIndexOf(':');
      if (colon <= 0 || colon == destination.length() - 1) {
        throw new IllegalArgumentException("destination: '" + destination + "' (expected: HOST:PORT, IPv6 in brackets)");
      }
      String hostText = destination.substring(0, colon);
      int port = parsePort(destination.substring(colon + 1));

      out.println("client:  " + c);
      out.println("global:  " + (global.isEmpty() ? "(no rule: refuses everything)" : global.toString()));
      Host host;
      try {
        host = HostParser.parse(hostText);
      } catch (IllegalArgumentException e) {
        out.println(destination + ": refused (host unreachable): " + e.getMessage());
        return 1;
      }
      Destination requested = new Destination(host, port);
      List<InetAddress> addresses;
      if (host instanceof Host.Address a) {
        if (!hostText.equals(host.toString())) {
          out.println("request: " + destination + " is the address " + requested);
        }
        addresses = List.of(a.address());
      } else {
        Resolver.Options resolving = ServerCommand.resolverOptions(dns, resolveTimeout, 1);
        try (Resolver resolver = new Resolver(() -> hostsTable, resolving)) {
          addresses = resolver.resolve(((Host.Name) host).name());
        } catch (Resolver.Unresolved e) {
          out.println(destination + ": refused (" + e.code.text + "): " + e.getMessage());
          return 1;
        }
        out.println("request: " + requested + " resolves to " + addresses.size() + " address(es)");
      }
      boolean any = false;
      for (Connector.Checked checked : Connector.check(exitPolicy, requested, addresses)) {
        String addr = new Host.Address(checked.address()) + ":" + port;
        boolean ok = checked.decision().accepted();
        any |= ok;
        out.println(addr + "  " + (ok ? "ACCEPT" : "REJECT") + "  " + checked.decision().reason());
      }
      out.println(
          "verdict: "
              + (any
                  ? c.name() + " may connect to " + destination + " (to the first accepted address that answers)"
                  : c.name() + " is refused " + destination + " (not allowed by policy)"));
      return any ? 0 : 1;
    }

    private static int parsePort(String p) {
      int port = -1;
      if (p.length() <= 5 && p.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
        port = Integer.parseInt(p);
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port: '" + p + "' (expected: 1~65535)");
      }
      return port;
    }

    private Client findClient(Authorized auth, String who) {
      for (Client c : auth.clients()) {
        if (c.name().equalsIgnoreCase(who)) {
          return c;
        }
      }
      if (who.length() == KeyFile.ENCODED_CHARS) {
        try {
          return auth.lookup(KeyFile.parsePublic(who)).orElseThrow();
        } catch (RuntimeException e) {
          // not a key either; fall through to the message below
        }
      }
      List<String> names = auth.clients().stream().map(Client::name).toList();
      throw new IllegalArgumentException(
          "client: '" + who + "' is not in " + authorized + " (expected: one of " + names + " or a public key)");
    }
  }
}
