package dev.ett.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostsFileTest {

  @Test
  void looksUpNamesAndAliasesCaseInsensitively(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("hosts");
    Files.writeString(
        path,
        """
        # static names
        10.0.0.5     db.internal DB   # the database
        fd00::5      db.internal
        192.168.1.9\tNAS nas.home.
        10.0.0.5     db.internal
        """);

    Hosts hosts = HostsFile.read(path);

    assertThat(hosts.lookup("DB.Internal."))
        .containsExactly(InetAddress.getByName("10.0.0.5"), InetAddress.getByName("fd00::5"));
    assertThat(hosts.lookup("db")).containsExactly(InetAddress.getByName("10.0.0.5"));
    assertThat(hosts.lookup("nas.home")).containsExactly(InetAddress.getByName("192.168.1.9"));
    assertThat(hosts.lookup("other")).isEmpty();
    assertThat(hosts.size()).isEqualTo(4);
  }

  @Test
  void mappedAddressesAreStoredAsIpv4() throws Exception {
    Hosts hosts = HostsFile.parse("hosts", "::ffff:10.0.0.1 legacy\n");
    assertThat(hosts.lookup("legacy")).containsExactly(InetAddress.getByName("10.0.0.1"));
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          10.0.0.1                        | hosts:1: missing host name (expected: ADDRESS NAME [ALIASES...])
          # ok\\n10.1 short               | hosts:2: '10.1': not an IPv4 address (expected: a.b.c.d with 0~255 each)
          010.0.0.1 octal                 | hosts:1: '010.0.0.1': bad IPv4 part '010' (expected: decimal 0~255 without leading zeros)
          fe80::1%eth0 ll                 | hosts:1: 'fe80::1%eth0' has a zone id (expected: an address without %zone)
          db.internal 10.0.0.1            | hosts:1: 'db.internal': not an IPv4 address (expected: a.b.c.d with 0~255 each)
          10.0.0.1 bad_name               | hosts:1: name: 'bad_name': character '_' in label 'bad_name' (expected: letters, digits and '-')
          10.0.0.1 ok 127.0.0.1           | hosts:1: name: '127.0.0.1' is a numeric address, not a host name
          """)
  void malformedLinesAreReportedWithFileAndLine(String content, String message) {
    assertThatThrownBy(() -> HostsFile.parse("hosts", content.replace("\\n", "\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }
}
