package dev.ett.server;

import dev.ett.policy.AddressRange;
import dev.ett.policy.Addresses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text and v2 binary) that a TCP load
 * balancer sends before the client's first byte when {@code --proxy-protocol} is on: it carries the
 * client's address as the balancer saw it, which the server then uses everywhere it would use the
 * connection's own (per-source handshake slots, logs, metrics, the audit trail's {@code remote}).
 *
 * <p>The header is parsed by Netty's {@link HAProxyMessageDecoder} (no parser of our own): it
 * detects v1 or v2 from the first bytes, fails at once on anything else, bounds a v1 line to its
 * 108 bytes and a v2 header to 16 bytes + addresses + {@link #MAX_TLV_BYTES} of TLVs. This handler
 * stands after it and turns its one message into a {@link Source}; then both step aside and the
 * bytes that followed the header (the ett preamble) flow on to the link's handlers, which {@link
 * Outcome#read} installs.
 *
 * <p>Trust: the header is believed only from a {@code --proxy-from} source (checked by the caller
 * before this is installed; see {@link #trusted}). The connection is unauthenticated until the
 * header is read, so every failure closes silently and is only counted: no header within the
 * deadline, bytes that are not a header, a peer that closes mid-header. A peer that closes without
 * sending a byte is the balancer's plain TCP health check: {@link Outcome#checked}, not a failure.
 *
 * <p>Ownership: the decoder releases the bytes it consumed; this handler releases the {@link
 * HAProxyMessage} it receives.
 */
final class ProxyHeader extends ChannelInboundHandlerAdapter {
  /**
   * TLVs after the v2 addresses (our choice): HAProxy sends none unless told to (proxy-v2-options);
   * its unique-id, authority or SSL TLVs fit in far less. A header with more is refused before it
   * is buffered.
   */
  static final int MAX_TLV_BYTES = 1024;

  /** "PROXY " (proxy-protocol.txt 2.1). */
  private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);

  /** \r\n\r\n\0\r\nQUIT\n (proxy-protocol.txt 2.2). */
  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  /**
   * The largest header taken: v2's 16 bytes, its largest addresses (216, AF_UNIX) and {@link
   * #MAX_TLV_BYTES}; a v1 line is at most 107 bytes.
   */
  static final int MAX_HEADER_BYTES = 16 + 216 + MAX_TLV_BYTES;

  /** Where a connection really comes from: set once its header is read. */
  static final AttributeKey<Source> SOURCE = AttributeKey.valueOf("ett.proxy.source");

  /**
   * The client's address from the header ({@code PROXY} command, TCP over IPv4 or IPv6), or the
   * connection's own address for the balancer's own connections ({@code local}: the v2 {@code
   * LOCAL} command of a health check, or v1 {@code UNKNOWN}, whose addresses the spec says to
   * ignore).
   */
  record Source(InetSocketAddress address, boolean local) {
    Source {
      if (address == null || address.getAddress() == null) {
        throw new IllegalArgumentException("address: " + address + " (expected: an IP and port)");
      }
    }
  }

  /** What became of the header; exactly one is called, once, on the channel's event loop. */
  interface Outcome {
    /** The header was read: install the link's handlers (this handler is gone already). */
    void read(Channel ch, Source source);

    /** No valid header: garbage, a peer that closed mid-header, or none in time. Closed. */
    void failed(Channel ch, String why);

    /** Closed by the balancer without a byte: a plain TCP health check. */
    void checked(Channel ch);
  }

  private enum State {
    AWAIT_HEADER,
    DONE
  }

  private final Duration deadline;
  private final Outcome outcome;
  private State state = State.AWAIT_HEADER;
  private ChannelHandlerContext ctx;
  private boolean spoke;

  /** Bytes received and compared with the signatures so far, and which still match. */
  private long total;

  private int seen;
  private boolean v1 = true, v2 = true;
  private ScheduledFuture<?> timer;

  private ProxyHeader(Duration deadline, Outcome outcome) {
    this.deadline = deadline;
    this.outcome = outcome;
  }

  /**
   * Puts the decoder and this handler first in {@code ch}'s pipeline; the link's handlers come
   * after the header, through {@code outcome}.
   */
  static void install(Channel ch, Duration deadline, Outcome outcome) {
    ProxyHeader h = new ProxyHeader(deadline, outcome);
    ch.pipeline()
        .addLast(
            "proxy-decoder",
            new HAProxyMessageDecoder(MAX_TLV_BYTES) {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                h.spoke = true;
                if (msg instanceof ByteBuf b && !h.plausible(b)) {
                  b.release();
                  h.fail(h.ctx, "not a PROXY header");
                  return;
                }
                super.channelRead(ctx, msg);
              }
            })
        .addLast("proxy", h);
  }

  /**
   * Whether the bytes so far can still be a header: they start as one of the two signatures, and
   * had no more than the largest header we take before this read. Netty's decoder takes anything
   * without the v2 signature for a v1 line and waits for its end, and waits for a whole v2 header
   * whatever length it announces: without this, an ett client that connects directly (no header),
   * or a header announcing 64 KiB, would be closed only at the deadline. Checks bytes, parses
   * nothing.
   */
  private boolean plausible(ByteBuf b) {
    for (int i = b.readerIndex(); i < b.writerIndex() && seen < V2_SIGNATURE.length; i++, seen++) {
      byte x = b.getByte(i);
      v1 &= seen >= V1_SIGNATURE.length || x == V1_SIGNATURE[seen];
      v2 &= x == V2_SIGNATURE[seen];
    }
    // Bounded before this read: the read that completes a header may carry the client's first
    // bytes after it (the decoder passes them on).
    boolean bounded = total <= MAX_HEADER_BYTES;
    total += b.readableBytes();
    return (v1 || v2) && bounded;
  }

  /** Whether a header from {@code peer} is believed: it is one of {@code --proxy-from}. */
  static boolean trusted(List<AddressRange> from, InetAddress peer) {
    InetAddress a = Addresses.normalize(peer);
    for (AddressRange r : from) {
      if (r.contains(a)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    timer =
        ctx.executor()
            .schedule(
                () -> fail(ctx, "none within " + deadline.toSeconds() + " s"),
                deadline.toMillis(),
                TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HAProxyMessage m)) {
      // The decoder passes nothing else before its message, and is gone after it.
      ReferenceCountUtil.release(msg);
      throw new IllegalStateException("bytes before the PROXY header: " + msg.getClass());
    }
    try {
      if (state != State.AWAIT_HEADER) {
        return;
      }
      state = State.DONE;
      timer.cancel(false);
      Source s = source(m, (InetSocketAddress) ctx.channel().remoteAddress());
      ctx.channel().attr(SOURCE).set(s);
      ctx.pipeline().remove(this);
      outcome.read(ctx.channel(), s);
    } finally {
      m.release();
    }
  }

  /**
   * The client's address from {@code m}: its source for a proxied TCP connection, else {@code own}
   * (proxy-protocol.txt 2.1 and 2.2: with UNKNOWN or LOCAL "the receiver must ignore" the addresses
   * and use the connection's).
   */
  static Source source(HAProxyMessage m, InetSocketAddress own) {
    HAProxyProxiedProtocol p = m.proxiedProtocol();
    if (m.command() == HAProxyCommand.PROXY
        && (p == HAProxyProxiedProtocol.TCP4 || p == HAProxyProxiedProtocol.TCP6)) {
      return new Source(
          new InetSocketAddress(
              Addresses.normalize(Addresses.parseLiteral(m.sourceAddress())), m.sourcePort()),
          false);
    }
    return new Source(own, true);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // HAProxyProtocolException from the decoder (it closes the channel too), or our own bug.
    fail(ctx, Server.describe(cause));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (state == State.AWAIT_HEADER) {
      state = State.DONE;
      timer.cancel(false);
      if (spoke) {
        outcome.failed(ctx.channel(), "closed mid-header");
      } else {
        outcome.checked(ctx.channel());
      }
    }
    super.channelInactive(ctx);
  }

  private void fail(ChannelHandlerContext ctx, String why) {
    if (state != State.AWAIT_HEADER) {
      ctx.close();
      return;
    }
    state = State.DONE;
    timer.cancel(false);
    outcome.failed(ctx.channel(), why);
    ctx.close();
  }
}
