package dev.ett.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Goal of these tests: {@code ett status} reads the Prometheus text format as Prometheus writes it
 * (labels with escapes, special values, comments) and prints a server's and a client's state as a
 * short table, the busiest clients first.
 */
class StatusCommandTest {
  @Test
  void parserReadsNamesLabelsWithEscapesAndSpecialValues() {
    List<PromText.Sample> s =
        PromText.parse(
            """
            # HELP ett_links Links up.
            # TYPE ett_links gauge
            ett_links 2.0
            ett_policy_decisions_total{outcome="accepted",policy="client a \\"b\\"\\\\c",rule="1"} 3 1700000000000
            x_bucket{le="+Inf"} +Inf
            y { a = "1" , b="" } NaN

            """);
    assertThat(s).hasSize(4);
    assertThat(s.get(0)).isEqualTo(new PromText.Sample("ett_links", Map.of(), 2));
    assertThat(s.get(1).labels())
        .containsExactly(
            Map.entry("outcome", "accepted"),
            Map.entry("policy", "client a \"b\"\\c"),
            Map.entry("rule", "1"));
    assertThat(s.get(1).value()).isEqualTo(3);
    assertThat(s.get(2).value()).isInfinite();
    assertThat(s.get(3).label("a")).isEqualTo("1");
    assertThat(s.get(3).label("b")).isEmpty();
    assertThat(s.get(3).label("absent")).isEmpty();
    assertThat(s.get(3).value()).isNaN();
  }

  @Test
  void parserNamesTheLineItCannotRead() {
    assertThatThrownBy(() -> PromText.parse("ok 1\nbad{a=1} 2\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("metrics line 2: label value not quoted: bad{a=1} 2");
    assertThatThrownBy(() -> PromText.parse("novalue\n"))
        .hasMessageStartingWith("metrics line 1: no value");
  }

  static final String SERVER =
      """
      ett_info{role="server",version="ett 0.1.0 (protocol 1)"} 1
      ett_links 3
      ett_handshakes_total{outcome="ok"} 5
      ett_handshakes_total{outcome="unknown_key"} 2
      ett_handshakes_total{outcome="silent"} 0
      ett_streams 4
      ett_streams_opened_total 40
      ett_streams_refused_total{answer="refused",reason="POLICY"} 6
      ett_streams_refused_total{answer="reset",reason="POLICY"} 1
      ett_streams_refused_total{answer="refused",reason="GENERAL"} 0
      ett_stream_bytes_total{direction="from_client"} 1536
      ett_stream_bytes_total{direction="to_client"} 3145728
      ett_stream_buffered_bytes 0
      ett_control_frames_queued 0
      ett_audit_events_written_total 100
      ett_audit_events_dropped_total 0
      ett_audit_events_failed_total 0
      ett_client_links{client="alice"} 1
      ett_client_links{client="bob"} 2
      ett_client_links{client="carol"} 0
      ett_client_streams{client="alice"} 1
      ett_client_streams{client="bob"} 3
      ett_client_streams{client="carol"} 0
      ett_client_streams_opened_total{client="alice"} 10
      ett_client_streams_opened_total{client="bob"} 30
      ett_client_streams_opened_total{client="carol"} 0
      ett_client_stream_bytes_total{client="alice",direction="from_client"} 512
      ett_client_stream_bytes_total{client="alice",direction="to_client"} 1048576
      ett_client_stream_bytes_total{client="bob",direction="from_client"} 1024
      ett_client_stream_bytes_total{client="bob",direction="to_client"} 2097152
      ett_client_stream_bytes_total{client="carol",direction="from_client"} 0
      ett_client_stream_bytes_total{client="carol",direction="to_client"} 0
      """;

  @Test
  void aServersStatusListsTheBusiestClientsFirst() {
    String out =
        StatusCommand.render(
            "http://127.0.0.1:9469", PromText.parse(SERVER), "ok: listening on 127.0.0.1:7000", 2);
    assertThat(out)
        .isEqualTo(
            """
            server at http://127.0.0.1:9469, ett 0.1.0 (protocol 1)
              health:   ok: listening on 127.0.0.1:7000
              links:    3 up; handshakes: 5 ok, 2 rejected (2 unknown_key)
              streams:  4 open, 40 opened, 7 refused (6 POLICY, 1 reset POLICY)
              transfer: 1.5 KiB from client(s), 3.0 MiB to client(s)
              buffered: 0 B, 0 control frame(s) queued
              audit:    100 written, 0 dropped, 0 failed

              client  links  streams    opened  from client    to client
              bob         2        3        30      1.0 KiB      2.0 MiB
              alice       1        1        10        512 B      1.0 MiB
              (1 more; --top N lists more)
            """);
  }

  @Test
  void aClientsStatusSaysWhetherItsLinkIsUp() {
    String page =
        """
        ett_info{role="client",version="v"} 1
        ett_links 0
        ett_handshakes_total{outcome="ok"} 2
        ett_handshakes_total{outcome="failed"} 7
        ett_reconnects_total 1
        ett_streams 0
        ett_streams_opened_total 3
        ett_stream_bytes_total{direction="from_client"} 10
        ett_stream_bytes_total{direction="to_client"} 20
        ett_control_frames_queued 0
        """;
    assertThat(
            StatusCommand.render(
                "http://[::1]:9469", PromText.parse(page), "not ok: link down: refused", 10))
        .isEqualTo(
            """
            client at http://[::1]:9469, v
              health:   not ok: link down: refused
              link:     down, 2 handshake(s) ok, 7 failed, 1 reconnect(s)
              streams:  0 open, 3 opened, 0 refused
              transfer: 10 B from client(s), 20 B to client(s)
            """);
  }

  @Test
  void aClientWithSeveralLinksSaysHowManyAreUp() {
    String page =
        """
        ett_info{role="client",version="v"} 1
        ett_links 2
        ett_handshakes_total{outcome="ok"} 2
        ett_handshakes_total{outcome="failed"} 0
        ett_reconnects_total 1
        ett_streams 0
        ett_streams_opened_total 0
        """;
    assertThat(StatusCommand.render("http://127.0.0.1:9469", PromText.parse(page), "ok", 10))
        .contains("  link:     up (2 links), 2 handshake(s) ok, 0 failed, 1 reconnect(s)\n");
  }
}
