package dev.ett.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.bench.TestTarget;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goal of this test: memory is bounded by windows, not by what peers send. (Keys rotating at tiny
 * limits under a 1 GiB transfer: {@link LinkLifeTest}.)
 */
class BoundedMemoryTest {

  private static long usedBuffers() {
    var metric = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
    return metric.usedDirectMemory() + metric.usedHeapMemory();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anApplicationThatNeverReadsHoldsAtMostItsWindowInBuffers() throws Exception {
    try (Tunnel t = Tunnel.start(TestTarget.Mode.SOURCE)) {
      t.awaitLink(Duration.ofSeconds(10));
      long before = usedBuffers();
      try (Socket s = Io.connect(t.forward)) {
        s.setReceiveBufferSize(64 * 1024);
        s.getOutputStream()
            .write(ByteBuffer.allocate(8).putLong(1L << 30).array()); // 1 GiB, never read
        Thread.sleep(1500);
        long settled = usedBuffers();
        Thread.sleep(1500);
        long later = usedBuffers();
        // One window (256 KiB) per side plus records in flight, and flat. The allocator reports the
        // chunks it holds, several MiB each, not the bytes in them: 9.8-15.6 MiB on an idle machine
        // (2026-11-26, also at older commits), against the 1 GiB an unbounded buffer would reach.
        assertThat(later - before)
            .as("buffered bytes while the reader sleeps")
            .isLessThan(32L << 20);
        assertThat(later - settled).as("growth after the windows filled").isLessThan(1L << 20);
      }
    }
  }
}
