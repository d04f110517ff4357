package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.link.HandshakeRejection;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: the server's unfinished-handshake slots — never more than the cap, never more
 * than one source's share to one IPv4 address or IPv6 /64, and every slot given back exactly once.
 */
class HandshakeSlotsTest {
  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void oneAddressGetsItsShareAndAnotherAddressStillGetsIn() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(16);
    assertThat(slots.perSource()).isEqualTo(2); // an eighth of the cap
    assertThat(slots.admit(ip("192.0.2.1")).admitted()).isTrue();
    assertThat(slots.admit(ip("192.0.2.1")).admitted()).isTrue();
    assertThat(slots.admit(ip("192.0.2.1")).refusal()).isEqualTo(HandshakeRejection.SOURCE_SHARE);
    assertThat(slots.admit(ip("192.0.2.2")).admitted()).isTrue();
    assertThat(slots.unfinished()).isEqualTo(3);
  }

  @Test
  void anIpv6Slash64IsOneSourceAndTheNextSlash64IsAnother() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(16);
    assertThat(slots.admit(ip("2001:db8:0:1::1")).admitted()).isTrue();
    assertThat(slots.admit(ip("2001:db8:0:1:ffff::9")).admitted()).isTrue();
    assertThat(slots.admit(ip("2001:db8:0:1::2")).refusal()).isEqualTo(HandshakeRejection.SOURCE_SHARE);
    assertThat(slots.admit(ip("2001:db8:0:2::1")).admitted()).isTrue();
  }

  @Test
  void anIpv4MappedAddressIsTheIpv4Address() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8); // share: 1
    assertThat(slots.admit(ip("192.0.2.7")).admitted()).isTrue();
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(ip("192.0.2.7").getAddress(), 0, mapped, 12, 4);
    assertThat(slots.admit(java.net.Inet6Address.getByAddress(null, mapped, -1)).refusal())
        .isEqualTo(HandshakeRejection.SOURCE_SHARE);
  }

  @Test
  void theCapHoldsAcrossSourcesAndReleasingTwiceGivesBackOneSlot() throws Exception {
    HandshakeSlots slots = new HandshakeSlots(8);
    List<HandshakeSlots.Slot> taken = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      taken.add(slots.admit(ip("192.0.2." + i)).slot());
    }
    assertThat(slots.admit(ip("192.0.2.9")).refusal()).isEqualTo(HandshakeRejection.CAP);
    taken.get(0).release();
    taken.get(0).release();
    assertThat(slots.unfinished()).isEqualTo(7);
    assertThat(slots.admit(ip("192.0.2.1")).admitted()).as("its share came back").isTrue();
    assertThat(slots.admit(ip("192.0.2.10")).refusal()).isEqualTo(HandshakeRejection.CAP);
    assertThat(slots.sources()).as("sources tracked").isEqualTo(8);
    taken.forEach(HandshakeSlots.Slot::release);
    assertThat(slots.unfinished()).isEqualTo(1);
    assertThat(slots.sources()).as("no entry kept for a source with nothing under way").isEqualTo(1);
  }

  @Test
  void aCapBelowEightStillLetsEachSourceHaveOne() {
    assertThat(new HandshakeSlots(3).perSource()).isEqualTo(1);
    assertThat(new HandshakeSlots(256).perSource()).isEqualTo(32);
  }
}
