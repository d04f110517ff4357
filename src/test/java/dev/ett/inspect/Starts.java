package dev.ett.inspect;

import java.nio.charset.StandardCharsets;

/** Stream starts for tests outside this package: a ClientHello with a chosen SNI and the like. */
public final class Starts {
  private Starts() {}

  /** A minimal valid TLS ClientHello; {@code sni} null for none. */
  public static byte[] clientHello(String sni) {
    return sni == null ? FirstBytesTest.hello() : FirstBytesTest.hello(FirstBytesTest.sni(sni));
  }

  /** {@code GET / HTTP/1.1} with {@code Host: host}. */
  public static byte[] httpGet(String host) {
    return ("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: t\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** OpenSSH's identification string. */
  public static byte[] sshBanner() {
    return "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".getBytes(StandardCharsets.US_ASCII);
  }
}
