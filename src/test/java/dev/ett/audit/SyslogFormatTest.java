package dev.ett.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: each audit event becomes one RFC 5424 message in RFC 6587 octet-counting
 * framing, whose length counts octets (not characters), whose MSGID is the event's name and whose
 * MSG is exactly the audit file's JSON line.
 */
class SyslogFormatTest {
  private static final Instant AT = Instant.parse("2026-12-04T23:12:16.123456789Z");

  private static String text(byte[] frame) {
    return new String(frame, StandardCharsets.UTF_8);
  }

  @Test
  void aLinkUpIsFramedWithItsOctetCountAndNamedByItsMsgid() {
    AuditEvent e = new AuditEvent.LinkUp(AT, 7, "alice", "0123456789abcdef", "127.0.0.1:5", "s");
    String body = "<86>1 2026-12-04T23:12:16.123456Z gw1 ett 4242 link_up - " + AuditJson.encode(e);
    // authpriv (10) * 8 + informational (6) = 86; the fraction cut to 6 digits (TIME-SECFRAC).
    assertThat(text(new SyslogFormat("authpriv", "gw1", 4242).frame(e)))
        .isEqualTo(body.length() + " " + body);
  }

  @Test
  void theLengthCountsOctetsOfUtf8NotCharacters() {
    AuditEvent e = new AuditEvent.LinkUp(AT, 7, "éléonore", "f", "r", "s");
    byte[] frame = new SyslogFormat("local0", "h", 1).frame(e);
    String s = text(frame);
    int space = s.indexOf(' ');
    int declared = Integer.parseInt(s.substring(0, space));
    assertThat(declared).isEqualTo(frame.length - space - 1);
    assertThat(declared).isGreaterThan(s.length() - space - 1);
    assertThat(s).doesNotContain("\n");
  }

  @Test
  void aGapIsAWarningAndARefusalANotice() {
    SyslogFormat f = new SyslogFormat("local3", "h", 1);
    // local3 = 19: 19 * 8 = 152.
    assertThat(text(f.frame(new AuditEvent.Gap(AT, 3, 1))))
        .contains(" <156>1 ")
        .contains(" audit_gap - {");
    AuditEvent refused =
        new AuditEvent.StreamRefused(
            AT, 1, "a", 3, "x:1", "1.2.3.4:1", "r", "refused", "policy", "no");
    assertThat(text(f.frame(refused))).contains(" <157>1 ").contains(" stream_refused - {");
  }

  @Test
  void aHostNameOutsidePrintableAsciiIsMadeSafeAndAnEmptyOneIsNil() {
    AuditEvent e = new AuditEvent.LinkUp(AT, 7, "a", "f", "r", "s");
    assertThat(text(new SyslogFormat("user", "my host", 1).frame(e))).contains(" my_host ett 1 ");
    assertThat(text(new SyslogFormat("user", "", 1).frame(e))).contains("Z - ett 1 link_up");
  }

  @Test
  void anUnknownFacilityNamesTheValidOnes() {
    assertThatThrownBy(() -> new SyslogFormat("local8", "h", 1))
        .hasMessageStartingWith("syslog facility: local8 (expected: one of kern, user,")
        .hasMessageContaining("local7)");
    assertThat(SyslogFormat.facilityCode("local7")).isEqualTo(23);
    assertThat(SyslogFormat.facilityCode("auth")).isEqualTo(4);
  }
}
