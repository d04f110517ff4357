package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.HandshakeRejection;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the server's unfinished-handshake slots — never more than the cap, never more
 * than one source's share to one IPv4 address or IPv6 /64, at the cap the oldest silent slot
 * evicted for a new connection, and every slot given back exactly once.
 */
class HandshakeSlotsTest {
  private static final Runnable NOTHING = () -> {};

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void oneAddressGetsItsShareAndAnotherAddressStillGetsIn() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(16);
    assertThat(slots.perSource()).isEqualTo(2); // an eighth of the cap
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).admitted()).isTrue();
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).admitted()).isTrue();
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).refusal())
        .isEqualTo(HandshakeRejection.SOURCE_SHARE);
    assertThat(slots.admit(ip("192.0.2.2"), NOTHING).admitted()).isTrue();
    assertThat(slots.unfinished()).isEqualTo(3);
  }

  @Test
  void anIpv6Slash64IsOneSourceAndTheNextSlash64IsAnother() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(16);
    assertThat(slots.admit(ip("2001:db8:0:1::1"), NOTHING).admitted()).isTrue();
    assertThat(slots.admit(ip("2001:db8:0:1:ffff::9"), NOTHING).admitted()).isTrue();
    assertThat(slots.admit(ip("2001:db8:0:1::2"), NOTHING).refusal())
        .isEqualTo(HandshakeRejection.SOURCE_SHARE);
    assertThat(slots.admit(ip("2001:db8:0:2::1"), NOTHING).admitted()).isTrue();
  }

  @Test
  void anIpv4MappedAddressIsTheIpv4Address() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8); // share: 1
    assertThat(slots.admit(ip("192.0.2.7"), NOTHING).admitted()).isTrue();
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(ip("192.0.2.7").getAddress(), 0, mapped, 12, 4);
    assertThat(slots.admit(java.net.Inet6Address.getByAddress(null, mapped, -1), NOTHING).refusal())
        .isEqualTo(HandshakeRejection.SOURCE_SHARE);
  }

  @Test
  void releasingTwiceGivesBackOneSlotAndNoEntryIsKeptForAnIdleSource() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8);
    List<HandshakeSlots.Slot> taken = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      taken.add(slots.admit(ip("192.0.2." + i), NOTHING).slot());
    }
    assertThat(taken.get(0).release()).isTrue();
    assertThat(taken.get(0).release()).isFalse();
    assertThat(slots.unfinished()).isEqualTo(7);
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).admitted()).as("its share came back").isTrue();
    assertThat(slots.sources()).as("sources tracked").isEqualTo(8);
    taken.forEach(HandshakeSlots.Slot::release);
    assertThat(slots.unfinished()).isEqualTo(1);
    assertThat(slots.sources())
        .as("no entry kept for a source with nothing under way")
        .isEqualTo(1);
    assertThat(slots.evicted()).isZero();
  }

  @Test
  void atTheCapTheOldestSlotThatHasNotSpokenIsEvictedForTheNewConnection() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8);
    List<HandshakeSlots.Slot> taken = new ArrayList<>();
    List<Integer> closed = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      int n = i;
      taken.add(slots.admit(ip("192.0.2." + i), () -> closed.add(n)).slot());
    }
    taken.get(0).spoke(); // 1 and 2 sent their preamble: 3 is the oldest silent one
    taken.get(1).spoke();
    HandshakeSlots.Admission fresh = slots.admit(ip("192.0.2.9"), NOTHING);
    assertThat(fresh.admitted()).isTrue();
    assertThat(closed).containsExactly(3);
    assertThat(slots.unfinished()).isEqualTo(8);
    assertThat(slots.evicted()).isEqualTo(1);
    assertThat(taken.get(2).release()).as("the evicted slot was given back already").isFalse();
    assertThat(slots.unfinished()).isEqualTo(8);
    assertThat(slots.sources()).as("the evicted source's entry is gone").isEqualTo(8);
  }

  @Test
  void whenEverySlotHasSpokenTheOldestIsEvicted() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8);
    List<Integer> closed = new ArrayList<>();
    List<HandshakeSlots.Slot> taken = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      int n = i;
      taken.add(slots.admit(ip("192.0.2." + i), () -> closed.add(n)).slot());
    }
    for (int i = 7; i >= 0; i--) {
      taken.get(i).spoke(); // spoke in reverse order: 8 spoke first
    }
    slots.admit(ip("192.0.2.9"), NOTHING).slot().spoke();
    slots.admit(ip("192.0.2.10"), NOTHING);
    assertThat(closed).as("oldest to speak first").containsExactly(8, 7);
    assertThat(slots.unfinished()).isEqualTo(8);
  }

  @Test
  void aSourceAtItsShareIsRefusedAtTheCapAndEvictsNobody() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(16); // share: 2
    List<Integer> closed = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      int n = i;
      slots.admit(ip("192.0.2." + i), () -> closed.add(n));
      slots.admit(ip("192.0.2." + i), () -> closed.add(n));
    }
    assertThat(slots.unfinished()).isEqualTo(16);
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).refusal())
        .isEqualTo(HandshakeRejection.SOURCE_SHARE);
    assertThat(closed).isEmpty();
    assertThat(slots.admit(ip("192.0.2.9"), NOTHING).admitted()).isTrue();
    assertThat(closed).containsExactly(1);
    assertThat(slots.admit(ip("192.0.2.1"), NOTHING).admitted())
        .as("its own slot was evicted: it is under its share again")
        .isTrue();
    assertThat(closed).containsExactly(1, 1);
  }

  @Test
  void theCountNeverPassesTheCapWhileThreadsAdmitSpeakAndRelease() throws Exception {
    int cap = 32;
    HandshakeSlots slots = new HandshakeSlots(cap);
    java.util.concurrent.atomic.AtomicInteger most =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicLong evictions = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread watcher =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!done.get()) {
                    most.accumulateAndGet(slots.unfinished(), Math::max);
                  }
                });
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    java.util.Random random = new java.util.Random(thread);
                    for (int i = 0; i < 20_000; i++) {
                      byte[] a = {(byte) 10, (byte) thread, (byte) (i >> 8), (byte) i};
                      HandshakeSlots.Admission ad;
                      try {
                        ad = slots.admit(InetAddress.getByAddress(a), evictions::incrementAndGet);
                      } catch (java.net.UnknownHostException e) {
                        throw new AssertionError(e);
                      }
                      most.accumulateAndGet(slots.unfinished(), Math::max);
                      if (ad.admitted() && random.nextInt(3) == 0) {
                        ad.slot().spoke();
                      }
                      if (ad.admitted() && random.nextInt(4) == 0) {
                        ad.slot().release();
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join(30_000);
    }
    done.set(true);
    watcher.join(5_000);
    assertThat(most.get()).as("most unfinished ever seen").isLessThanOrEqualTo(cap);
    assertThat(evictions.get()).as("eviction actions run").isEqualTo(slots.evicted()).isPositive();
  }

  @Test
  void aCapBelowEightStillLetsEachSourceHaveOne() {
    assertThat(new HandshakeSlots(3).perSource()).isEqualTo(1);
    assertThat(new HandshakeSlots(256).perSource()).isEqualTo(32);
  }
}
