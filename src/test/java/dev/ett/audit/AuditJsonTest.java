package dev.ett.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditJsonTest {
  private static final Instant T = Instant.parse("2025-06-01T12:00:00.123Z");

  @Test
  void everyEventIsOneLineWithItsFieldsInOrder() {
    String line =
        AuditJson.encode(
            new AuditEvent.StreamClosed(
                T,
                3,
                "alice",
                5,
                "db.internal:5432",
                "10.0.0.5:5432",
                "accepted by global rule 1 'accept 10.0.0.0/8:5432'",
                12,
                34,
                56,
                "reset",
                "client",
                "reset by peer: cancelled"));
    assertThat(line)
        .isEqualTo(
            "{\"time\":\"2025-06-01T12:00:00.123Z\",\"event\":\"stream_closed\",\"link\":3,\"client\":\"alice\",\"stream\":5,"
                + "\"requested\":\"db.internal:5432\",\"resolved\":\"10.0.0.5:5432\",\"rule\":\"accepted by global rule 1 'accept 10.0.0.0/8:5432'\","
                + "\"bytes_from_client\":12,\"bytes_to_client\":34,\"duration_ms\":56,\"end\":\"reset\",\"by\":\"client\","
                + "\"detail\":\"reset by peer: cancelled\",\"direction\":\"forward\"}");
  }

  @Test
  void streamOpenedSaysItsSourceAfterResolvedWhenKnownAndOmitsItOtherwise() {
    String rule = "accepted by global rule 1 'accept 127.0.0.0/8:*'";
    String with =
        AuditJson.encode(
            new AuditEvent.StreamOpened(
                T, 3, "alice", 5, "hop2:7000", "127.0.0.1:7000", "127.0.0.1:41234", rule, null));
    assertThat(JsonLines.parse(with).keySet())
        .containsExactly(
            "time",
            "event",
            "link",
            "client",
            "stream",
            "requested",
            "resolved",
            "source",
            "rule",
            "direction");
    assertThat(JsonLines.parse(with)).containsEntry("source", "127.0.0.1:41234");
    String without =
        AuditJson.encode(
            new AuditEvent.StreamOpened(T, 3, "alice", 5, "hop2:7000", "127.0.0.1:7000", rule));
    assertThat(JsonLines.parse(without)).doesNotContainKey("source");
  }

  @Test
  void stringsCannotBreakTheLineOrForgeAField() {
    String evil = "a\"b\\c\nd\re\tf\u0000g\u2028h\u2029i\u007fj\ud800k";
    String line = AuditJson.encode(new AuditEvent.Reloaded(T, evil, 2, List.of(evil, "bob")));
    assertThat(line).doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0000");
    Map<String, Object> back = JsonLines.parse(line);
    assertThat(back)
        .containsEntry("source", evil)
        .containsEntry("clients", 2L)
        .containsEntry("revoked", List.of(evil, "bob"));
    assertThat(back.keySet()).containsExactly("time", "event", "source", "clients", "revoked");
  }

  @Test
  void absentValuesAreNull() {
    String line =
        AuditJson.encode(
            new AuditEvent.StreamRefused(
                T,
                1,
                "bob",
                7,
                "x.test:80",
                null,
                null,
                "limit",
                "TOO_MANY_STREAMS",
                "client limit"));
    assertThat(JsonLines.parse(line))
        .containsEntry("resolved", null)
        .containsEntry("rule", null)
        .containsEntry("stream", 7L);
  }

  @Test
  void whatTheFirstBytesWereFollowsTheRuleOnlyForAStreamThatHasIt() {
    String tls =
        AuditJson.encode(
            new AuditEvent.StreamOpened(
                T,
                1,
                "a",
                1,
                "h:443",
                "192.0.2.1:443",
                "r",
                new AuditEvent.Seen("tls", "cover.example", true)));
    assertThat(tls)
        .endsWith(
            ",\"rule\":\"r\",\"protocol\":\"tls\",\"server_name\":\"cover.example\",\"ech\":true,\"direction\":\"forward\"}");
    assertThat(JsonLines.parse(tls)).containsEntry("ech", true);

    String http =
        AuditJson.encode(
            new AuditEvent.StreamClosed(
                T,
                1,
                "a",
                1,
                "h:80",
                "192.0.2.1:80",
                "r",
                1,
                2,
                3,
                "fin",
                null,
                "fin",
                new AuditEvent.Seen("http", null, false)));
    assertThat(JsonLines.parse(http).keySet())
        .endsWith("detail", "protocol", "direction")
        .doesNotContain("server_name", "ech");

    String plain =
        AuditJson.encode(new AuditEvent.StreamOpened(T, 1, "a", 1, "h:1", "1.1.1.1:1", "r"));
    assertThat(JsonLines.parse(plain).keySet()).doesNotContain("protocol", "server_name", "ech");
  }

  @Test
  void aStreamIdAboveTwoToTheThirtyOneIsWrittenUnsigned() {
    String line =
        AuditJson.encode(
            new AuditEvent.StreamOpened(T, 1, "a", 0xFFFFFFFF, "h:1", "1.1.1.1:1", "r"));
    assertThat(JsonLines.parse(line)).containsEntry("stream", 4294967295L);
  }

  @Test
  void controlCharactersAndLineSeparatorsAreEscapedExactlySoAndOtherTextIsKept() {
    // The written form is part of the audit file's format: short escapes only for \" \\ \n \r \t,
    // every other control character, DEL, U+2028/U+2029 and a lone surrogate as lower-case \\u
    // escapes; other text (é, a surrogate pair) as it is.
    String line =
        AuditJson.encode(
            new AuditEvent.Reloaded(
                T,
                "\b\f\u0001\u001f\u007f\u2028\u2029\"\\/\n\r\té\ud83d\ude00",
                0,
                List.of("x\udc00y")));
    assertThat(line)
        .isEqualTo(
            "{\"time\":\"2025-06-01T12:00:00.123Z\",\"event\":\"reload\","
                + "\"source\":\"\\u0008\\u000c\\u0001\\u001f\\u007f\\u2028\\u2029\\\"\\\\/\\n\\r\\té\ud83d\ude00\","
                + "\"clients\":0,\"revoked\":[\"x\\udc00y\"]}");
  }

  @Test
  void aStringWithALoneSurrogateHasAllItsSurrogatesEscapedAndReadsBackTheSame() {
    String mixed = "\ud800\ud83d\ude00";
    String line = AuditJson.encode(new AuditEvent.Reloaded(T, mixed, 0, List.of()));
    assertThat(line).contains("\"source\":\"\\ud800\\ud83d\\ude00\"");
    assertThat(JsonLines.parse(line)).containsEntry("source", mixed);
  }
}
