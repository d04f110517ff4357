package dev.ett.front;

import dev.ett.wire.RefuseCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;

/** The few responses an HTTP proxy front writes itself; every one but 200 closes the connection. */
final class HttpReplies {
  private HttpReplies() {}

  /** RFC 9110 §9.3.6: any 2xx to a CONNECT means the tunnel is up; no body, no Content-Length. */
  static ByteBuf connectionEstablished() {
    return Unpooled.copiedBuffer(
        "HTTP/1.1 200 Connection established\r\n\r\n", StandardCharsets.US_ASCII);
  }

  /** 403 for policy, 504 for a timeout, 502 for every other failure to reach the destination. */
  static HttpResponseStatus statusFor(RefuseCode code) {
    return switch (code) {
      case POLICY -> HttpResponseStatus.FORBIDDEN;
      case TIMED_OUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
      default -> HttpResponseStatus.BAD_GATEWAY;
    };
  }

  /** 414 / 431 for a request line or head over the limits, 400 for anything else malformed. */
  static HttpResponseStatus statusFor(Throwable decoderFailure) {
    if (decoderFailure instanceof TooLongHttpLineException) {
      return HttpResponseStatus.REQUEST_URI_TOO_LONG;
    }
    if (decoderFailure instanceof TooLongHttpHeaderException) {
      return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    return HttpResponseStatus.BAD_REQUEST;
  }

  static ByteBuf error(HttpResponseStatus status, String message) {
    return response(status, "", message);
  }

  static ByteBuf proxyAuthRequired() {
    return response(
        HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED,
        "Proxy-Authenticate: Basic realm=\"ett\", charset=\"UTF-8\"\r\n",
        "proxy authentication required");
  }

  private static ByteBuf response(HttpResponseStatus status, String extraHeaders, String message) {
    byte[] body =
        ("ett: " + message.replaceAll("[\\r\\n]", " ") + "\n").getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status.code()
            + " "
            + status.reasonPhrase()
            + "\r\n"
            + extraHeaders
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: "
            + body.length
            + "\r\n"
            + "Connection: close\r\n"
            + "Proxy-Connection: close\r\n\r\n";
    return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
  }
}
