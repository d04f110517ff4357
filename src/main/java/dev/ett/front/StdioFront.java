package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.mux.Mux;
import dev.ett.mux.StreamListener;
import dev.ett.mux.StreamSocketHandler;
import dev.ett.util.Transports;
import dev.ett.wire.Destination;
import dev.ett.wire.RefuseCode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ett connect}: joins standard input and output to one stream (ssh's ProxyCommand).
 *
 * <p>The mux carries sockets, so stdio gets one: a one-shot listener on 127.0.0.1:0 accepts exactly
 * the connection this process makes to it (checked by the peer's port; any other is closed) and
 * gives it to the client like a {@code -L} front would, 0-RTT. Two threads pump: standard input to
 * the socket (half-closing it at EOF) and the socket to standard output.
 *
 * <p>Exit status: 0 when the destination ended the stream cleanly (EOF); 1 with one line saying why
 * when the stream was refused, the link could not be set up, or the stream was reset.
 */
public final class StdioFront {
  private final Client client;
  private final Destination destination;
  private final AtomicReference<String> failure = new AtomicReference<>();

  public StdioFront(Client client, Destination destination) {
    this.client = client;
    this.destination = destination;
  }

  /** The outcome: exit status and, when not 0, the reason. */
  public record Result(int status, String reason) {}

  /** Runs until the stream ends; does not close {@code in} or {@code out}. */
  public Result run(InputStream in, OutputStream out) throws IOException, InterruptedException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    Socket local = new Socket();
    local.bind(new InetSocketAddress(loopback, 0));
    int expectedPeerPort = local.getLocalPort();
    InetSocketAddress bind = new InetSocketAddress(loopback, 0);
    Channel listener =
        new ServerBootstrap()
            .group(client.eventLoop(), client.eventLoop())
            .channelFactory(Transports.serverChannel(bind))
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new OneShot(expectedPeerPort))
            .bind(bind)
            .sync()
            .channel();
    try {
      local.setTcpNoDelay(true);
      local.connect(listener.localAddress(), 5000);
    } catch (IOException e) {
      listener.close();
      throw e;
    }
    // The listener closes once it has accepted our connection (closing it earlier would reset a
    // connection still in its accept queue).
    Thread upstream = new Thread(() -> pump(in, local), "ett-stdin");
    upstream.setDaemon(true);
    upstream.start();
    try (local) {
      InputStream fromStream = local.getInputStream();
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = fromStream.read(buf)) != -1; ) {
        try {
          out.write(buf, 0, n);
          out.flush();
        } catch (IOException e) {
          return new Result(1, "standard output: " + e.getMessage());
        }
      }
      String f = failure.get();
      return f == null ? new Result(0, "") : new Result(1, f);
    } catch (IOException e) {
      String f = failure.get();
      return new Result(1, f != null ? f : destination + ": stream reset (" + e.getMessage() + ")");
    }
  }

  /** Standard input to the socket; half-closes the socket at EOF so the destination sees it. */
  private static void pump(InputStream in, Socket local) {
    byte[] buf = new byte[64 * 1024];
    try {
      OutputStream toStream = local.getOutputStream();
      for (int n; (n = in.read(buf)) != -1; ) {
        toStream.write(buf, 0, n);
      }
      local.shutdownOutput();
    } catch (IOException e) {
      // The socket closed (the stream ended or was reset): the reading side reports it.
    }
  }

  @ChannelHandler.Sharable
  private final class OneShot extends ChannelInboundHandlerAdapter {
    private final int expectedPeerPort;
    private boolean taken;

    OneShot(int expectedPeerPort) {
      this.expectedPeerPort = expectedPeerPort;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel socket = ctx.channel();
      ctx.pipeline().remove(this);
      InetSocketAddress peer = (InetSocketAddress) socket.remoteAddress();
      if (taken || peer.getPort() != expectedPeerPort) {
        socket.close(); // someone else on this machine raced for the port
        return;
      }
      taken = true;
      socket.parent().close(); // one connection only
      StreamSocketHandler.install(socket);
      client.open(
          destination,
          socket,
          new StreamListener() {
            @Override
            public void onRefused(RefuseCode code, String reason) {
              failure.compareAndSet(
                  null,
                  reason.startsWith("no link")
                      ? reason
                      : destination
                          + " refused: "
                          + code.text
                          + (reason.isEmpty() ? "" : " (" + reason + ")"));
              Mux.abort(socket);
            }
          },
          true);
    }
  }
}
