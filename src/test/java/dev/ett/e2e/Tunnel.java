package dev.ett.e2e;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.Authorized;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real server and a real client (separate event loops, real loopback sockets) with a -L forward
 * to a test target: the setup every end-to-end test starts from.
 */
final class Tunnel implements AutoCloseable {
  final KeyPair serverKey = X25519.generate();
  final KeyPair clientKey = X25519.generate();
  final TestTarget target;
  Server server;
  InetSocketAddress serverAddress;
  Client client;
  ForwardFront front;
  InetSocketAddress forward;
  private final String policy;
  private final LinkConfig config;

  /** The server's --max-handshakes. */
  private int maxHandshakes = 256;

  private Tunnel(TestTarget.Mode mode, String policy, LinkConfig config) throws Exception {
    this.target = TestTarget.start(new InetSocketAddress("127.0.0.1", 0), mode);
    this.policy = policy == null ? "accept 127.0.0.1:" + target.address().getPort() : policy;
    this.config = config;
  }

  static Tunnel start(TestTarget.Mode mode) throws Exception {
    return start(mode, null, LinkConfig.defaults());
  }

  static Tunnel start(TestTarget.Mode mode, String policy, LinkConfig config) throws Exception {
    return start(mode, policy, config, 256);
  }

  static Tunnel start(TestTarget.Mode mode, String policy, LinkConfig config, int maxHandshakes)
      throws Exception {
    Tunnel t = new Tunnel(mode, policy, config);
    t.maxHandshakes = maxHandshakes;
    t.startServer(new InetSocketAddress("127.0.0.1", 0));
    t.startClient(t.clientKey, t.serverKey.publicKey(), t.serverAddress);
    return t;
  }

  Authorized authorized(KeyPair... clients) throws Exception {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (KeyPair k : clients) {
      sb.append(KeyFile.encode(k.publicKey())).append(" client").append(i++).append('\n');
    }
    return AuthorizedFile.parse("authorized", sb.toString());
  }

  void startServer(InetSocketAddress listen) throws Exception {
    server =
        new Server(
            new Server.Options(
                listen,
                serverKey,
                authorized(clientKey),
                Policy.parse(policy),
                null,
                config,
                maxHandshakes,
                2));
    serverAddress = server.start();
  }

  void stopServer() {
    server.close();
  }

  void startClient(KeyPair key, byte[] pinned, InetSocketAddress to) throws Exception {
    client = new Client(new Client.Options(to, pinned, key, Suite.AESGCM, config, 1024));
    front =
        new ForwardFront(
            ForwardSpec.parse("127.0.0.1:0:127.0.0.1:" + target.address().getPort()), client);
    forward = front.start();
    client.start();
  }

  /**
   * Waits for the client's link, and for the server to count it too (it does so on the client's
   * first record, just after the client's side is up); fails the test after {@code timeout}.
   */
  void awaitLink(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    client.start().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    while (server != null && server.linkCount() == 0) {
      if (System.nanoTime() > deadline) {
        throw new java.util.concurrent.TimeoutException(
            "the server did not count the link within " + timeout);
      }
      Thread.sleep(5);
    }
  }

  @Override
  public void close() {
    if (front != null) {
      front.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
    target.close();
  }
}
