package dev.ett.cli;

import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedClient;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.Hosts;
import dev.ett.config.HostsFile;
import dev.ett.config.KeyFile;
import dev.ett.config.PolicyFile;
import dev.ett.config.TrustedFile;
import dev.ett.exit.Connector;
import dev.ett.exit.InterfaceAddresses;
import dev.ett.exit.Resolver;
import dev.ett.inspect.FirstBytes;
import dev.ett.inspect.Inspection;
import dev.ett.inspect.Protocol;
import dev.ett.policy.Decision;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Host;
import dev.ett.policy.HostParser;
import dev.ett.policy.ListenPolicy;
import dev.ett.policy.ListenRule;
import dev.ett.policy.OwnAddresses;
import dev.ett.policy.Policy;
import dev.ett.policy.Request;
import dev.ett.policy.StreamStart;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "a subcommand is required (policy check)");
  }

  /**
   * {@code ett policy check}: what the server would decide for a client's stream, address by
   * address, with the rule that decided. It reads the same files and resolves the same way as the
   * server (hosts file, then DNS) and uses the same policy code. The addresses of the interfaces of
   * the machine it runs on count as the server's own (closed unless a rule names them), so it
   * answers for the server when run on the server.
   *
   * <p>A rule with a protocol ({@code accept *:443 tls}) decides on the stream's first client
   * bytes, which a destination alone does not tell: then the answer is "depends" (status 3), and
   * {@code --first-bytes FILE} gives a captured start of a stream to decide on, as the server would
   * once it holds all the bytes it is going to get ({@link StreamStart#of complete}).
   *
   * <p>Exit status: 0 the server would connect, 1 it would refuse (or an error), 2 a usage error
   * (picocli's), 3 the decision depends on the stream's first bytes.
   */
  @Command(
      name = "check",
      description = {
        "Print what the server would decide for CLIENT's stream to HOST:PORT, and which rule decided.",
        "Run it on the server: this machine's interface addresses count as the server's own, closed unless a rule names them.",
        "A rule with a protocol (accept *:443 tls) decides on the stream's first bytes: give them with --first-bytes."
      },
      exitCodeListHeading = "Exit status:%n",
      exitCodeList = {
        "0:the server would connect",
        "1:the server would refuse the stream, or an error",
        "2:a usage error",
        "3:it depends on the stream's first bytes (a rule names a protocol); give --first-bytes FILE to decide"
      })
  static final class Check implements Callable<Integer> {
    @Option(
        names = "--authorized",
        required = true,
        paramLabel = "FILE",
        description = "The server's authorized clients file.")
    Path authorized;

    @Option(
        names = "--policy",
        paramLabel = "RULES",
        description = "The server's global rules (as for ett server); repeatable.")
    List<String> policy = new ArrayList<>();

    @Option(
        names = "--policy-file",
        paramLabel = "FILE",
        description = "The server's global rules file.")
    Path policyFile;

    @Option(names = "--hosts", paramLabel = "FILE", description = "The server's hosts file.")
    Path hosts;

    @Option(
        names = "--dns",
        paramLabel = "HOST[:PORT]",
        description = "The server's name servers (as for ett server); repeatable.")
    List<String> dns = new ArrayList<>();

    @Option(
        names = "--resolve-timeout",
        paramLabel = "DURATION",
        description = "As for ett server (default 10s).")
    String resolveTimeout = "10s";

    @Option(
        names = "--first-bytes",
        paramLabel = "FILE",
        description = {
          "The start of a client's stream to decide on, as the server would once it holds them all: the raw bytes,"
              + " not a pcap (what 'ncat -l PORT --recv-only > FILE' saves, Wireshark's Follow TCP Stream saved as Raw,"
              + " or written by hand). Only the first 16 KiB count."
        })
    Path firstBytes;

    @Option(
        names = "--listen",
        description = {
          "HOST:PORT is an address CLIENT asks the server to listen on (-R, reverse forwarding):"
              + " answer from CLIENT's listen rules, and name the other clients that may share it (pools)."
        })
    boolean listen;

    /** The exit status when the answer depends on first bytes that were not given. */
    static final int DEPENDS = 3;

    @Parameters(index = "0", paramLabel = "CLIENT", description = "A client's name or public key.")
    String client;

    @Parameters(
        index = "1",
        paramLabel = "HOST:PORT",
        description = "The destination as the client would ask for it.")
    String destination;

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      Authorized auth = AuthorizedFile.read(authorized);
      Policy global = PolicyFile.global(policy, policyFile);
      Hosts hostsTable = hosts == null ? null : HostsFile.read(hosts);
      AuthorizedClient c = findClient(auth, client);
      if (listen) {
        return checkListen(out, auth, c);
      }
      OwnAddresses own = InterfaceAddresses.read();
      ExitPolicy exitPolicy = c.exitPolicy(global).atServer(() -> own);
      Capture capture = firstBytes == null ? null : readFirstBytes();

      int colon = destination.lastIndexOf(':');
      if (colon <= 0 || colon == destination.length() - 1) {
        throw new IllegalArgumentException(
            "destination: '" + destination + "' (expected: HOST:PORT, IPv6 in brackets)");
      }
      String hostText = destination.substring(0, colon);
      int port = parsePort(destination.substring(colon + 1));

      out.println("client:  " + c);
      out.println(
          "global:  " + (global.isEmpty() ? "(no rule: refuses everything)" : global.toString()));
      Host host;
      try {
        host = HostParser.parse(hostText);
      } catch (IllegalArgumentException e) {
        out.println(destination + ": refused (host unreachable): " + e.getMessage());
        return 1;
      }
      Request requested = new Request(host, port);
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
      StreamStart start = StreamStart.NOT_SEEN;
      if (capture != null) {
        out.println("bytes:   " + capture.description());
        start = StreamStart.of(capture.bytes(), true);
      }
      int accepted = 0;
      int awaiting = 0;
      Decision waiting = null; // the first decision that waits for first bytes not given
      for (Connector.Checked checked : Connector.check(exitPolicy, requested, addresses, start)) {
        String addr = new Host.Address(checked.address()) + ":" + port;
        Decision d = checked.decision();
        if (d.accepted()) {
          accepted++;
        } else if (d.awaiting()) {
          awaiting++;
          if (waiting == null) {
            waiting = d;
          }
        }
        out.println(
            addr
                + "  "
                + (d.accepted() ? "ACCEPT" : d.awaiting() ? "WAIT" : "REJECT")
                + "  "
                + d.reason());
      }
      if (accepted > 0) {
        out.println(
            "verdict: "
                + c.name()
                + " may connect to "
                + destination
                + " (to the first accepted address that answers"
                + (awaiting == 0
                    ? ""
                    : "; "
                        + awaiting
                        + " more address(es) depend on the stream's first bytes: give --first-bytes FILE")
                + ")");
        return 0;
      }
      if (waiting != null) {
        out.println(
            "verdict: "
                + c.name()
                + "'s stream to "
                + destination
                + " depends on its first bytes: "
                + waiting.policy()
                + " "
                + waiting.rule().orElseThrow()
                + " needs "
                + waiting.rule().orElseThrow().protocol().orElseThrow().description()
                + "; give --first-bytes FILE to decide");
        return DEPENDS;
      }
      boolean onFirstBytes =
          capture != null
              && Connector.check(exitPolicy, requested, addresses).stream()
                  .anyMatch(x -> x.decision().awaiting());
      out.println(
          "verdict: "
              + c.name()
              + " is refused "
              + destination
              + (onFirstBytes
                  ? " on its first bytes (not allowed by policy: the application is told the stream opened, then it is reset)"
                  : " (not allowed by policy)"));
      return 1;
    }

    /**
     * {@code --listen}: may the client listen on HOST:PORT, by which rule, and which other clients'
     * rules name the same pool for it (they may serve it together; any other client holding it
     * first makes the server refuse).
     */
    private int checkListen(PrintStream out, Authorized auth, AuthorizedClient c) {
      int colon = destination.lastIndexOf(':');
      if (colon <= 0 || colon == destination.length() - 1) {
        throw new IllegalArgumentException(
            "address: '" + destination + "' (expected: ADDRESS:PORT, IPv6 in brackets)");
      }
      InetAddress address = ListenRule.address(destination.substring(0, colon));
      String p = destination.substring(colon + 1);
      int port = p.equals("0") ? 0 : parsePort(p);
      out.println("client:  " + c);
      ListenPolicy.Verdict v = c.listen().check(c.name(), address, port);
      String where = ListenRule.format(address) + ":" + port;
      out.println(where + "  " + (v.allowed() ? "ALLOW" : "REFUSE") + "  " + v.reason());
      if (!v.allowed()) {
        out.println("verdict: " + c.name() + " may not listen on " + where);
        return 1;
      }
      String pool = v.pool().orElse(null);
      List<String> partners = new ArrayList<>();
      for (AuthorizedClient other : auth.clients()) {
        if (other != c && pool != null) {
          ListenPolicy.Verdict o = other.listen().check(other.name(), address, port);
          if (o.allowed() && pool.equals(o.pool().orElse(null))) {
            partners.add(other.name());
          }
        }
      }
      out.println(
          "verdict: "
              + c.name()
              + " may listen on "
              + where
              + (pool == null
                  ? " (alone: no pool, so it is refused while another client holds it)"
                  : " in pool "
                      + pool
                      + (partners.isEmpty()
                          ? " (no other client's rule names this pool for it)"
                          : " (shared with " + String.join(", ", partners) + ")")));
      return 0;
    }

    /** The bytes of {@code --first-bytes} that count, and what they are, for the "bytes:" line. */
    record Capture(ByteBuffer bytes, String description) {}

    /**
     * The first {@link FirstBytes#MAX_BYTES} of {@code --first-bytes}: the server never looks
     * further (its {@code --first-bytes-max} is at most that), so neither does the check.
     */
    private Capture readFirstBytes() {
      byte[] bytes;
      try {
        if (Files.isDirectory(firstBytes)) {
          throw new IllegalArgumentException("--first-bytes " + firstBytes + ": is a directory");
        }
        try (InputStream in = Files.newInputStream(firstBytes)) {
          bytes = in.readNBytes(FirstBytes.MAX_BYTES + 1);
        }
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--first-bytes " + TrustedFile.describe(firstBytes, e).getMessage(), e);
      }
      String which = bytes.length + " bytes from " + firstBytes;
      if (bytes.length > FirstBytes.MAX_BYTES) {
        bytes = Arrays.copyOf(bytes, FirstBytes.MAX_BYTES);
        which =
            "the first "
                + FirstBytes.MAX_BYTES
                + " bytes from "
                + firstBytes
                + " (it holds more; the server holds at most 16 KiB)";
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes).asReadOnlyBuffer();
      return new Capture(
          buffer, which + ": " + whatTheyAre(buffer) + (isPcap(bytes) ? PCAP_HINT : ""));
    }

    private static final String PCAP_HINT =
        " (this is a pcap file, not a stream's bytes: give the stream's raw bytes, e.g. Wireshark's Follow TCP Stream saved as Raw)";

    /** A pcap or pcapng file's magic number: a capture file given where its payload was meant. */
    private static boolean isPcap(byte[] b) {
      if (b.length < 4) {
        return false;
      }
      int magic =
          ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
      return magic == 0xa1b2c3d4
          || magic == 0xd4c3b2a1
          || magic == 0xa1b23c4d
          || magic == 0x4d3cb2a1
          || magic == 0x0a0d0d0a;
    }

    /**
     * What a complete start of a stream is, whatever a rule expects: "a TLS ClientHello (tls, SNI
     * a.example)" for the first protocol it is, else what it looks like ("an SSH banner").
     */
    private static String whatTheyAre(ByteBuffer bytes) {
      String seen = null;
      for (Protocol p : Protocol.values()) {
        switch (FirstBytes.inspect(p, bytes, true)) {
          case Inspection.Matched m -> {
            return p.description() + Decision.describe(m);
          }
          case Inspection.Mismatched m -> {
            if (seen == null) {
              seen = m.seen();
            }
          }
          case Inspection.NeedMore x ->
              throw new IllegalStateException("NeedMore for complete bytes");
        }
      }
      return seen;
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

    private AuthorizedClient findClient(Authorized auth, String who) {
      for (AuthorizedClient c : auth.clients()) {
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
      List<String> names = auth.clients().stream().map(AuthorizedClient::name).toList();
      throw new IllegalArgumentException(
          "client: '"
              + who
              + "' is not in "
              + authorized
              + " (expected: one of "
              + names
              + " or a public key)");
    }
  }
}
