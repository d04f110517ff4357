package dev.ett.audit.trail;

/** Audit lines written by hand, as docs/audit.md spells them, for the trail tests. */
final class Lines {
  private Lines() {}

  static String up(String time, long link, String client, String fp, String remote) {
    return "{\"time\":\"%s\",\"event\":\"link_up\",\"link\":%d,\"client\":\"%s\",\"fingerprint\":\"%s\",\"remote\":\"%s\",\"suite\":\"Noise_IK_25519_AESGCM_SHA256\"}"
        .formatted(time, link, client, fp, remote);
  }

  static String down(String time, long link, String client, String remote) {
    return "{\"time\":\"%s\",\"event\":\"link_down\",\"link\":%d,\"client\":\"%s\",\"fingerprint\":\"00\",\"remote\":\"%s\",\"reason\":\"closed\",\"duration_ms\":1}"
        .formatted(time, link, client, remote);
  }

  static String opened(
      String time, long link, String client, int stream, String requested, String source) {
    return ("{\"time\":\"%s\",\"event\":\"stream_opened\",\"link\":%d,\"client\":\"%s\",\"stream\":%d,\"requested\":\"%s\",\"resolved\":\"%s\""
            + (source == null ? "" : ",\"source\":\"" + source + "\"")
            + ",\"rule\":\"accepted by global rule 1 'accept 127.0.0.0/8:*'\"}")
        .formatted(time, link, client, stream, requested, resolved(requested));
  }

  static String closed(
      String time, long link, String client, int stream, String requested, long up, long down) {
    return "{\"time\":\"%s\",\"event\":\"stream_closed\",\"link\":%d,\"client\":\"%s\",\"stream\":%d,\"requested\":\"%s\",\"resolved\":\"%s\",\"rule\":\"accepted by global rule 1 'accept 127.0.0.0/8:*'\",\"bytes_from_client\":%d,\"bytes_to_client\":%d,\"duration_ms\":1000,\"end\":\"fin\",\"by\":null,\"detail\":\"fin\"}"
        .formatted(time, link, client, stream, requested, resolved(requested), up, down);
  }

  static String refused(
      String time, long link, String client, int stream, String end, String code) {
    return "{\"time\":\"%s\",\"event\":\"stream_refused\",\"link\":%d,\"client\":\"%s\",\"stream\":%d,\"requested\":\"x.example:22\",\"resolved\":null,\"rule\":null,\"end\":\"%s\",\"code\":\"%s\",\"reason\":\"because\"}"
        .formatted(time, link, client, stream, end, code);
  }

  /** A name resolves to 10.9.9.9 in these tests; an address to itself. */
  private static String resolved(String requested) {
    return Character.isDigit(requested.charAt(0))
        ? requested
        : "10.9.9.9" + requested.substring(requested.lastIndexOf(':'));
  }
}
