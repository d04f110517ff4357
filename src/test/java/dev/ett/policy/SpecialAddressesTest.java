package dev.ett.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpecialAddressesTest {

  private static InetAddress ip(String text) {
    return ((Host.Address) HostParser.parse(text)).address();
  }

  private static Optional<AddressRange> blockOf(String text) {
    return SpecialAddresses.blockOf(ip(text)).map(SpecialAddresses.Block::range);
  }

  // One address inside each registry block, and one just outside it (which may sit in a
  // neighbouring block, but not in this one). ::ffff:0:0/96 is covered by the normalization tests:
  // a mapped address is judged as its IPv4 address.
  @ParameterizedTest(name = "{1} is in {0}, {2} is not")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          0.0.0.0/8          | 0.1.2.3          | 1.0.0.0
          10.0.0.0/8         | 10.255.255.255   | 11.0.0.0
          100.64.0.0/10      | 100.127.255.255  | 100.128.0.0
          127.0.0.0/8        | 127.0.0.1        | 128.0.0.0
          169.254.0.0/16     | 169.254.169.254  | 169.255.0.0
          172.16.0.0/12      | 172.31.255.255   | 172.32.0.0
          192.0.0.0/24       | 192.0.0.8        | 192.0.1.0
          192.0.2.0/24       | 192.0.2.1        | 192.0.3.0
          192.31.196.0/24    | 192.31.196.1     | 192.31.197.0
          192.52.193.0/24    | 192.52.193.1     | 192.52.194.0
          192.88.99.0/24     | 192.88.99.1      | 192.88.98.255
          192.168.0.0/16     | 192.168.1.1      | 192.169.0.0
          192.175.48.0/24    | 192.175.48.1     | 192.175.49.0
          198.18.0.0/15      | 198.19.255.255   | 198.20.0.0
          198.51.100.0/24    | 198.51.100.7     | 198.51.101.0
          203.0.113.0/24     | 203.0.113.9      | 203.0.114.0
          224.0.0.0/4        | 239.255.255.255  | 223.255.255.255
          240.0.0.0/4        | 240.0.0.1        | 239.255.255.255
          255.255.255.255/32 | 255.255.255.255  | 255.255.255.254
          ::/128             | ::               | ::2
          ::1/128            | ::1              | ::2
          ::ffff:0:0:0/96    | ::ffff:0:7f00:1  | ::1:0:0:0:1
          64:ff9b::/96       | 64:ff9b::808:808 | 64:ff9b::1:0:0
          64:ff9b:1::/48     | 64:ff9b:1::1     | 64:ff9b:2::1
          100::/64           | 100::1           | 100:0:0:1::1
          100:0:0:1::/64     | 100:0:0:1::5     | 100:0:0:2::
          2001::/23          | 2001:1ff:ffff::1 | 2001:200::1
          2001:db8::/32      | 2001:db8::1      | 2001:db9::1
          2002::/16          | 2002:7f00:1::    | 2003::1
          2620:4f:8000::/48  | 2620:4f:8000::1  | 2620:4f:8001::1
          3fff::/20          | 3fff:fff::1      | 3fff:1000::1
          5f00::/16          | 5f00::1          | 5f01::1
          fc00::/7           | fd12::1          | fe00::1
          fe80::/10          | fe80::1          | fec0::1
          fec0::/10          | feff::1          | ff00::1
          ff00::/8           | ff02::1          | feff::1
          """)
  void eachRegistryBlockHoldsItsAddressesAndNotItsNeighbours(
      String cidr, String inside, String outside) {
    AddressRange block = AddressRange.parse(cidr);
    assertThat(SpecialAddresses.BLOCKS).extracting(SpecialAddresses.Block::range).contains(block);
    assertThat(blockOf(inside)).contains(block);
    assertThat(blockOf(outside)).isNotEqualTo(Optional.of(block));
  }

  @Test
  void everyBlockHoldsItsFirstAndLastAddress() {
    for (SpecialAddresses.Block b : SpecialAddresses.BLOCKS) {
      if (b.range().equals(AddressRange.parse("::ffff:0:0/96"))) {
        continue; // normalized to IPv4 before lookup; see the normalization tests
      }
      byte[] first = b.range().network().getAddress();
      byte[] last = first.clone();
      for (int bit = b.range().prefixLength(); bit < last.length * 8; bit++) {
        last[bit / 8] |= (byte) (0x80 >>> (bit % 8));
      }
      assertThat(SpecialAddresses.isSpecial(Addresses.fromBytes(first))).as(b.name()).isTrue();
      assertThat(SpecialAddresses.isSpecial(Addresses.fromBytes(last))).as(b.name()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "8.8.8.8",
        "1.1.1.1",
        "11.0.0.0",
        "223.255.255.255",
        "::ffff:8.8.8.8",
        "2606:4700::1111",
        "2001:200::1",
        "2a00:1450::1"
      })
  void publicAddressesAreNotSpecial(String address) {
    assertThat(SpecialAddresses.isSpecial(ip(address))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::127.0.0.1", "::ffff:0.0.0.0"})
  void ipv4MappedAndCompatibleAddressesAreJudgedByTheirIpv4Address(String address) {
    assertThat(SpecialAddresses.isSpecial(ip(address))).isTrue();
  }
}
