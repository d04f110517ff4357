package dev.ett.front;

import dev.ett.client.Client;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.X25519;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A real {@code -D} port on 127.0.0.1 that requires users, for tests that log in over sockets the
 * way an application does. Nothing reaches a link: the client's server is a dead port, and a
 * CONNECT after a successful login just waits.
 */
final class LoginPort implements AutoCloseable {
  /** What a SOCKS5 login got: the RFC 1929 status (0 success), or -1 when closed without one. */
  record Result(int status, long millis) {
    boolean accepted() {
      return status == 0;
    }
  }

  final Client client;
  final ProxyFront front;
  final InetSocketAddress address;

  LoginPort(Authenticator authenticator) throws InterruptedException, java.net.BindException {
    client =
        new Client(
            new Client.Options(
                new InetSocketAddress("127.0.0.1", 9),
                X25519.generate().publicKey(),
                X25519.generate(),
                Suite.AESGCM,
                LinkConfig.defaults(),
                16));
    front =
        new ProxyFront(
            new ProxySpec("127.0.0.1", 0),
            client,
            authenticator,
            new ProxyFront.Limits(4096, Duration.ofSeconds(10)));
    address = front.start();
  }

  /** A SOCKS5 username/password login from 127.0.0.1. */
  Result login(String user, String password) throws IOException {
    return login(null, user, password);
  }

  /**
   * A SOCKS5 username/password login from {@code from} (an address in 127.0.0.0/8, or null for
   * any); the time is from sending the password to the answer (or the close).
   */
  Result login(String from, String user, String password) throws IOException {
    return login(from, user, password, 15_000);
  }

  /**
   * As {@link #login(String, String, String)}, giving up (SocketTimeoutException) after {@code
   * timeoutMillis}.
   */
  Result login(String from, String user, String password, int timeoutMillis) throws IOException {
    try (Socket s = new Socket()) {
      if (from != null) {
        s.bind(new InetSocketAddress(from, 0));
      }
      s.connect(address, 5000);
      s.setSoTimeout(timeoutMillis);
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write(new byte[] {5, 1, 2});
      byte[] method = new byte[2];
      in.readFully(method);
      if (method[1] != 2) {
        throw new IOException("method " + method[1] + " (expected: 2, username/password)");
      }
      byte[] u = user.getBytes(StandardCharsets.UTF_8),
          p = password.getBytes(StandardCharsets.UTF_8);
      byte[] auth = new byte[3 + u.length + p.length];
      auth[0] = 1;
      auth[1] = (byte) u.length;
      System.arraycopy(u, 0, auth, 2, u.length);
      auth[2 + u.length] = (byte) p.length;
      System.arraycopy(p, 0, auth, 3 + u.length, p.length);
      long t0 = System.nanoTime();
      out.write(auth);
      int status;
      try {
        in.readByte(); // VER
        status = in.readUnsignedByte();
      } catch (EOFException | java.net.SocketException closed) {
        status = -1;
      }
      return new Result(status, (System.nanoTime() - t0) / 1_000_000);
    }
  }

  @Override
  public void close() {
    front.close();
    client.close();
  }
}
