package dev.ett.cli;

import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.Hosts;
import dev.ett.config.HostsFile;
import dev.ett.config.KeyFile;
import dev.ett.noise.KeyPair;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import dev.ett.util.Log;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "server", description = "Accept links from authorized clients and connect their streams.")
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Address to listen on.")
  String listen;

  @Option(names = "--key", required = true, paramLabel = "FILE", description = "The server's private key (mode 0600).")
  Path key;

  @Option(names = "--authorized", required = true, paramLabel = "FILE", description = "Authorized clients: 'PUBKEY NAME' per line.")
  Path authorized;

  @Option(
      names = "--policy",
      paramLabel = "RULES",
      description = "Exit policy rules, Tor ExitPolicy syntax (accept|reject ADDR[/BITS][:PORTS]); repeatable; first match wins; nothing matched = refused.")
  List<String> policy = new ArrayList<>();

  @Option(names = "--hosts", paramLabel = "FILE", description = "Names (/etc/hosts format) this server resolves before DNS.")
  Path hosts;

  @Option(names = "--threads", paramLabel = "N", description = "Event loop threads (default: number of CPUs).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--max-handshakes", paramLabel = "N", description = "Unfinished handshakes at once (default 256).")
  int maxHandshakes = 256;

  @Option(names = {"-v", "--verbose"}, description = "Log every stream.")
  boolean verbose;

  @Mixin LinkOptions linkOptions = new LinkOptions();

  @Override
  public Integer call() throws Exception {
    if (verbose) {
      Log.setLevel(2);
    }
    InetSocketAddress listenAddr = Addrs.hostPort(listen, "--listen");
    KeyPair kp = KeyPair.fromPrivateKey(KeyFile.readPrivate(key));
    Authorized clients = AuthorizedFile.read(authorized);
    Policy global = Policy.parse("--policy", String.join(", ", policy));
    Hosts hostsFile = hosts == null ? null : HostsFile.read(hosts);
    if (global.isEmpty()) {
      Log.warn("no --policy rule: every stream will be refused (try --policy 'accept 127.0.0.1:8080')");
    }
    Server server =
        new Server(
            new Server.Options(listenAddr, kp, clients, global, hostsFile, linkOptions.toConfig(), maxHandshakes, threads));
    InetSocketAddress bound = server.start();
    Log.info(
        "ett server listening on " + bound + ", key " + KeyFile.encode(kp.publicKey()) + ", "
            + clients.size() + " authorized client(s)");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    stopped.await();
    return 0;
  }
}
