package dev.ett.cli;

import dev.ett.client.Client;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.util.Log;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "client", description = "Keep a link to an ett server and forward local ports through it.")
final class ClientCommand implements Callable<Integer> {
  @Option(names = "--server", required = true, paramLabel = "HOST:PORT")
  String server;

  @Option(
      names = "--server-key",
      required = true,
      paramLabel = "KEY",
      description = "The server's public key (base64, 44 chars), or a file holding it. Pinned: no other key is accepted.")
  String serverKey;

  @Option(names = "--key", required = true, paramLabel = "FILE", description = "This client's private key (mode 0600).")
  Path key;

  @Option(
      names = "-L",
      paramLabel = "[BIND:]PORT:HOST:HOSTPORT",
      description = "Forward a local port to HOST:HOSTPORT as seen from the server (ssh syntax); repeatable.")
  List<String> forwards = new ArrayList<>();

  @Option(names = "--suite", paramLabel = "SUITE", description = "aesgcm (default) or chachapoly.")
  String suite = "aesgcm";

  @Option(names = "--max-queued-opens", paramLabel = "N", description = "Streams waiting for the link (default 1024).")
  int maxQueuedOpens = 1024;

  @Option(names = {"-v", "--verbose"})
  boolean verbose;

  @Mixin LinkOptions linkOptions = new LinkOptions();

  @Override
  public Integer call() throws Exception {
    if (verbose) {
      Log.setLevel(2);
    }
    if (forwards.isEmpty()) {
      throw new IllegalArgumentException("nothing to forward: give at least one -L [BIND:]PORT:HOST:HOSTPORT");
    }
    List<ForwardSpec> specs = forwards.stream().map(ForwardSpec::parse).toList();
    Client client = new Client(clientOptions(server, serverKey, key, suite, linkOptions, maxQueuedOpens));
    List<ForwardFront> fronts = new ArrayList<>();
    for (ForwardSpec s : specs) {
      ForwardFront f = new ForwardFront(s, client);
      f.start();
      fronts.add(f);
    }
    client.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  fronts.forEach(ForwardFront::close);
                  client.close();
                  stopped.countDown();
                }));
    stopped.await();
    return 0;
  }

  static Client.Options clientOptions(
      String server, String serverKey, Path key, String suite, LinkOptions link, int maxQueuedOpens)
      throws java.io.IOException {
    byte[] pinned = readServerKey(serverKey);
    KeyPair kp = KeyPair.fromPrivateKey(KeyFile.readPrivate(key));
    return new Client.Options(
        Addrs.hostPort(server, "--server"), pinned, kp, Suite.parse(suite), link.toConfig(), maxQueuedOpens);
  }

  static byte[] readServerKey(String s) throws java.io.IOException {
    if (s.length() != KeyFile.ENCODED_CHARS && Files.isRegularFile(Path.of(s))) {
      return KeyFile.readPublic(Path.of(s));
    }
    return KeyFile.parsePublic(s);
  }
}
