package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.client.Client;
import dev.ett.front.Listeners;
import dev.ett.mux.Mux;
import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Like a {@code -L} forward, but to any wire destination (a name that looks like a number, a mapped
 * IPv6 address...), and it keeps the refusals it got.
 */
final class AnyForward implements AutoCloseable {
  /** A refusal as the front got it. */
  record Refusal(RefuseCode code, String reason) {
    @Override
    public String toString() {
      return code.text + ": " + reason;
    }
  }

  final Client client;
  final Destination to;
  final LinkedBlockingQueue<Refusal> refusals = new LinkedBlockingQueue<>();
  InetSocketAddress address;
  private Channel listener;

  AnyForward(Client client, Destination to) {
    this.client = client;
    this.to = to;
  }

  void start() throws InterruptedException {
    listener = Listeners.bind(client, new InetSocketAddress("127.0.0.1", 0), new Acceptor());
    address = (InetSocketAddress) listener.localAddress();
  }

  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.pipeline().remove(this);
      Channel socket = ctx.channel();
      StreamSocketHandler.install(socket);
      client.open(
          to,
          socket,
          new StreamListener() {
            @Override
            public void onRefused(RefuseCode code, String reason) {
              refusals.add(new Refusal(code, reason));
              Mux.abort(socket);
            }
          },
          true);
    }
  }

  /** Sends "ping" and expects it back (an ECHO target). */
  void assertEchoes() throws IOException {
    try (Socket s = Io.connect(address)) {
      s.getOutputStream().write("ping".getBytes());
      assertThat(Io.readFully(s.getInputStream(), 4)).isEqualTo("ping".getBytes());
    }
  }

  /** The application's connection fails without a byte, and the server's code was {@code code}. */
  void assertRefused(RefuseCode code) throws Exception {
    assertThat(readFirstByte()).as("a refused stream carries no byte").isEqualTo(-1);
    assertThat(nextRefusal().code()).as("refusal code for " + to).isEqualTo(code);
  }

  /** The stream either echoes or is refused for a reason other than the policy. */
  void assertOpensOrFailsPastPolicy() throws Exception {
    if (readFirstByte() == -1) {
      assertThat(nextRefusal().code()).as("refusal code for " + to).isNotEqualTo(RefuseCode.POLICY);
    }
  }

  /** The next refusal, waiting up to 10 s for it. */
  Refusal nextRefusal() throws InterruptedException {
    Refusal r = refusals.poll(10, TimeUnit.SECONDS);
    assertThat(r).as("a refusal within 10 s for " + to).isNotNull();
    return r;
  }

  /**
   * Connects, sends "ping", returns the first byte back or -1 on EOF or reset (even at connect).
   */
  int readFirstByte() throws IOException {
    try (Socket s = Io.connect(address)) {
      s.getOutputStream().write("ping".getBytes());
      InputStream in = s.getInputStream();
      return in.read();
    } catch (SocketException e) {
      return -1; // reset: the front aborts a refused stream, possibly before we even wrote
    }
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }
}
