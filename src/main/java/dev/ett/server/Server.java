package dev.ett.server;

import dev.ett.config.Authorized;
import dev.ett.config.Client;
import dev.ett.config.Hosts;
import dev.ett.config.KeyFile;
import dev.ett.exit.Connector;
import dev.ett.link.HandshakeFailedException;
import dev.ett.link.LinkConfig;
import dev.ett.link.LinkEstablished;
import dev.ett.link.PreambleDecoder;
import dev.ett.link.Records;
import dev.ett.link.ReplayGuard;
import dev.ett.link.ServerHandshake;
import dev.ett.mux.Mux;
import dev.ett.noise.KeyPair;
import dev.ett.policy.ExitPolicy;
import dev.ett.policy.Policy;
import dev.ett.util.Log;
import dev.ett.util.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ett server: accepts links from authorized clients and connects their streams to where its
 * policy allows. Wires the pieces by hand: pipeline per link = idle timer, preamble, records,
 * handshake (replaced by the record layer), mux.
 */
public final class Server implements AutoCloseable {
  /** Everything a server needs; the CLI builds it. */
  public record Options(
      InetSocketAddress listen,
      KeyPair key,
      Authorized authorized,
      Policy globalPolicy,
      Hosts hosts,
      LinkConfig link,
      int maxHandshakes,
      int threads) {}

  private final Options options;
  private final ReplayGuard replay = new ReplayGuard();
  private final AtomicInteger handshaking = new AtomicInteger();
  private final ChannelGroup links = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final EventLoopGroup boss = Transports.group(1, "ett-accept");
  private final EventLoopGroup workers;
  private final ExecutorService resolverPool;
  private final Connector connector;
  private volatile Authorized authorized;
  private Channel listener;

  public Server(Options options) {
    this.options = options;
    this.authorized = options.authorized();
    this.workers = Transports.group(options.threads(), "ett-server");
    this.resolverPool =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "ett-resolver");
              t.setDaemon(true);
              return t;
            });
    this.connector =
        new Connector(this::policyFor, options.hosts(), resolverPool, options.link().connectTimeout());
  }

  private ExitPolicy policyFor(String clientName) {
    Policy global = options.globalPolicy();
    for (Client c : authorized.clients()) {
      if (c.name().equals(clientName)) {
        return c.exitPolicy(global);
      }
    }
    return global;
  }

  /** Binds and starts accepting; returns the bound address. */
  public InetSocketAddress start() throws InterruptedException {
    LinkConfig cfg = options.link();
    listener =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(Transports.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (handshaking.incrementAndGet() > options.maxHandshakes()) {
                      handshaking.decrementAndGet();
                      Log.debug("too many unfinished handshakes; closing " + ch.remoteAddress());
                      ch.close();
                      return;
                    }
                    AtomicInteger once = new AtomicInteger();
                    ServerHandshake hs =
                        new ServerHandshake(
                            options.key(),
                            key -> authorized.lookup(key).map(Client::name),
                            replay,
                            cfg,
                            () -> {
                              if (once.getAndIncrement() == 0) {
                                handshaking.decrementAndGet();
                              }
                            });
                    ch.pipeline()
                        .addLast("idle", new IdleStateHandler(cfg.keepalive().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                        .addLast("preamble", new PreambleDecoder(hs::onPreamble))
                        .addLast("framing", Records.decoder())
                        .addLast("handshake", hs)
                        .addLast("mux", new Mux(cfg, connector, mux -> onLinkUp(ch, mux)))
                        .addLast("errors", new LinkErrors());
                  }
                })
            .bind(options.listen())
            .sync()
            .channel();
    return (InetSocketAddress) listener.localAddress();
  }

  private void onLinkUp(Channel ch, Mux mux) {
    LinkEstablished e = mux.link();
    links.add(ch);
    Log.info(
        "link up: " + e.peerName() + " (" + KeyFile.fingerprint(e.peerStaticKey()) + ") from "
            + ch.remoteAddress() + " " + e.suite().noiseName);
    ch.closeFuture().addListener(f -> Log.info("link down: " + e.peerName() + " from " + ch.remoteAddress()));
  }

  /** Replaces the authorized clients (links of clients that remain keep running). */
  public void setAuthorized(Authorized a) {
    this.authorized = a;
  }

  public int linkCount() {
    return links.size();
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    links.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolverPool.shutdownNow();
  }

  /** Last handler of a link: errors before authentication are dropped silently, others logged. */
  private static final class LinkErrors extends ChannelInboundHandlerAdapter {
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof HandshakeFailedException)) {
        Log.info("link from " + ctx.channel().remoteAddress() + " closed: " + describe(cause));
      }
      ctx.close();
    }
  }

  static String describe(Throwable t) {
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
