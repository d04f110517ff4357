package dev.ett.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of these tests: the joints between a route's layers serve the route only, and a route that
 * cannot be built says which hop failed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChainedClientTest {
  final KeyPair alice = X25519.generate();

  /** A started server and where it listens. */
  record Started(Server server, InetSocketAddress address) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
    }
  }

  private Started server(KeyPair key, String policy) throws Exception {
    Server s =
        new Server(
            new Server.Options(
                new InetSocketAddress("127.0.0.1", 0),
                key,
                AuthorizedFile.parse("authorized", KeyFile.encode(alice.publicKey()) + " alice\n"),
                Policy.parse(policy),
                null,
                LinkConfig.defaults(),
                16,
                1));
    return new Started(s, s.start());
  }

  @Test
  void anotherLocalConnectionToAJointIsClosedAndTheRouteStaysUp() throws Exception {
    KeyPair k1 = X25519.generate(), k2 = X25519.generate();
    try (Started hop2 = server(k2, "reject *:*")) {
      InetSocketAddress a2 = hop2.address();
      try (Started hop1 = server(k1, "accept 127.0.0.1:" + a2.getPort());
          ChainedClient chain =
              new ChainedClient(
                  new Route(
                      List.of(
                          Hop.parse("127.0.0.1:" + hop1.address().getPort(), k1.publicKey()),
                          Hop.parse("127.0.0.1:" + a2.getPort(), k2.publicKey()))),
                  alice,
                  Suite.AESGCM,
                  LinkConfig.defaults(),
                  16)) {
        chain.start().get(10, TimeUnit.SECONDS);
        try (Socket s = new Socket()) {
          s.connect(chain.joint(1), 2000);
          s.setSoTimeout(5000);
          s.getOutputStream().write("not the route".getBytes());
          InputStream in = s.getInputStream();
          assertThat(readOrReset(in)).as("a stranger gets nothing and is closed").isEqualTo(-1);
        }
        // The server counts a link on its client's first record, just after the client's side is
        // up (chain.start()): on a loaded machine that record may still be on its way.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hop2.server().linkCount() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(hop2.server().linkCount())
            .as("only the route's link reached hop 2")
            .isEqualTo(1);
        assertThat(chain.innermost().linksEstablished()).isEqualTo(1);
        assertThat(chain.lastFailure()).isEmpty();
      }
    }
  }

  @Test
  void aHandshakeFailureAtAnInnerHopNamesThatHop() throws Exception {
    KeyPair k1 = X25519.generate(), k2 = X25519.generate(), wrong = X25519.generate();
    try (Started hop2 = server(k2, "reject *:*")) {
      InetSocketAddress a2 = hop2.address();
      try (Started hop1 = server(k1, "accept 127.0.0.1:" + a2.getPort());
          ChainedClient chain =
              new ChainedClient(
                  new Route(
                      List.of(
                          Hop.parse("127.0.0.1:" + hop1.address().getPort(), k1.publicKey()),
                          Hop.parse("127.0.0.1:" + a2.getPort(), wrong.publicKey()))),
                  alice,
                  Suite.AESGCM,
                  LinkConfig.defaults(),
                  16)) {
        chain.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (chain.lastFailure().isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(chain.lastFailure())
            .startsWith("hop 2 (127.0.0.1:" + a2.getPort() + "): handshake failed");
        assertThat(chain.layer(1).linksEstablished()).isEqualTo(1);
      }
    }
  }

  private static int readOrReset(InputStream in) throws java.io.IOException {
    try {
      return in.read();
    } catch (SocketException e) {
      return -1;
    }
  }
}
