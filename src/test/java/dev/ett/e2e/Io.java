package dev.ett.e2e;

import dev.ett.bench.TestTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Blocking socket helpers for end-to-end tests. */
final class Io {
  private Io() {}

  static Socket connect(InetSocketAddress a) throws IOException {
    Socket s = new Socket();
    s.connect(a, 5000);
    s.setSoTimeout(30_000);
    s.setTcpNoDelay(true);
    return s;
  }

  /**
   * A SOCKS5 CONNECT through {@code proxy} to 127.0.0.1:{@code port} without authentication,
   * answered with success; returns the socket, now a stream to the destination.
   */
  static Socket socks5(InetSocketAddress proxy, int port) throws IOException {
    Socket s = connect(proxy);
    java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
    s.getOutputStream().write(HexFormat.of().parseHex("050100"));
    byte[] method = new byte[2];
    in.readFully(method);
    org.assertj.core.api.Assertions.assertThat(HexFormat.of().formatHex(method)).isEqualTo("0500");
    s.getOutputStream()
        .write(HexFormat.of().parseHex("05010001" + "7f000001" + String.format("%04x", port)));
    byte[] reply = new byte[10];
    in.readFully(reply);
    org.assertj.core.api.Assertions.assertThat(reply[1]).as("SOCKS5 reply code").isZero();
    return s;
  }

  /** Sends {@code size} seeded-random bytes, half-closes, and returns the hex SHA-256 of them. */
  static String pushRandom(Socket s, long size, long seed) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    Random r = new Random(seed);
    byte[] buf = new byte[64 * 1024];
    OutputStream out = s.getOutputStream();
    for (long left = size; left > 0; ) {
      int n = (int) Math.min(buf.length, left);
      r.nextBytes(buf);
      out.write(buf, 0, n);
      sha.update(buf, 0, n);
      left -= n;
    }
    out.flush();
    s.shutdownOutput();
    return HexFormat.of().formatHex(sha.digest());
  }

  static String readLine(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      sb.append((char) c);
    }
    return sb.toString();
  }

  /**
   * Asks a SOURCE target for {@code size} bytes and reads them, checking every byte against the
   * pattern. Returns the number of bytes read before EOF; throws on a mismatch.
   */
  static long pullPattern(Socket s, long size) throws IOException {
    s.getOutputStream().write(ByteBuffer.allocate(8).putLong(size).array());
    InputStream in = s.getInputStream();
    byte[] buf = new byte[64 * 1024];
    long off = 0;
    for (int n; (n = in.read(buf)) != -1; ) {
      for (int i = 0; i < n; i++) {
        if (buf[i] != TestTarget.pattern(off + i)) {
          throw new AssertionError("corrupted byte at offset " + (off + i));
        }
      }
      off += n;
    }
    return off;
  }

  static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("EOF after " + b.length + " of " + n + " bytes");
    }
    return b;
  }
}
