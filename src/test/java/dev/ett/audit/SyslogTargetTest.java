package dev.ett.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Goal of these tests: the --audit syslog URLs are read strictly, with messages that say why. */
class SyslogTargetTest {
  @Test
  void tcpAndTlsTakeTheirIanaPortsByDefault() {
    assertThat(SyslogTarget.parse("syslog://logs.example", null))
        .isEqualTo(new SyslogTarget("logs.example", 514, false, null));
    assertThat(SyslogTarget.parse("syslog+tls://logs.example", null))
        .isEqualTo(new SyslogTarget("logs.example", 6514, true, null));
    assertThat(SyslogTarget.parse("syslog://127.0.0.1:1514/", null))
        .isEqualTo(new SyslogTarget("127.0.0.1", 1514, false, null));
  }

  @Test
  void anIpv6AddressGoesInBrackets() {
    assertThat(SyslogTarget.parse("syslog+tls://[::1]:6514", Path.of("ca.pem")))
        .isEqualTo(new SyslogTarget("::1", 6514, true, Path.of("ca.pem")));
    assertThat(SyslogTarget.parse("syslog://[::1]", null).toString())
        .isEqualTo("syslog://[::1]:514");
    assertThatThrownBy(() -> SyslogTarget.parse("syslog://::1:514", null))
        .hasMessageContaining("an IPv6 address goes in brackets");
  }

  @Test
  void badSpellingsAreRefusedWithTheExpectedForm() {
    assertThatThrownBy(() -> SyslogTarget.parse("syslog://h:99999", null))
        .hasMessage("syslog port: 99999 (expected: 1~65535)");
    assertThatThrownBy(() -> SyslogTarget.parse("syslog://h:x", null))
        .hasMessage("syslog://h:x: port x (expected: 1~65535)");
    assertThatThrownBy(() -> SyslogTarget.parse("syslog://", null))
        .hasMessageContaining("bad host");
    assertThatThrownBy(() -> SyslogTarget.parse("syslog://u@h:514", null))
        .hasMessageContaining("bad host");
    assertThatThrownBy(() -> SyslogTarget.parse("tcp://h:514", null))
        .hasMessageContaining("expected: syslog://HOST[:PORT] or syslog+tls://HOST[:PORT]");
    assertThat(SyslogTarget.isSyslog("/var/log/ett/audit.jsonl")).isFalse();
  }

  @Test
  void aCaFileWithoutTlsIsAMistake() {
    assertThatThrownBy(() -> new SyslogTarget("h", 514, false, Path.of("ca.pem")))
        .hasMessageContaining("syslog+tls:// only");
  }
}
