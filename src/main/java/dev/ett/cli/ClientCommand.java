package dev.ett.cli;

import dev.ett.client.Client;
import dev.ett.client.Links;
import dev.ett.client.ReverseForwards;
import dev.ett.client.ReverseProxyExit;
import dev.ett.client.ReverseSpec;
import dev.ett.client.ServerList;
import dev.ett.config.KeyFile;
import dev.ett.config.PolicyFile;
import dev.ett.front.Authenticator;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.front.Users;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.policy.Policy;
import dev.ett.route.ChainedClient;
import dev.ett.route.Hop;
import dev.ett.route.Route;
import dev.ett.systemd.Notifier;
import dev.ett.util.Log;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "client",
    description =
        "Keep a link to an ett server; forward local ports (-L) and serve SOCKS/HTTP proxy ports (-D) through it.")
final class ClientCommand implements Callable<Integer>, ConfigArgs.Configurable {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "A TOML file of these options: each key an option's long name without the dashes (server = \"HOST:PORT\","
              + " forward = [\"8080:127.0.0.1:80\"] for -L, proxy = [\"1080\"] for -D), with role = \"client\"."
              + " Flags override it.")
  Path configFile;

  /** Set by {@code ett config check}: check every option and read every file, then return. */
  boolean checkOnly;

  /** Ends a running client as SIGTERM would; for tests that run it in-process. */
  volatile Signals.Stop stop;

  @Override
  public void configLoaded(ConfigArgs.Loaded l) {
    // Nothing to keep: the client does not reload. Errors are placed in the file by Main.
  }

  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT[=KEY[,KEY2]]",
      description =
          "The server; repeatable: the client links to the first that answers (see --server-order) and fails over"
              + " to the next. =KEY pins that server's own key (as --via spells it); without it, --server-key.")
  List<String> servers = new ArrayList<>();

  @Option(
      names = "--server-key",
      paramLabel = "KEY[,KEY2]",
      description =
          "The server's public key (base64, 44 chars), or a file holding it. Pinned: no other key is accepted."
              + " Two keys (during a key rotation) are tried in order.")
  String serverKey;

  @Option(
      names = "--server-order",
      paramLabel = "ORDER",
      description =
          "ordered (default): the first --server that answers; random: a random one (spreads clients).")
  String serverOrder = "ordered";

  @Option(
      names = "--failback",
      paramLabel = "DURATION",
      description =
          "While on another server than the first, look for the first this often and move new streams back to it"
              + " (streams on the old link are not broken). Default: off.")
  String failback;

  @Option(
      names = "--links",
      paramLabel = "N",
      description =
          "Links kept up at once (default 1), each on its own core; new -L and -D streams go to the least busy link.")
  int links = 1;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description = "This client's private key (mode 0600).")
  Path key;

  @Option(
      names = "--via",
      paramLabel = "HOST:PORT=PUBKEY",
      description =
          "A relay (an ett server) before --server, repeatable, in route order; PUBKEY is its key (base64) or a file"
              + " holding it. Each hop's link is end to end and nested in the one before; only the first hop's address"
              + " is resolved here.")
  List<String> via = new ArrayList<>();

  @Option(
      names = {"-L", "--forward"},
      paramLabel = "[BIND:]PORT:HOST:HOSTPORT",
      description =
          "Forward a local port to HOST:HOSTPORT as seen from the server (ssh syntax); repeatable.")
  List<String> forwards = new ArrayList<>();

  @Option(
      names = {"-R", "--reverse"},
      paramLabel = "[BIND:]PORT[:HOST:HOSTPORT]",
      description =
          "Reverse forward (ssh syntax): the server listens on BIND:PORT (default bind 127.0.0.1; PORT 0: the"
              + " server chooses, printed) and each connection there is connected by this client to HOST:HOSTPORT"
              + " on its side, and nowhere else. Without HOST:HOSTPORT the server serves a SOCKS4/4a/5 and HTTP"
              + " proxy there whose streams exit from this client, where --reverse-policy allows. The server's"
              + " listen rules decide; with --via the exit server listens. Asked for again on every reconnect;"
              + " repeatable.")
  List<String> reverses = new ArrayList<>();

  @Option(
      names = "--reverse-policy",
      paramLabel = "RULES",
      description =
          "Where the streams of a proxy -R [BIND:]PORT may go from this client: exit policy rules as the"
              + " server's --policy (accept|reject TARGET[:PORTS]); repeatable; first match wins. Default"
              + " 'accept *:*': public addresses only; loopback and private addresses only where a rule names"
              + " them (accept 127.0.0.1:8080). Names are resolved by this client.")
  List<String> reversePolicy = new ArrayList<>();

  @Option(
      names = "--reverse-policy-file",
      paramLabel = "FILE",
      description =
          "More --reverse-policy rules, one list per line, after the --reverse-policy ones.")
  Path reversePolicyFile;

  @Option(
      names = {"-D", "--proxy"},
      paramLabel = "[BIND:]PORT",
      description =
          "A SOCKS4/4a/5 and HTTP proxy port (protocol detected per connection); names are resolved by the server; repeatable.")
  List<String> proxies = new ArrayList<>();

  @Option(
      names = "--users",
      paramLabel = "FILE",
      description =
          "Users allowed through -D ports (USER:$pbkdf2-sha256$... lines, see ett passwd): SOCKS5 username/password and HTTP Basic.")
  Path users;

  @Option(
      names = "--proxy-max-connections",
      paramLabel = "N",
      description =
          "Connections open at once per -D port; more are closed on accept (default 4096).")
  int proxyMaxConnections = ProxyFront.Limits.DEFAULT_MAX_CONNECTIONS;

  @Option(
      names = "--proxy-request-timeout",
      paramLabel = "DURATION",
      description = "Deadline for a -D connection's SOCKS/HTTP request, from accept (default 10s).")
  String proxyRequestTimeout = "10s";

  @Option(names = "--suite", paramLabel = "SUITE", description = "aesgcm (default) or chachapoly.")
  String suite = "aesgcm";

  @Option(
      names = "--max-queued-opens",
      paramLabel = "N",
      description = "Streams waiting for the link (default 1024).")
  int maxQueuedOpens = 1024;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log every stream (as --log-level dev.ett=debug).")
  boolean verbose;

  @Mixin LinkOptions linkOptions = new LinkOptions();

  @Mixin MetricsOptions metricsOptions = new MetricsOptions();
  @Mixin LogOptions logOptions = new LogOptions();

  @Override
  public Integer call() throws Exception {
    logOptions.apply("info", verbose ? "dev.ett=debug" : null);
    if (forwards.isEmpty() && proxies.isEmpty() && reverses.isEmpty()) {
      throw new IllegalArgumentException(
          "nothing to forward: give at least one -L [BIND:]PORT:HOST:HOSTPORT, -D [BIND:]PORT or -R"
              + " [BIND:]PORT:HOST:HOSTPORT");
    }
    List<ReverseSpec> reverseSpecs = reverses.stream().map(ReverseSpec::parse).toList();
    ReverseProxyExit reverseExit = null;
    if (reverseSpecs.stream().anyMatch(r -> r.target().isEmpty())) {
      reverseExit =
          new ReverseProxyExit(
              reversePolicy.isEmpty() && reversePolicyFile == null
                  ? Policy.parse("reverse-policy", ReverseProxyExit.DEFAULT_RULES)
                  // The same grammar and file checks as the server's --policy, named for ours.
                  : new Policy(
                      "reverse-policy",
                      PolicyFile.global(reversePolicy, reversePolicyFile).rules()));
      Log.info("-R proxy listeners exit here under: " + reverseExit.policy());
    } else if (!reversePolicy.isEmpty() || reversePolicyFile != null) {
      throw new IllegalArgumentException(
          "--reverse-policy: no proxy -R [BIND:]PORT to apply it to (a -R with HOST:HOSTPORT goes"
              + " there only)");
    }
    List<ForwardSpec> specs = forwards.stream().map(ForwardSpec::parse).toList();
    List<ProxySpec> proxySpecs = proxies.stream().map(ProxySpec::parse).toList();
    ProxyFront.Limits limits =
        new ProxyFront.Limits(
            Units.count("--proxy-max-connections", proxyMaxConnections, 1, Integer.MAX_VALUE),
            Units.duration("--proxy-request-timeout", proxyRequestTimeout, Duration.ofMillis(1)));
    Units.count("--max-queued-opens", maxQueuedOpens, 0, Integer.MAX_VALUE);
    java.net.InetSocketAddress metricsAddr = metricsOptions.address();
    if (checkOnly) {
      // What Link.open would read, without its event loop: every key and address of the route.
      if (users != null) {
        Users.read(users);
      }
      Servers.of(servers, serverKey, serverOrder, failback, links, via);
      java.util.Arrays.fill(KeyFile.readPrivate(key), (byte) 0);
      Suite.parse(suite);
      linkOptions.toConfig();
      return 0;
    }
    Authenticator authenticator = users == null ? null : new Authenticator(Users.read(users));
    Servers fleet = Servers.of(servers, serverKey, serverOrder, failback, links, via);
    Link link = Link.open(via, fleet, key, suite, linkOptions, maxQueuedOpens);
    String server = fleet.list().toString();
    Client client = link.client();
    if (!reverseSpecs.isEmpty()) {
      // The innermost client: with --via, the exit server listens.
      client.setMuxUpHook(
          new ReverseForwards(
              reverseSpecs,
              bound -> System.out.println("-R: the server listens on " + bound),
              reverseExit));
    }
    List<AutoCloseable> fronts = new ArrayList<>();
    try {
      for (ForwardSpec s : specs) {
        ForwardFront f = new ForwardFront(s, client);
        fronts.add(f);
        f.start();
      }
      for (ProxySpec s : proxySpecs) {
        ProxyFront f = new ProxyFront(s, client, authenticator, limits);
        fronts.add(f);
        f.start();
      }
      if (metricsAddr != null) {
        try {
          fronts.add(
              Metrics.serve(
                  metricsAddr,
                  Metrics.client(link::activity),
                  link::health)); // closed with the fronts
        } catch (java.io.IOException e) {
          throw new java.net.BindException(
              dev.ett.util.Transports.listenFailure(
                  metricsAddr, "--metrics " + metricsOptions.metrics, e));
        }
      }
    } catch (java.net.BindException e) {
      // One port taken: release the others before the error goes out (a caller that runs us
      // in-process, such as a test, keeps running).
      closeAll(fronts, authenticator, link);
      throw e;
    }
    link.start();
    // systemd: READY=1 once the ports are bound and the first link attempt has ended, up or not.
    // The ports are what a dependent unit uses, and they accept while the link is down (streams
    // wait for it, up to --max-queued-opens); holding READY back until a server that is down at
    // boot comes back would only turn into a start timeout and a restart loop. STATUS says which.
    Notifier notifier = Notifier.fromEnvironment();
    String ports = fronts.size() + " port(s)";
    link.client()
        .firstAttempt()
        .thenAccept(
            up -> {
              notifier.ready(
                  up
                      ? "link up to " + server + ", " + ports
                      : "link down ("
                          + link.lastFailure()
                          + "), retrying; "
                          + ports
                          + " accepting");
              if (!up) {
                link.client()
                    .start()
                    .thenRun(() -> notifier.status("link up to " + server + ", " + ports));
              }
            });
    notifier.watch(link.eventLoops());
    stop =
        Signals.onStop(
            () -> {
              notifier.stopping("stopping");
              closeAll(fronts, authenticator, link);
              notifier.close();
            });
    stop.await();
    return 0;
  }

  private static void closeAll(List<AutoCloseable> fronts, Authenticator authenticator, Link link) {
    for (AutoCloseable f : fronts) {
      try {
        f.close();
      } catch (Exception e) {
        Log.warn("closing a front: " + e.getMessage());
      }
    }
    if (authenticator != null) {
      authenticator.close();
    }
    link.close();
  }

  /**
   * The client the fronts use and what owns it: {@link Links} to the servers of {@code --server}
   * (one link, or {@code --links N}), or, with {@code --via}, a {@link ChainedClient} whose
   * innermost layer is end to end with the server.
   */
  record Link(Client client, ChainedClient chain, Links links) implements AutoCloseable {
    static Link open(
        List<String> via,
        Servers servers,
        Path key,
        String suite,
        LinkOptions link,
        int maxQueuedOpens)
        throws java.io.IOException, InterruptedException {
      if (via.isEmpty()) {
        KeyPair kp = KeyPair.fromPrivateKey(KeyFile.readPrivate(key));
        Suite s = Suite.parse(suite);
        dev.ett.link.LinkConfig lc = link.toConfig();
        ServerList.Server first = servers.list().servers().get(0);
        Links links =
            new Links(
                servers.links(),
                (k, group) -> {
                  Client c =
                      new Client(
                          new Client.Options(
                              first.address(), first.keys().get(0), kp, s, lc, maxQueuedOpens),
                          group,
                          false);
                  c.setServers(servers.list(), k, servers.failback());
                  return c;
                });
        if (servers.list().servers().size() > 1 || servers.links() > 1) {
          Log.info(
              "servers: "
                  + servers.list()
                  + (servers.links() > 1 ? ", " + servers.links() + " links" : ""));
        }
        return new Link(links.primary(), null, links);
      }
      ChainedClient chain =
          new ChainedClient(
              servers.route(),
              KeyPair.fromPrivateKey(KeyFile.readPrivate(key)),
              Suite.parse(suite),
              link.toConfig(),
              maxQueuedOpens);
      Log.info("route: " + chain.route() + " (" + chain.route().size() + " hops)");
      return new Link(chain.innermost(), chain, null);
    }

    /** Why the link (the whole route, with --via) is not up; "" if its last attempt succeeded. */
    String lastFailure() {
      return chain != null ? chain.lastFailure() : client.lastFailure();
    }

    /** What the links carried, summed (with --via: the innermost layer's). For the metrics. */
    Client.Activity activity(Duration wait) {
      return links != null ? links.activity(wait) : client.activity(wait);
    }

    dev.ett.util.Health health() {
      return links != null ? links.health() : client.health();
    }

    /** Every event loop the link and the fronts run on, for the watchdog. */
    List<EventExecutor> eventLoops() {
      List<EventExecutor> loops = new ArrayList<>();
      if (chain == null) {
        for (Client c : links.all()) {
          loops.add(c.eventLoop());
        }
        return loops;
      }
      for (int n = 1; n <= chain.route().size(); n++) {
        loops.add(chain.layer(n).eventLoop());
      }
      return loops;
    }

    void start() {
      if (chain != null) {
        chain.start();
      } else {
        links.start();
      }
    }

    @Override
    public void close() {
      if (chain != null) {
        chain.close();
      } else {
        links.close();
      }
    }
  }

  /** {@code --via} hops in order, then {@code --server} with {@code --server-key}. */
  static Route route(List<String> via, String server, String serverKey) throws java.io.IOException {
    List<Hop> hops = new ArrayList<>();
    for (String v : via) {
      Pinned p = Pinned.parse("--via", v, null);
      if (p.keys().size() != 1) {
        throw new IllegalArgumentException(
            "--via " + Log.escape(p.hostPort()) + ": one key per hop");
      }
      try {
        hops.add(Hop.parse(p.hostPort(), p.keys().get(0)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--via " + Log.escape(p.hostPort()) + ": " + e.getMessage(), e);
      }
    }
    Pinned last = Pinned.parse("--server", server, serverKey);
    if (last.keys().size() != 1) {
      throw new IllegalArgumentException(
          "--server " + Log.escape(last.hostPort()) + ": one key with --via");
    }
    hops.add(Hop.parse(last.hostPort(), last.keys().get(0)));
    return new Route(hops);
  }

  /**
   * {@code HOST:PORT=KEY[,KEY2]}, as {@code --via} and {@code --server} spell a server with its
   * pinned key(s); without {@code =KEY}, the {@code fallbackKeys} ({@code --server-key}). A key is
   * base64 or a file holding one ({@link #readServerKey}); base64 ends in '=', HOST:PORT has none,
   * so the first '=' is the separator.
   */
  record Pinned(String hostPort, List<byte[]> keys) {
    static Pinned parse(String option, String v, String fallbackKeys) throws java.io.IOException {
      int eq = v.indexOf('=');
      String hostPort = eq < 0 ? v : v.substring(0, eq);
      String keys = eq < 0 ? fallbackKeys : v.substring(eq + 1);
      if (hostPort.isEmpty() || keys == null || keys.isEmpty()) {
        throw new IllegalArgumentException(
            option
                + " "
                + Log.escape(v)
                + ": expected HOST:PORT=PUBKEY"
                + (option.equals("--server") ? " (or --server-key PUBKEY)" : ""));
      }
      List<byte[]> read = new ArrayList<>();
      for (String k : keys.split(",", -1)) {
        try {
          read.add(readServerKey(k.strip()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              option + " " + Log.escape(hostPort) + ": " + e.getMessage(), e);
        }
      }
      if (read.size() > ServerList.MAX_KEYS) {
        throw new IllegalArgumentException(
            option
                + " "
                + Log.escape(hostPort)
                + ": "
                + read.size()
                + " keys (expected: 1~"
                + ServerList.MAX_KEYS
                + ", the old and the new during a rotation)");
      }
      return new Pinned(hostPort, read);
    }
  }

  /**
   * What {@code --server} (repeatable), {@code --server-key}, {@code --server-order}, {@code
   * --failback}, {@code --links} and {@code --via} say together, checked.
   */
  record Servers(ServerList list, Duration failback, int links, Route route) {
    static Servers of(
        List<String> servers,
        String serverKey,
        String order,
        String failback,
        int links,
        List<String> via)
        throws java.io.IOException {
      ServerList.Order o = ServerList.Order.parse(order);
      Duration fb =
          failback == null
              ? Duration.ZERO
              : Units.duration("--failback", failback, Duration.ofMillis(100));
      Units.count("--links", links, 1, Links.MAX_LINKS);
      if (!via.isEmpty()) {
        if (servers.size() > 1 || links > 1) {
          throw new IllegalArgumentException(
              "--via: with one --server and one link only (several servers or --links: not through relays yet)");
        }
        Route r = ClientCommand.route(via, servers.get(0), serverKey);
        Hop h = r.hop(r.size());
        return new Servers(
            new ServerList(
                List.of(
                    new ServerList.Server(
                        InetSocketAddress.createUnresolved(h.host(), h.port()),
                        h.toString(),
                        List.of(h.key()))),
                o),
            fb,
            1,
            r);
      }
      List<ServerList.Server> list = new ArrayList<>();
      for (String s : servers) {
        Pinned p = Pinned.parse("--server", s, serverKey);
        InetSocketAddress a = Addrs.hostPort(p.hostPort(), "--server");
        list.add(
            new ServerList.Server(
                a, Hop.parse(p.hostPort(), p.keys().get(0)).toString(), p.keys()));
      }
      if (list.size() > ServerList.MAX_SERVERS) {
        throw new IllegalArgumentException(
            "--server: given "
                + list.size()
                + " times (expected: 1~"
                + ServerList.MAX_SERVERS
                + ")");
      }
      return new Servers(new ServerList(list, o), fb, links, null);
    }
  }

  /**
   * A key written out, or a file holding one. What reads as a key is a key: a file path is taken
   * only for text that is not one (a path of exactly 44 characters used to be read as a bad key),
   * and a file planted under a key's name in the working directory cannot stand in for it.
   */
  static byte[] readServerKey(String s) throws java.io.IOException {
    if (KeyFile.isPublicKey(s)) {
      return KeyFile.parsePublic(s);
    }
    if (Files.isRegularFile(Path.of(s))) {
      return KeyFile.readPublic(Path.of(s));
    }
    return KeyFile.parsePublic(s); // neither: the key's error says what a key looks like
  }
}
