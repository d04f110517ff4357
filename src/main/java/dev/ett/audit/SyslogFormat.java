package dev.ett.audit;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * An audit event as an RFC 5424 syslog message in RFC 6587 §3.4.1 octet-counting framing:
 *
 * <pre>
 * MSG-LEN SP "&lt;" PRI "&gt;1" SP TIMESTAMP SP HOSTNAME SP "ett" SP PROCID SP MSGID SP "-" SP JSON
 * 412 &lt;86&gt;1 2026-12-04T23:12:16.123456Z gw1 ett 4242 link_up - {"time":...,"event":"link_up",...}
 * </pre>
 *
 * <ul>
 *   <li>MSG-LEN counts the octets after its space (RFC 6587 §3.4.1); no trailing newline.
 *   <li>PRI = facility × 8 + severity (RFC 5424 §6.2.1). Severity is ours: {@code audit_gap} is
 *       warning (4) because events are missing, {@code stream_refused} notice (5), the rest
 *       informational (6).
 *   <li>TIMESTAMP is the event's time in UTC with at most 6 fraction digits (§6.2.3: TIME-SECFRAC
 *       is 1*6DIGIT; an {@code Instant} prints up to 9).
 *   <li>MSGID is the event's name ({@code link_up}...): every name is 1–32 printable ASCII
 *       characters, as §6.2.7 asks.
 *   <li>STRUCTURED-DATA is {@code -}; MSG is the same JSON object as the file's line, without a BOM
 *       (MSG-ANY, §6.4), so a JSON parser downstream ({@code mmjsonparse}) reads it as it is. The
 *       JSON is escaped so it holds no control character or newline.
 * </ul>
 */
public final class SyslogFormat {
  /** RFC 5424 §6.2.1 table 1, by the names syslog.conf uses. The index is the code. */
  public static final List<String> FACILITIES =
      List.of(
          "kern",
          "user",
          "mail",
          "daemon",
          "auth",
          "syslog",
          "lpr",
          "news",
          "uucp",
          "cron",
          "authpriv",
          "ftp",
          "ntp",
          "security",
          "console",
          "solaris-cron",
          "local0",
          "local1",
          "local2",
          "local3",
          "local4",
          "local5",
          "local6",
          "local7");

  /**
   * Our default: authpriv (10). The trail says which key went where, so it is as private as the
   * audit file (mode 0600). Debian and Red Hat route authpriv only to a root-only file
   * (/var/log/auth.log, /var/log/secure) and keep it out of /var/log/syslog and /var/log/messages,
   * where {@code auth} (4) would land on Red Hat and {@code local0} on both.
   */
  public static final String DEFAULT_FACILITY = "authpriv";

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final int facility;
  private final String header; // " HOSTNAME ett PROCID "

  /**
   * @param facility a name of {@link #FACILITIES}
   * @param hostname this machine's name; anything outside printable ASCII is replaced with '_', and
   *     an empty name is sent as "-" (§6.2.4: NILVALUE when unknown)
   * @param pid the PROCID field
   */
  public SyslogFormat(String facility, String hostname, long pid) {
    try {
      this.facility = facilityCode(facility);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("syslog facility: " + e.getMessage(), e);
    }
    this.header = " " + printable(hostname, 255) + " ett " + pid + " ";
  }

  /** The facility's code, or an error naming the valid names ({@code NAME (expected: ...)}). */
  public static int facilityCode(String name) {
    int code = FACILITIES.indexOf(name);
    if (code < 0) {
      throw new IllegalArgumentException(
          name + " (expected: one of " + String.join(", ", FACILITIES) + ")");
    }
    return code;
  }

  /** The event as one framed message: length, space, RFC 5424 message. */
  public byte[] frame(AuditEvent e) {
    String message =
        "<"
            + (facility * 8 + severity(e))
            + ">1 "
            + TIMESTAMP.format(e.time())
            + header
            + e.type()
            + " - "
            + AuditJson.encode(e);
    byte[] body = message.getBytes(StandardCharsets.UTF_8);
    byte[] length = (body.length + " ").getBytes(StandardCharsets.US_ASCII);
    byte[] framed = new byte[length.length + body.length];
    System.arraycopy(length, 0, framed, 0, length.length);
    System.arraycopy(body, 0, framed, length.length, body.length);
    return framed;
  }

  static int severity(AuditEvent e) {
    if (e instanceof AuditEvent.Gap) {
      return 4;
    }
    return e instanceof AuditEvent.StreamRefused ? 5 : 6;
  }

  /** PRINTUSASCII (%d33-126) only, at most {@code max} characters; "-" if nothing is left. */
  private static String printable(String s, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < max; i++) {
      char c = s.charAt(i);
      sb.append(c >= 33 && c <= 126 ? c : '_');
    }
    return sb.isEmpty() ? "-" : sb.toString();
  }
}
