package dev.ett.front;

import dev.ett.mux.StreamListener;
import dev.ett.wire.Destination;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.List;

/**
 * Test-only door into the package-private parts of a proxy port, for {@link ProxyCodecTest} and the
 * fuzz targets in {@code dev.ett.fuzz}: a connection on an {@link EmbeddedChannel} whose opens are
 * recorded instead of sent to a client.
 */
public final class FrontFuzzing {
  /** One stream the front asked for. */
  public record Open(Destination destination, StreamListener listener, boolean zeroRtt) {}

  private FrontFuzzing() {}

  /** A new proxy connection; {@code users} null means no authentication. */
  public static EmbeddedChannel connection(List<Open> opens, Users users) {
    return connection(opens, users == null ? null : new Authenticator(users, Runnable::run));
  }

  /** A new proxy connection; {@code auth} null means no authentication. */
  static EmbeddedChannel connection(List<Open> opens, Authenticator auth) {
    ProxyFront front =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0),
            null,
            (d, socket, l, zeroRtt) -> opens.add(new Open(d, l, zeroRtt)),
            auth,
            new ProxyFront.Limits(10, Duration.ofSeconds(10)));
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAutoRead(false);
    front.accepted(ch);
    return ch;
  }
}
