package dev.ett.fuzz;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ett.config.KeyFile;
import dev.ett.front.Users;
import dev.ett.link.Suite;
import dev.ett.noise.HandshakeState;
import dev.ett.wire.Destination;
import dev.ett.wire.Frame;
import dev.ett.wire.FrameCodec;
import dev.ett.wire.GoawayCode;
import dev.ett.wire.RefuseCode;
import dev.ett.wire.ResetCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Writes the seed inputs of the fuzz targets into {@code src/test/resources/dev/ett/fuzz/}
 * (Jazzer's layout: {@code <TestClass>Inputs/<method>/<name>}). Skipped unless run with {@code
 * -Dett.writeSeeds=true} from the project directory: the seeds are checked in, and this is how they
 * were made — the handshake bytes by a real client against a real server pipeline with the fixed
 * {@link FuzzKeys}, the frames as ett's mux writes them, the proxy requests byte for byte as curl
 * 7.88/8.x sends them.
 */
class SeedCorpusWriter {
  private static final Path ROOT = Path.of("src/test/resources/dev/ett/fuzz");

  @Test
  void writeSeeds() throws Exception {
    assumeTrue(
        Boolean.getBoolean("ett.writeSeeds"),
        "run with -Dett.writeSeeds=true to rewrite the seeds");
    handshakes();
    frames();
    proxyRequests();
    configFiles();
    firstBytes();
  }

  private static void write(String target, String method, String name, byte[] bytes)
      throws Exception {
    Path dir = ROOT.resolve(target + "Inputs").resolve(method);
    Files.createDirectories(dir);
    Files.write(dir.resolve(name), bytes);
  }

  private static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] u16(int n) {
    return new byte[] {(byte) (n >> 8), (byte) n};
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  // ---- handshake -------------------------------------------------------------------------------

  private static void handshakes() throws Exception {
    for (Suite suite : Suite.values()) {
      try (ServerPipeline p = new ServerPipeline()) {
        HandshakeState hs = p.sendInitiation(suite);
        hs.destroy();
        byte[] msg1 = p.lastReceived;
        String s = suite.name().toLowerCase(java.util.Locale.ROOT);
        write(
            "ServerHandshakeFuzzTest",
            "firstBytes",
            "real-message1-" + s,
            cat(new byte[] {0}, msg1));
        write(
            "ServerHandshakeFuzzTest",
            "firstBytes",
            "real-message1-" + s + "-in-7-byte-reads",
            cat(new byte[] {7}, msg1));
        ByteBuf msg2 = p.server.readOutbound();
        write(
            "ClientHandshakeFuzzTest",
            "response",
            "real-message2-" + s,
            ByteBufUtil.getBytes(msg2));
        msg2.release();
      }
    }
    write(
        "ServerHandshakeFuzzTest",
        "firstBytes",
        "preamble-only",
        cat(new byte[] {0}, ascii("ETT!"), new byte[] {1, 1, 0, 0}));
    write(
        "ServerHandshakeFuzzTest",
        "firstBytes",
        "http-request",
        cat(new byte[] {0}, ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    write(
        "ServerHandshakeFuzzTest",
        "firstBytes",
        "tls-client-hello-start",
        cat(new byte[] {0}, new byte[] {0x16, 3, 1, 0, (byte) 0xa5, 1, 0, 0, (byte) 0xa1, 3, 3}));
    write("ClientHandshakeFuzzTest", "response", "empty-record", u16(0));
    write("ClientHandshakeFuzzTest", "response", "short-record", cat(u16(48), new byte[48]));
  }

  // ---- frames ----------------------------------------------------------------------------------

  private static byte[] encode(Frame... frames) {
    ByteBuf b = Unpooled.buffer();
    for (Frame f : frames) {
      FrameCodec.encode(f, b);
      if (f instanceof Frame.Data d) {
        d.release();
      }
    }
    byte[] out = ByteBufUtil.getBytes(b);
    b.release();
    return out;
  }

  private static Frame.Data data(int stream, String s) {
    return new Frame.Data(stream, Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
  }

  private static void frames() throws Exception {
    InetAddress v4 = InetAddress.getByName("93.184.216.34");
    InetAddress v6 = InetAddress.getByName("2001:db8::1");
    String get =
        "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    List<byte[]> records =
        List.of(
            encode(new Frame.Open(1, Destination.ofName("example.com", 443))),
            encode(new Frame.Open(1, Destination.ofName("example.com", 80)), data(1, get)),
            encode(
                new Frame.Open(3, Destination.of(v4, 80)),
                new Frame.Open(5, Destination.of(v6, 22))),
            encode(data(1, "x".repeat(1400)), new Frame.Fin(1)),
            encode(new Frame.Window(1, 131072), new Frame.Window(3, 1)),
            encode(
                new Frame.Reset(1, ResetCode.CANCEL),
                new Frame.Reset(3, ResetCode.DESTINATION_RESET)),
            encode(new Frame.Ping(0x0102030405060708L), new Frame.Pong(42)),
            encode(new Frame.GoAway(GoawayCode.NORMAL, "shutting down")),
            encode(new Frame.Refused(1, RefuseCode.POLICY, "not allowed by policy")),
            encode(new Frame.Opened(1, Destination.of(v4, 443))),
            encode(
                new Frame.KeyExchange(
                    KeyFile.parsePublic("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="))),
            encode(new Frame.KeyExchangeDone()),
            encode(data(1, "last bytes"), new Frame.Rekey()),
            encode(
                new Frame.OpenBadName(1, ascii("a b.example"), 80),
                data(1, get),
                new Frame.Open(3, Destination.of(v4, 80))));
    for (int i = 0; i < records.size(); i++) {
      write("FrameCodecFuzzTest", "decode", "frames-" + i, records.get(i));
    }
    // Whole sessions for the record layer: u16 length + plaintext, back to back.
    write(
        "RecordLayerFuzzTest",
        "records",
        "open-data-fin-window",
        cat(
            u16(records.get(1).length),
            records.get(1),
            u16(records.get(3).length),
            records.get(3),
            u16(records.get(4).length),
            records.get(4)));
    write(
        "RecordLayerFuzzTest",
        "records",
        "three-opens-then-resets",
        cat(
            u16(records.get(0).length),
            records.get(0),
            u16(records.get(2).length),
            records.get(2),
            u16(records.get(5).length),
            records.get(5)));
    write(
        "RecordLayerFuzzTest",
        "records",
        "ping-goaway",
        cat(
            u16(records.get(6).length),
            records.get(6),
            u16(records.get(7).length),
            records.get(7)));
    write(
        "RecordLayerFuzzTest",
        "records",
        "keyx",
        cat(
            u16(records.get(10).length),
            records.get(10),
            u16(records.get(11).length),
            records.get(11)));
    write(
        "RecordLayerFuzzTest",
        "records",
        "rekey",
        cat(
            u16(records.get(12).length),
            records.get(12),
            u16(records.get(6).length),
            records.get(6)));
    write(
        "RecordLayerFuzzTest",
        "records",
        "opened-from-client-is-an-error",
        cat(u16(records.get(9).length), records.get(9)));
    write("RecordLayerFuzzTest", "records", "empty-record", u16(0));
    write(
        "RecordLayerFuzzTest",
        "records",
        "bad-name-open-then-good-open",
        cat(u16(records.get(13).length), records.get(13)));
  }

  // ---- proxy requests (what curl sends) --------------------------------------------------------

  private static void proxyRequests() throws Exception {
    byte[] name = ascii("example.com");
    byte[] socks5Connect = cat(new byte[] {5, 1, 0, 3, (byte) name.length}, name, u16(80));
    byte[] userpass = cat(new byte[] {1, 5}, ascii("alice"), new byte[] {6}, ascii("s3cret"));
    byte[] socks4 =
        cat(
            new byte[] {4, 1},
            u16(80),
            new byte[] {93, (byte) 184, (byte) 216, 34},
            new byte[] {0});
    byte[] socks4a =
        cat(
            new byte[] {4, 1},
            u16(80),
            new byte[] {0, 0, 0, 1},
            ascii("alice"),
            new byte[] {0},
            name,
            new byte[] {0});
    String ua = "User-Agent: curl/8.5.0\r\n";
    byte[] connect =
        ascii(
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
                + ua
                + "Proxy-Connection: Keep-Alive\r\n\r\n");
    byte[] get =
        ascii(
            "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
                + ua
                + "Accept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n");
    String basic =
        "Proxy-Authorization: Basic "
            + Base64.getEncoder().encodeToString(ascii("alice:s3cret"))
            + "\r\n";
    byte[] getAuth =
        ascii(
            "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n"
                + basic
                + ua
                + "Accept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n");
    byte[] connectAuth =
        ascii(
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
                + basic
                + ua
                + "Proxy-Connection: Keep-Alive\r\n\r\n");
    byte[] postChunked =
        ascii(
            "POST http://example.com/upload HTTP/1.1\r\nHost: example.com\r\n"
                + ua
                + "Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n");
    byte[] postLength =
        ascii(
            "POST http://example.com/form HTTP/1.1\r\nHost: example.com\r\n"
                + ua
                + "Content-Length: 7\r\n\r\na=b&c=d");
    byte[] pipelined =
        cat(get, ascii("GET http://example.com/two HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    byte[] v6 =
        cat(
            new byte[] {5, 1, 0, 5, 1, 0, 4},
            InetAddress.getByName("2001:db8::1").getAddress(),
            u16(443));
    byte[] socks5Bind = cat(new byte[] {5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1}, u16(80));
    byte[] badName = ascii("a\nb.example");
    byte[] socks5BadName =
        cat(new byte[] {5, 1, 0, 5, 1, 0, 3, (byte) badName.length}, badName, u16(80));
    byte[] socks4aBadName =
        cat(new byte[] {4, 1}, u16(80), new byte[] {0, 0, 0, 1, 0}, badName, new byte[] {0});
    for (String method : List.of("anonymous", "withUsers")) {
      write(
          "ProxyFrontFuzzTest",
          method,
          "curl-socks5-hostname",
          cat(new byte[] {5, 1, 0}, socks5Connect));
      write(
          "ProxyFrontFuzzTest",
          method,
          "curl-socks5-user",
          cat(new byte[] {5, 2, 0, 2}, userpass, socks5Connect));
      write("ProxyFrontFuzzTest", method, "curl-socks5-ipv6", v6);
      write("ProxyFrontFuzzTest", method, "socks5-bind", socks5Bind);
      write("ProxyFrontFuzzTest", method, "curl-socks4", socks4);
      write("ProxyFrontFuzzTest", method, "curl-socks4a", socks4a);
      write("ProxyFrontFuzzTest", method, "curl-http-connect", connect);
      write("ProxyFrontFuzzTest", method, "curl-http-connect-auth", connectAuth);
      write("ProxyFrontFuzzTest", method, "curl-http-get", get);
      write("ProxyFrontFuzzTest", method, "curl-http-get-auth", getAuth);
      write("ProxyFrontFuzzTest", method, "curl-http-post-chunked", postChunked);
      write("ProxyFrontFuzzTest", method, "curl-http-post-length", postLength);
      write("ProxyFrontFuzzTest", method, "pipelined-gets", pipelined);
      write("ProxyFrontFuzzTest", method, "socks5-bad-name", socks5BadName);
      write("ProxyFrontFuzzTest", method, "socks4a-bad-name", socks4aBadName);
    }
  }

  // ---- first bytes of streams (real captures in src/test/resources/dev/ett/inspect/) -----------

  private static byte[] capture(String name) throws Exception {
    try (java.io.InputStream in =
        SeedCorpusWriter.class.getResourceAsStream("/dev/ett/inspect/" + name)) {
      return in.readAllBytes();
    }
  }

  private static void firstBytes() throws Exception {
    byte[] more = {0};
    byte[] atLimit = {1};
    for (String c : List.of("openssl-clienthello", "curl-clienthello", "java-clienthello")) {
      byte[] hello = capture(c);
      write("FirstBytesFuzzTest", "clientHello", c, cat(more, hello));
      write(
          "FirstBytesFuzzTest",
          "clientHello",
          c + "-half-at-limit",
          cat(atLimit, java.util.Arrays.copyOf(hello, hello.length / 2)));
      // The same handshake message cut into 64-byte records.
      ByteArrayOutputStream split = new ByteArrayOutputStream();
      for (int i = 5; i < hello.length; i += 64) {
        int n = Math.min(64, hello.length - i);
        split.writeBytes(new byte[] {22, 3, 1, 0, (byte) n});
        split.write(hello, i, n);
      }
      write(
          "FirstBytesFuzzTest",
          "clientHello",
          c + "-in-64-byte-records",
          cat(more, split.toByteArray()));
    }
    write("FirstBytesFuzzTest", "clientHello", "ssh-ident", cat(more, capture("ssh-ident")));
    write(
        "FirstBytesFuzzTest",
        "clientHello",
        "ssl2-hello",
        cat(more, new byte[] {(byte) 0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10}));
    for (String c : List.of("curl-http-get", "curl-http-post", "curl-http2-prior")) {
      write("FirstBytesFuzzTest", "httpRequest", c, cat(more, capture(c)));
    }
    write(
        "FirstBytesFuzzTest",
        "httpRequest",
        "absolute-form",
        cat(more, ascii("GET http://[2001:db8::1]:8080/x?y HTTP/1.1\r\nHost: a.example\r\n\r\n")));
    write(
        "FirstBytesFuzzTest",
        "httpRequest",
        "connect",
        cat(
            more,
            ascii("CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n")));
    write(
        "FirstBytesFuzzTest",
        "httpRequest",
        "options-http10",
        cat(atLimit, ascii("OPTIONS * HTTP/1.0\r\nX-A: b\r\n\r\n")));
    write(
        "FirstBytesFuzzTest",
        "httpRequest",
        "obs-fold",
        cat(more, ascii("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n")));
    write("FirstBytesFuzzTest", "sshIdentification", "openssh", cat(more, capture("ssh-ident")));
    write(
        "FirstBytesFuzzTest",
        "sshIdentification",
        "putty-1.99",
        cat(more, ascii("SSH-1.99-PuTTY_Release_0.80 comment\r\n")));
    write(
        "FirstBytesFuzzTest",
        "sshIdentification",
        "banner-line-first",
        cat(atLimit, ascii("Welcome\r\nSSH-2.0-x\r\n")));
  }

  // ---- config files ----------------------------------------------------------------------------

  private static void configFiles() throws Exception {
    write(
        "ConfigFuzzTest",
        "policyRules",
        "readme-example",
        ascii("accept 10.1.0.0/16:5432, accept *.example.com:443"));
    write(
        "ConfigFuzzTest",
        "policyRules",
        "all-targets",
        ascii(
            "reject private:*, accept *4:80, accept *6:443, accept [2001:db8::]/32:1-1024, accept 127.0.0.1/8:22,80, accept *:*"));
    write("ConfigFuzzTest", "policyRules", "web", ascii("web"));
    write(
        "ConfigFuzzTest",
        "authorizedFile",
        "readme-example",
        ascii(
            "# authorized\n"
                + "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= alice accept 10.1.0.0/16:5432, accept *.example.com:443\n"
                + "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw= bob   streams=20 rate=5 burst=10\n"));
    write(
        "ConfigFuzzTest",
        "hostsFile",
        "etc-hosts",
        ascii(
            "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n# split horizon\n10.1.2.3 db.internal db\n"));
    write(
        "ConfigFuzzTest",
        "policyFile",
        "two-lines",
        ascii("# global\naccept 10.0.0.0/8:5432\nweb\nreject *:25\n"));
    write(
        "ConfigFuzzTest",
        "usersFile",
        "one-user",
        ascii("# users\n" + Users.line("alice", "s3cret", 1000) + "\n"));
  }
}
