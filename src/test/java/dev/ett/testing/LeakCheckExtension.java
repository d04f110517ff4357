package dev.ett.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes Netty's leak detector fail tests instead of only logging: after each test it runs the
 * garbage collector, lets the detector poll, and fails the test if a leak was reported. Registered
 * for every test by auto-detection (src/test/resources/junit-platform.properties); a class marked
 * {@link NoNettyBuffers} is left out.
 */
public final class LeakCheckExtension implements AfterEachCallback {
  private static final List<String> LEAKS = new ArrayList<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new CountingFactory());
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (context
        .getTestClass()
        .map(c -> c.isAnnotationPresent(NoNettyBuffers.class))
        .orElse(false)) {
      return;
    }
    int before;
    synchronized (LEAKS) {
      before = LEAKS.size();
    }
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(10);
      // The detector reports collected-but-unreleased objects when the next one is tracked.
      ByteBufAllocator.DEFAULT.buffer(1).release();
      ByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
    synchronized (LEAKS) {
      if (LEAKS.size() > before) {
        List<String> found = new ArrayList<>(LEAKS.subList(before, LEAKS.size()));
        throw new AssertionError(
            "Netty reported "
                + found.size()
                + " leak(s) during or before this test:\n"
                + String.join("\n----\n", found));
      }
    }
  }

  private static final class CountingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<>(resource, samplingInterval) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          super.reportTracedLeak(resourceType, records);
          record(resourceType + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          super.reportUntracedLeak(resourceType);
          record(resourceType + " (untraced)");
        }
      };
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval) {
      return newResourceLeakDetector(resource, samplingInterval, Long.MAX_VALUE);
    }
  }

  private static void record(String leak) {
    synchronized (LEAKS) {
      LEAKS.add(leak.length() > 4000 ? leak.substring(0, 4000) : leak);
    }
  }
}
