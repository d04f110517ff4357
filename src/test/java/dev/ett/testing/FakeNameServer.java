package dev.ett.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A name server on 127.0.0.1 UDP for tests, answering from a fixed table (RFC 1035 §4.1, just
 * enough of it): a name in the table gets its A or AAAA records (NOERROR and no record for other
 * types); a name {@code silent} accepts is never answered (a name server that hangs); any other
 * name gets NXDOMAIN. Counts the queries it saw per name.
 */
public final class FakeNameServer implements AutoCloseable {
  private static final int TYPE_A = 1;
  private static final int TYPE_AAAA = 28;

  private final DatagramSocket socket;
  private final Map<String, List<InetAddress>> records;
  private final Predicate<String> silent;
  private final int ttlSeconds;
  private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
  private final Thread thread;

  private FakeNameServer(
      Map<String, List<InetAddress>> records, Predicate<String> silent, int ttlSeconds)
      throws SocketException {
    this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    this.records = Map.copyOf(records);
    this.silent = silent;
    this.ttlSeconds = ttlSeconds;
    this.thread = new Thread(this::serve, "fake-name-server");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * @param records lower-case names and their addresses
   * @param silent names never answered
   * @param ttlSeconds the TTL of every record sent
   */
  public static FakeNameServer start(
      Map<String, List<InetAddress>> records, Predicate<String> silent, int ttlSeconds)
      throws SocketException {
    return new FakeNameServer(records, silent, ttlSeconds);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  /** Queries seen for {@code name} (any type). */
  public int queries(String name) {
    AtomicInteger n = queries.get(name.toLowerCase(Locale.ROOT));
    return n == null ? 0 : n.get();
  }

  /** Distinct names that {@code which} accepts and that were asked for at least once. */
  public long namesQueried(Predicate<String> which) {
    return queries.keySet().stream().filter(which).count();
  }

  private void serve() {
    byte[] buf = new byte[1500];
    while (!socket.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
        byte[] answer = answer(buf, p.getLength());
        if (answer != null) {
          socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
        }
      } catch (IOException | RuntimeException e) {
        // closed, or a query we do not understand: a name server drops it too
      }
    }
  }

  /** The response to one query, or null to stay silent. */
  private byte[] answer(byte[] q, int length) {
    if (length < 12 || ((q[4] << 8) | (q[5] & 0xff)) != 1) {
      return null; // QDCOUNT must be 1
    }
    // Question: labels, then QTYPE and QCLASS.
    int i = 12;
    StringBuilder name = new StringBuilder();
    while (q[i] != 0) {
      int len = q[i] & 0xff;
      if (len > 63 || i + 1 + len >= length) {
        return null;
      }
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(q, i + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
      i += 1 + len;
    }
    int questionEnd = i + 5;
    int qtype = ((q[i + 1] & 0xff) << 8) | (q[i + 2] & 0xff);
    String n = name.toString().toLowerCase(Locale.ROOT);
    queries.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
    if (silent.test(n)) {
      return null;
    }
    List<InetAddress> all = records.get(n);
    int rcode = all == null ? 3 : 0; // NXDOMAIN for names we do not have
    List<InetAddress> matching =
        all == null
            ? List.of()
            : all.stream()
                .filter(
                    a ->
                        qtype == TYPE_A
                            ? a instanceof Inet4Address
                            : qtype == TYPE_AAAA && a instanceof Inet6Address)
                .toList();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(q[0]); // ID
    out.write(q[1]);
    out.write(0x84 | (q[2] & 0x79)); // QR, AA, the query's opcode and RD
    out.write(0x80 | rcode); // RA
    short16(out, 1); // QDCOUNT
    short16(out, matching.size()); // ANCOUNT
    short16(out, 0); // NSCOUNT
    short16(out, 0); // ARCOUNT
    out.write(q, 12, questionEnd - 12);
    for (InetAddress a : matching) {
      short16(out, 0xc00c); // the name: a pointer to the question's
      short16(out, qtype);
      short16(out, 1); // IN
      short16(out, ttlSeconds >>> 16);
      short16(out, ttlSeconds & 0xffff);
      byte[] addr = a.getAddress();
      short16(out, addr.length);
      out.write(addr, 0, addr.length);
    }
    return out.toByteArray();
  }

  private static void short16(ByteArrayOutputStream out, int v) {
    out.write((v >>> 8) & 0xff);
    out.write(v & 0xff);
  }

  @Override
  public void close() {
    socket.close();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
