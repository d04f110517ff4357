package dev.ett.audit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A syslog collector the audit trail is sent to: {@code syslog://HOST[:PORT]} (TCP, RFC 6587) or
 * {@code syslog+tls://HOST[:PORT]} (TLS, RFC 5425), default ports 514 and 6514.
 *
 * <p>TLS checks the collector's certificate against {@code ca} (PEM, one or more certificates) or,
 * without it, the JDK's trust store, and checks that the certificate names {@code host} (a name, or
 * an address in an IP SAN), as HTTPS does (RFC 2818/6125): RFC 5425 §5.2 leaves the choice to the
 * operator, and a trail sent to whoever answers is not an audit trail.
 *
 * <p>Blocking sockets are used on purpose: only {@link AuditWriter}'s own thread touches them,
 * never an event loop, and a blocking write is the simplest way to know which message went out
 * whole.
 */
public record SyslogTarget(String host, int port, boolean tls, Path ca) {
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  public SyslogTarget {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("syslog host: empty (expected: a name or an address)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("syslog port: " + port + " (expected: 1~65535)");
    }
    if (ca != null && !tls) {
      throw new IllegalArgumentException(
          "a syslog CA file is for syslog+tls:// only (the target is syslog://" + host + ")");
    }
  }

  /** True if {@code spec} names a syslog target rather than a file. */
  public static boolean isSyslog(String spec) {
    return spec.startsWith("syslog://") || spec.startsWith("syslog+tls://");
  }

  /**
   * Parses {@code syslog://HOST[:PORT]} or {@code syslog+tls://HOST[:PORT]}; an IPv6 address in
   * brackets.
   */
  public static SyslogTarget parse(String spec, Path ca) {
    boolean tls = spec.startsWith("syslog+tls://");
    if (!tls && !spec.startsWith("syslog://")) {
      throw new IllegalArgumentException(
          spec + " (expected: syslog://HOST[:PORT] or syslog+tls://HOST[:PORT])");
    }
    String rest = spec.substring(spec.indexOf("://") + 3);
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    String host = rest;
    String port = null;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || (close + 1 < rest.length() && rest.charAt(close + 1) != ':')) {
        throw new IllegalArgumentException(
            spec + ": bad IPv6 address (expected: syslog://[ADDRESS]:PORT)");
      }
      host = rest.substring(1, close);
      port = close + 1 < rest.length() ? rest.substring(close + 2) : null;
    } else if (rest.indexOf(':') >= 0) {
      if (rest.indexOf(':') != rest.lastIndexOf(':')) {
        throw new IllegalArgumentException(
            spec + ": an IPv6 address goes in brackets (expected: syslog://[ADDRESS]:PORT)");
      }
      host = rest.substring(0, rest.indexOf(':'));
      port = rest.substring(rest.indexOf(':') + 1);
    }
    if (host.isEmpty() || host.contains("/") || host.contains("@")) {
      throw new IllegalArgumentException(
          spec + ": bad host (expected: syslog://HOST[:PORT] or syslog+tls://HOST[:PORT])");
    }
    int p;
    if (port == null) {
      p = tls ? 6514 : 514;
    } else {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(spec + ": port " + port + " (expected: 1~65535)", e);
      }
    }
    return new SyslogTarget(host, p, tls, ca);
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return (tls ? "syslog+tls://" : "syslog://") + h + ":" + port;
  }

  /**
   * The TLS context, built once at start-up so that an unreadable CA file fails then, not at the
   * first event; null for plain TCP.
   */
  public SSLContext tlsContext() throws IOException {
    if (!tls) {
      return null;
    }
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (ca == null) {
        tmf.init((KeyStore) null);
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(ca)) {
          certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (certs.isEmpty()) {
          throw new IOException(ca + ": no certificate (expected: PEM CA certificates)");
        }
        int i = 0;
        for (Certificate c : certs) {
          store.setCertificateEntry("ca" + i++, c);
        }
        tmf.init(store);
      }
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          (ca == null ? "the JDK's trust store" : ca.toString()) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Connects (and for TLS completes the handshake, checking the certificate) and returns the stream
   * the writer writes framed messages to. Each {@code write} call of the stream sends its bytes
   * whole or throws.
   */
  public Connection connect(SSLContext context) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setKeepAlive(true);
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
      if (tls) {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(socket, host, port, true);
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(params);
        s.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
        s.startHandshake();
        socket = s;
      }
      return new Connection(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** One connection to the collector: writes, and tells whether the collector hung up. */
  public static final class Connection extends OutputStream implements AuditWriter.Liveness {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = socket.getInputStream();
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    /**
     * A collector never sends anything (RFC 6587 is one-way), so a read that does not time out
     * means it closed the connection (end of stream, a TLS close_notify or an error): rsyslog does
     * so when it stops. Seen before a write, the messages go to the next connection instead of into
     * a socket nobody reads. Anything it did send is read and ignored.
     */
    @Override
    public boolean peerClosed() {
      try {
        socket.setSoTimeout(1);
        byte[] buf = new byte[512];
        while (true) {
          if (in.read(buf) < 0) {
            return true;
          }
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
