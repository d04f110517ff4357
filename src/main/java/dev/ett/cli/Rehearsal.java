package dev.ett.cli;

import dev.ett.bench.Load;
import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
import dev.ett.front.ForwardFront;
import dev.ett.front.ForwardSpec;
import dev.ett.front.ProxyFront;
import dev.ett.front.ProxySpec;
import dev.ett.link.LinkConfig;
import dev.ett.link.Suite;
import dev.ett.noise.KeyPair;
import dev.ett.noise.X25519;
import dev.ett.policy.Policy;
import dev.ett.server.Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A whole tunnel in one process, on loopback: a server, a client with a -L forward and a SOCKS5
 * port, an echo destination; handshakes, short connections through both fronts, and a bulk
 * transfer, each checked byte for byte. {@code ett selftest} runs it to show the machine can run
 * ett; {@code bin/ett} runs it once per build as the training run of the JDK's ahead-of-time cache
 * ({@code -XX:AOTCacheOutput}), so the classes and method profiles of exactly these paths are ready
 * when a real server or client starts.
 */
final class Rehearsal {
  /** What one rehearsal did, for its summary line. */
  record Result(long linkMillis, int connections, long bulkBytes, long bulkNanos) {
    String summary() {
      double mbps = bulkBytes / 1e6 / (bulkNanos / 1e9);
      return String.format(
          "selftest: link up in %d ms; %d connections through -L and SOCKS5 echoed; %d MiB through -L at %.0f MB/s: ok",
          linkMillis, connections, bulkBytes >> 20, mbps);
    }
  }

  private Rehearsal() {}

  static Result run(int connections, long bulkBytes) throws Exception {
    KeyPair serverKey = X25519.generate();
    KeyPair clientKey = X25519.generate();
    TestTarget target =
        TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO);
    Server server = null;
    Client client = null;
    ForwardFront forward = null;
    ProxyFront proxy = null;
    try {
      int port = target.address().getPort();
      server =
          new Server(
              new Server.Options(
                  new InetSocketAddress("127.0.0.1", 0),
                  serverKey,
                  AuthorizedFile.parse(
                      "authorized", KeyFile.encode(clientKey.publicKey()) + " selftest\n"),
                  Policy.parse("accept 127.0.0.1:" + port),
                  null,
                  LinkConfig.defaults(),
                  256,
                  1));
      InetSocketAddress s = server.start();
      long t0 = System.nanoTime();
      client =
          new Client(
              new Client.Options(
                  s, serverKey.publicKey(), clientKey, Suite.AESGCM, LinkConfig.defaults(), 1024));
      forward = new ForwardFront(ForwardSpec.parse("127.0.0.1:0:127.0.0.1:" + port), client);
      InetSocketAddress l = forward.start();
      proxy =
          new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
      InetSocketAddress d = proxy.start();
      client.start().get(10, TimeUnit.SECONDS);
      long linkMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      byte[] hello = "ett selftest\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      for (int i = 0; i < connections; i++) {
        try (Socket c = open(l)) {
          echo(c, hello);
        } catch (IOException e) {
          throw new IOException("connection " + (i + 1) + " through -L: " + e.getMessage(), e);
        }
        try (SocketChannel ch = SocketChannel.open(d)) {
          // The benchmark's own SOCKS5 CONNECT; then the channel's socket view, in blocking mode.
          Load.socks5Connect(ch, target.address());
          Socket c = ch.socket();
          c.setSoTimeout(10_000);
          echo(c, hello);
        } catch (IOException e) {
          throw new IOException("connection " + (i + 1) + " through SOCKS5: " + e.getMessage(), e);
        }
      }
      long b0 = System.nanoTime();
      try (Socket c = open(l)) {
        bulk(c, bulkBytes);
      }
      return new Result(linkMillis, 2 * connections, bulkBytes, System.nanoTime() - b0);
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      if (forward != null) {
        forward.close();
      }
      if (client != null) {
        client.close();
      }
      if (server != null) {
        server.close();
      }
      target.close();
    }
  }

  private static Socket open(InetSocketAddress a) throws IOException {
    Socket c = new Socket();
    c.setSoTimeout(10_000);
    c.setTcpNoDelay(true);
    c.connect(a, 10_000);
    return c;
  }

  private static void echo(Socket c, byte[] bytes) throws IOException {
    c.getOutputStream().write(bytes);
    byte[] back = c.getInputStream().readNBytes(bytes.length);
    if (!Arrays.equals(back, bytes)) {
      throw new IOException("the echo came back as " + back.length + " other bytes");
    }
  }

  /** Sends {@code n} bytes of a known pattern and reads them back from the echo, checking each. */
  private static void bulk(Socket c, long n) throws Exception {
    Thread writer =
        Thread.ofPlatform()
            .name("selftest-writer")
            .start(
                () -> {
                  byte[] chunk = pattern(0);
                  try {
                    OutputStream out = c.getOutputStream();
                    for (long sent = 0; sent < n; sent += chunk.length) {
                      out.write(chunk, 0, (int) Math.min(chunk.length, n - sent));
                    }
                    c.shutdownOutput();
                  } catch (IOException e) {
                    // The reader sees the stream end short and says so.
                  }
                });
    InputStream in = c.getInputStream();
    byte[] expected = pattern(0);
    byte[] buf = new byte[expected.length];
    long got = 0;
    while (got < n) {
      int r;
      try {
        r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
      } catch (IOException e) {
        throw new IOException(
            "bulk echo: " + e.getMessage() + " after " + got + " of " + n + " bytes", e);
      }
      if (r < 0) {
        throw new IOException("bulk echo ended after " + got + " of " + n + " bytes");
      }
      // got is a multiple of the pattern's length plus an offset; compare in at most two runs.
      int off = (int) (got % expected.length);
      int first = Math.min(r, expected.length - off);
      if (!Arrays.equals(buf, 0, first, expected, off, off + first)
          || !Arrays.equals(buf, first, r, expected, 0, r - first)) {
        throw new IOException("bulk echo differs within bytes " + got + ".." + (got + r));
      }
      got += r;
    }
    writer.join(10_000);
  }

  private static byte[] pattern(int seed) {
    byte[] b = new byte[64 * 1024];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }
}
