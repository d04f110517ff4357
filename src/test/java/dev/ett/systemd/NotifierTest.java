package dev.ett.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.testing.LogCapture;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal of these tests: the watchdog pings stop while any watched event loop is wedged and resume
 * when it runs again, and a service manager that cannot be reached costs one warning, not the
 * service.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NotifierTest {
  @TempDir Path dir;

  private EventLoopGroup socketGroup;
  private Channel receiver;
  private final AtomicInteger pings = new AtomicInteger();

  @BeforeEach
  void bind() throws Exception {
    Assumptions.assumeTrue(Epoll.isAvailable(), "needs native epoll (Linux) for AF_UNIX datagrams");
    socketGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    receiver =
        new Bootstrap()
            .group(socketGroup)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                    if (p.content().toString(StandardCharsets.UTF_8).equals(SdNotify.WATCHDOG)) {
                      pings.incrementAndGet();
                    }
                  }
                })
            .bind(new DomainSocketAddress(dir.resolve("notify").toFile()))
            .sync()
            .channel();
  }

  @AfterEach
  void close() {
    if (receiver != null) {
      receiver.close().syncUninterruptibly();
      socketGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aWedgedEventLoopStopsTheWatchdogPingsUntilItRunsAgain() throws Exception {
    EventLoopGroup loops = new DefaultEventLoopGroup(2);
    Notifier notifier =
        Notifier.open(new SdNotify(dir.resolve("notify").toString(), Duration.ofMillis(200)));
    try {
      List<EventExecutor> watched = new ArrayList<>();
      loops.forEach(watched::add);
      notifier.watch(watched);
      awaitPings(3, "pings every 100 ms while both loops run");

      CountDownLatch release = new CountDownLatch(1);
      watched.get(1).execute(() -> awaitQuietly(release)); // the second loop wedges
      Thread.sleep(300); // a ping may still be on its way from the round before the wedge
      int atWedge = pings.get();
      Thread.sleep(700);
      assertThat(pings.get()).as("no ping while a loop is wedged").isEqualTo(atWedge);

      release.countDown();
      awaitPings(atWedge + 2, "pings resume once it runs");
    } finally {
      notifier.close();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aServiceManagerThatIsNotListeningCostsOneWarning() throws Exception {
    Notifier notifier =
        Notifier.open(new SdNotify(dir.resolve("nobody-here").toString(), Duration.ZERO));
    try (LogCapture log = new LogCapture()) {
      notifier.ready("up");
      notifier.status("still up");
      notifier.stopping("stopping"); // waits for its datagram's fate
      notifier.close();
      List<String> warnings =
          log.lines().stream()
              .filter(l -> l.contains("WARN") && l.contains("notify systemd"))
              .toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0))
          .contains("cannot notify systemd at " + dir.resolve("nobody-here"));
    }
  }

  private void awaitPings(int atLeast, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (pings.get() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(pings.get()).as(what).isGreaterThanOrEqualTo(atLeast);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
