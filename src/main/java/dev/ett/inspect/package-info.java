/**
 * First-bytes inspection: whether the first bytes a client sends on a stream are the start of the
 * protocol an exit rule expects ({@code accept *:443 tls}), and which server name they ask for.
 * Groundwork for issue 16; the exit does not call it yet.
 *
 * <h2>API</h2>
 *
 * <ul>
 *   <li>{@link dev.ett.inspect.Protocol}: {@code tls}, {@code http}, {@code http2}, {@code ssh};
 *       {@code Protocol.parse(word)} throws {@code IllegalArgumentException} naming the valid
 *       words.
 *   <li>{@link dev.ett.inspect.FirstBytes#inspect(Protocol, java.nio.ByteBuffer, boolean)
 *       FirstBytes.inspect(expected, bytes, atLimit)}: pure, stateless, never throws on any input.
 *       Give it all bytes from the stream's start (position to limit); it reads them by absolute
 *       index and leaves the buffer's position, limit and content alone, copying nothing but the
 *       name it reports. It looks at {@link dev.ett.inspect.FirstBytes#MAX_BYTES} (16 KiB) at most.
 *       Its answer, an {@link dev.ett.inspect.Inspection}:
 *       <ul>
 *         <li>{@code NeedMore}: a valid start; call again with more bytes. Never returned when
 *             {@code atLimit} (the caller's byte bound is reached) — then it is a {@code
 *             Mismatched} "HTTP request headers longer than N bytes" and the like. On a time bound,
 *             the caller decides itself.
 *         <li>{@code Matched(protocol, serverName, ech)}: the start is complete. {@code serverName}
 *             is lower-case printable ASCII without port or trailing dot: the TLS SNI host_name
 *             (with ECH, {@code ech} is true and this is the outer, public name), the HTTP
 *             request-target's authority (absolute-form, CONNECT) else the Host header's host;
 *             empty if none was sent, and always for SSH and HTTP/2. Bytes after the complete start
 *             do not change the answer.
 *         <li>{@code Mismatched(seen)}: {@code seen} says what the bytes look like, for an
 *             operator, without payload: "an SSH banner", "a TLS ClientHello", "the start of a TLS
 *             ClientHello", "a TLS alert record", "an SSLv2-compatible ClientHello", "an HTTP GET
 *             request", "an HTTP/2 preface", "a SOCKS5 greeting", "a SOCKS4 request", "a malformed
 *             TLS ClientHello", "an HTTP/1.1 request without Host", "N bytes of unknown data".
 *             {@code reason(expected)} gives "expected a TLS ClientHello, saw an SSH banner".
 *       </ul>
 * </ul>
 *
 * <h2>What each protocol must look like</h2>
 *
 * <ul>
 *   <li><b>tls</b> ({@code ClientHello}): handshake records (type 22, version 0x0301..0x0304,
 *       length 1..2^14) carrying one ClientHello (type 1) whose length is consistent, possibly
 *       across several records, the last of which ends with it; client_version 0x0301..0x0303,
 *       session id at most 32 bytes, an even non-empty cipher-suite list, compression methods,
 *       extensions that fill the body exactly (common ones' inner lengths checked), server_name and
 *       encrypted_client_hello at most once, one host_name that is a DNS name. SSLv2-format hellos
 *       are refused.
 *   <li><b>http</b> ({@code HttpRequest}): {@code METHOD SP target SP HTTP/1.0|1.1 CRLF}, header
 *       fields, CRLF (RFC 9112); the target's form must fit the method (CONNECT authority-form with
 *       a port, OPTIONS may use {@code *}); Host required for 1.1, at most one, no userinfo; no
 *       obs-fold, bare CR or LF, space before the colon, control characters in values.
 *   <li><b>http2</b>: exactly the prior-knowledge preface {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}.
 *   <li><b>ssh</b> ({@code SshIdentification}): {@code SSH-2.0-} or {@code SSH-1.99-},
 *       softwareversion, optional SP comments, CR LF, at most 255 bytes (RFC 4253 §4.2), as the
 *       first line: a client sends it at once and sends no other line before it. Protocols in which
 *       the server speaks first (SMTP, FTP) cannot be recognised from a client's bytes.
 * </ul>
 *
 * <p>Depends on the JDK only (kept so by {@code arch.LayeringTest}).
 */
package dev.ett.inspect;
