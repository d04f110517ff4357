package dev.ett.systemd;

import dev.ett.util.Log;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tells systemd how the service is doing ({@link SdNotify}'s messages) over the AF_UNIX datagram
 * socket in NOTIFY_SOCKET, through Netty's epoll domain datagram channel on a one-thread event loop
 * of its own (it works whatever transport the tunnel uses, and a busy tunnel loop does not delay a
 * STOPPING=1).
 *
 * <p>Without NOTIFY_SOCKET every method does nothing. Nothing here is fatal: the first failure to
 * send is logged at warn, later ones only at debug, since a service manager that stopped listening
 * must not stop the tunnel.
 */
public final class Notifier implements AutoCloseable {
  /** How long {@link #stopping} and {@link #close} wait for a datagram to go out. */
  private static final long SEND_WAIT_MS = 1_000;

  /** A notifier with nothing to tell (no service manager, or one we cannot reach). */
  public static final Notifier NONE = new Notifier(null, null, null);

  private final SdNotify notify;
  private final EventLoopGroup group;
  private final Channel channel;
  private final AtomicBoolean warned = new AtomicBoolean();
  private final AtomicBoolean watching = new AtomicBoolean();
  private volatile Future<?> pinging;

  private Notifier(SdNotify notify, EventLoopGroup group, Channel channel) {
    this.notify = notify;
    this.group = group;
    this.channel = channel;
  }

  /** A notifier for this process's environment; {@link #NONE} if there is none to notify. */
  public static Notifier fromEnvironment() {
    java.util.Optional<SdNotify> n;
    try {
      n = SdNotify.fromEnvironment(System.getenv(), ProcessHandle.current().pid());
    } catch (IllegalArgumentException e) {
      Log.warn("not notifying systemd: " + e.getMessage());
      return NONE;
    }
    return n.isPresent() ? open(n.get()) : NONE;
  }

  /**
   * Opens an unbound datagram socket to send to {@code n}'s address; {@link #NONE} if it cannot.
   */
  public static Notifier open(SdNotify n) {
    if (!Epoll.isAvailable()) {
      Log.warn(
          "not notifying systemd at "
              + n.socket()
              + ": native epoll is unavailable ("
              + Epoll.unavailabilityCause()
              + ")");
      return NONE;
    }
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("ett-notify", true), EpollIoHandler.newFactory());
    // Active once registered: the socket only sends, to an address given with each datagram, so it
    // is never bound or connected (Netty would otherwise hold writes until it is).
    ChannelFuture f =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
            .handler(new ChannelInboundHandlerAdapter())
            .register()
            .awaitUninterruptibly();
    if (!f.isSuccess()) {
      Log.warn("not notifying systemd at " + n.socket() + ": " + f.cause());
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      return NONE;
    }
    Log.debug(
        "notifying systemd at "
            + n.socket()
            + (n.watchdogEnabled()
                ? ", watchdog every " + n.pingInterval().toMillis() + " ms"
                : ""));
    return new Notifier(n, group, f.channel());
  }

  /** The service is up: READY=1, with {@code status} and our pid. */
  public void ready(String status) {
    send(SdNotify.ready(status, ProcessHandle.current().pid()));
  }

  /** A reload begins now: RELOADING=1 with the monotonic time; follow with {@link #ready}. */
  public void reloading(String status) {
    send(SdNotify.reloading(SdNotify.monotonicUsec(System.nanoTime()), status));
  }

  public void status(String status) {
    send(SdNotify.status(status));
  }

  /**
   * A stop begins: STOPPING=1; waits (briefly) until it is sent, as the process may end soon after.
   */
  public void stopping(String status) {
    ChannelFuture f = send(SdNotify.stopping(status));
    if (f != null) {
      f.awaitUninterruptibly(SEND_WAIT_MS);
    }
  }

  /**
   * If systemd asked for a watchdog, pings it every half of its timeout as long as every one of
   * {@code loops} keeps running tasks: a round of no-op probes goes to each loop, and the next tick
   * (on {@code loops.get(0)}) sends WATCHDOG=1 only if all of the round ran. A wedged event loop —
   * any of them — thus stops the pings, and systemd restarts the service after the timeout. Call
   * once, after the loops started.
   */
  public void watch(List<? extends EventExecutor> loops) {
    if (notify == null
        || !notify.watchdogEnabled()
        || loops.isEmpty()
        || !watching.compareAndSet(false, true)) {
      return;
    }
    AtomicInteger unfinished = new AtomicInteger();
    long every = notify.pingInterval().toNanos();
    pinging =
        loops
            .get(0)
            .scheduleAtFixedRate(
                () -> {
                  if (unfinished.get() != 0) {
                    return; // a probe is still queued behind a stuck task; no ping until it runs
                  }
                  send(SdNotify.WATCHDOG);
                  unfinished.set(loops.size());
                  for (EventExecutor loop : loops) {
                    loop.execute(unfinished::decrementAndGet);
                  }
                },
                0,
                every,
                TimeUnit.NANOSECONDS);
  }

  /** Returns the write's future, or null when there is nobody to tell. */
  private ChannelFuture send(String message) {
    if (channel == null || group.isShuttingDown()) {
      return null;
    }
    Log.debug("systemd: " + message.replace('\n', ' '));
    DomainDatagramPacket packet =
        new DomainDatagramPacket(
            Unpooled.copiedBuffer(message, StandardCharsets.UTF_8),
            new DomainSocketAddress(notify.address()));
    // The packet is released by the channel, sent or not.
    ChannelFuture f = channel.writeAndFlush(packet);
    f.addListener(
        (ChannelFuture done) -> {
          if (done.isSuccess()
              || !channel.isOpen()
                  && done.cause() instanceof java.nio.channels.ClosedChannelException) {
            return;
          }
          Throwable t = done.cause();
          String why =
              "cannot notify systemd at "
                  + notify.socket()
                  + ": "
                  + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
          if (warned.compareAndSet(false, true)) {
            Log.warn(why + " (further failures are logged at debug level)");
          } else {
            Log.debug(why);
          }
        });
    return f;
  }

  /** Closes the socket after what was sent so far has gone out. */
  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    Future<?> p = pinging;
    if (p != null) {
      p.cancel(false);
    }
    channel.close().awaitUninterruptibly(SEND_WAIT_MS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(SEND_WAIT_MS * 2);
  }
}
