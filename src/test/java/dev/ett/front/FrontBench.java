package dev.ett.front;

import dev.ett.bench.TestTarget;
import dev.ett.client.Client;
import dev.ett.config.AuthorizedFile;
import dev.ett.config.KeyFile;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * New connections per second (connect, 100-byte request, 100-byte echo, close) and 64-byte
 * ping-pong latency, direct to an echo target, through {@code -L}, and through {@code -D} speaking
 * SOCKS5 (greeting, CONNECT, reply: the two extra round trips a real SOCKS client pays). Server,
 * client and target run in this JVM on separate event loops, over loopback.
 *
 * <p>Run with {@code bench/fronts.sh [SECONDS]}; not a test (no assertions), kept with the tests so
 * the main jar does not carry it.
 */
public final class FrontBench {
  enum Path {
    DIRECT,
    FORWARD_L,
    SOCKS5_D
  }

  private final InetSocketAddress target, forward, proxy;

  private FrontBench(InetSocketAddress target, InetSocketAddress forward, InetSocketAddress proxy) {
    this.target = target;
    this.forward = forward;
    this.proxy = proxy;
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    dev.ett.util.Log.setLevel(0);
    KeyPair serverKey = X25519.generate(), clientKey = X25519.generate();
    try (TestTarget echo =
        TestTarget.start(new InetSocketAddress("127.0.0.1", 0), TestTarget.Mode.ECHO)) {
      InetSocketAddress t = echo.address();
      Server server =
          new Server(
              new Server.Options(
                  new InetSocketAddress("127.0.0.1", 0),
                  serverKey,
                  AuthorizedFile.parse(
                      "authorized", KeyFile.encode(clientKey.publicKey()) + " bench\n"),
                  Policy.parse("accept 127.0.0.1:" + t.getPort()),
                  null,
                  LinkConfig.defaults(),
                  256,
                  1));
      InetSocketAddress s = server.start();
      Client client =
          new Client(
              new Client.Options(
                  s, serverKey.publicKey(), clientKey, Suite.AESGCM, LinkConfig.defaults(), 4096));
      ForwardFront l =
          new ForwardFront(ForwardSpec.parse("127.0.0.1:0:127.0.0.1:" + t.getPort()), client);
      ProxyFront d =
          new ProxyFront(new ProxySpec("127.0.0.1", 0), client, null, ProxyFront.Limits.defaults());
      FrontBench b = new FrontBench(t, l.start(), d.start());
      client.start().get();
      System.out.printf("%-10s %14s %14s %14s%n", "path", "conn/s", "ping p50 us", "ping p99 us");
      for (Path p : Path.values()) {
        b.connections(p, 1, threads); // warm-up
        b.pingPong(p, 2000);
        double cps = b.connections(p, seconds, threads);
        long[] lat = b.pingPong(p, 20_000);
        System.out.printf(
            "%-10s %14.0f %14.1f %14.1f%n",
            p, cps, lat[lat.length / 2] / 1e3, lat[lat.length * 99 / 100] / 1e3);
      }
      d.close();
      l.close();
      client.close();
      server.close();
    }
  }

  private Socket open(Path p) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000);
    switch (p) {
      case DIRECT -> s.connect(target);
      case FORWARD_L -> s.connect(forward);
      case SOCKS5_D -> {
        s.connect(proxy);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        out.write(new byte[] {5, 1, 0});
        readFully(in, 2);
        byte[] req =
            HexFormat.of()
                .parseHex("05010001" + "7f000001" + String.format("%04x", target.getPort()));
        out.write(req);
        byte[] reply = readFully(in, 10);
        if (reply[1] != 0) {
          throw new IOException("SOCKS5 reply " + reply[1]);
        }
      }
    }
    return s;
  }

  /** Connections per second with {@code threads} clients in a closed loop. */
  private double connections(Path p, double seconds, int threads) throws Exception {
    LongAdder done = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> ts = new ArrayList<>();
    byte[] request = new byte[100];
    for (int i = 0; i < threads; i++) {
      Thread th =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!stop.get()) {
                      try (Socket s = open(p)) {
                        s.getOutputStream().write(request);
                        readFully(s.getInputStream(), request.length);
                        done.increment();
                      } catch (IOException e) {
                        System.err.println(p + ": " + e);
                        return;
                      }
                    }
                  });
      ts.add(th);
    }
    long start = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    stop.set(true);
    for (Thread th : ts) {
      th.join();
    }
    return done.sum() / ((System.nanoTime() - start) / 1e9);
  }

  /** Round-trip times of 64-byte messages on one connection, sorted, in nanoseconds. */
  private long[] pingPong(Path p, int rounds) throws IOException {
    long[] lat = new long[rounds];
    byte[] ping = new byte[64];
    try (Socket s = open(p)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        out.write(ping);
        readFully(in, ping.length);
        lat[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(lat);
    return lat;
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("EOF after " + b.length + " of " + n + " bytes");
    }
    return b;
  }
}
