package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.util.Log;
import dev.ett.wire.RefuseCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/**
 * A {@code -L} forward: every connection accepted on the bind address becomes a stream to the fixed
 * destination. Streams are 0-RTT: the application's first bytes travel with the OPEN.
 */
public final class ForwardFront implements AutoCloseable {
  private final ForwardSpec spec;
  private final Client client;
  private Channel listener;

  public ForwardFront(ForwardSpec spec, Client client) {
    this.spec = spec;
    this.client = client;
  }

  public InetSocketAddress start() throws InterruptedException, java.net.BindException {
    // Each connection is one stream: with --links, its socket goes to the loop of the least busy
    // link (Client.streamLoops), whose Mux must share its loop.
    listener =
        Listeners.bind(
            client, client.streamLoops(), spec.bindAddress(), "-L " + spec, new Acceptor());
    InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
    Log.info("forwarding " + bound + " -> " + spec.destination() + " (through the server)");
    return bound;
  }

  @ChannelHandler.Sharable
  private final class Acceptor extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.pipeline().remove(this);
      StreamSocketHandler.install(ctx.channel()); // holds early bytes until the stream exists
      accepted((SocketChannel) ctx.channel());
    }
  }

  private void accepted(SocketChannel socket) {
    client.open(
        spec.destination(),
        socket,
        new StreamListener() {
          @Override
          public void onRefused(RefuseCode code, String reason) {
            Log.info(
                "-L "
                    + spec
                    + ": stream refused: "
                    + code.text
                    + (reason.isEmpty() ? "" : " (" + reason + ")"));
            dev.ett.mux.Mux.abort(socket);
          }
        },
        true);
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }
}
