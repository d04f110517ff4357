package dev.ett.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: whatever bytes come first on a --proxy-protocol connection from a trusted
 * source — a PROXY header (v1 or v2) or not, whole or cut, in one read or several — the server
 * writes nothing, lets no exception out, releases every buffer, and reports exactly one outcome
 * (header read, no valid header, or a health check) once the connection is closed. When a header is
 * read, its source is an IP address and port, and the bytes after it reach the link's handlers in
 * order and unchanged.
 *
 * <p>Input: its first byte says how to cut the rest into reads (0: one read; n: reads of n bytes).
 * The saved inputs (src/test/resources/dev/ett/server/ProxyHeaderFuzzTestInputs) are headers
 * HAProxy sends and damaged ones; JAZZER_FUZZ=1 fuzzes for real.
 */
@Tag("fuzz")
class ProxyHeaderFuzzTest {
  static final InetSocketAddress BALANCER = new InetSocketAddress("127.0.0.1", 4242);

  @FuzzTest
  void anyBytes(@NotNull @WithLength(max = 4096) byte[] input) {
    List<String> outcomes = new ArrayList<>();
    List<ByteBuf> written = new ArrayList<>();
    ByteBuf after = Unpooled.buffer();
    EmbeddedChannel ch =
        new EmbeddedChannel() {
          @Override
          protected SocketAddress remoteAddress0() {
            return BALANCER;
          }
        };
    ProxyHeader.install(
        ch,
        Duration.ofSeconds(10),
        new ProxyHeader.Outcome() {
          @Override
          public void read(Channel c, ProxyHeader.Source source) {
            outcomes.add("read");
            assertThat(source.address().getAddress()).isNotNull();
            assertThat(source.address().getPort()).isBetween(0, 65535);
            assertThat(Server.clientAddress(c)).isEqualTo(source.address());
            c.pipeline()
                .addLast(
                    new ChannelInboundHandlerAdapter() {
                      @Override
                      public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        after.writeBytes(b);
                        b.release();
                      }
                    });
          }

          @Override
          public void failed(Channel c, String why) {
            outcomes.add("failed");
          }

          @Override
          public void checked(Channel c) {
            outcomes.add("checked");
          }
        });
    int chunk = input.length == 0 ? 0 : input[0] & 0xff;
    int i = Math.min(1, input.length);
    while (i < input.length && ch.isOpen()) {
      int n = chunk == 0 ? input.length - i : Math.min(chunk, input.length - i);
      ByteBuf b = Unpooled.wrappedBuffer(Arrays.copyOfRange(input, i, i + n));
      written.add(b);
      ch.writeInbound(b);
      i += n;
      assertThat(outcomes).as("at most one outcome").hasSizeLessThanOrEqualTo(1);
    }
    ch.close();
    ch.checkException();
    assertThat(outcomes).as("exactly one outcome once closed").hasSize(1);
    assertThat((Object) ch.readOutbound()).as("nothing is written to the balancer").isNull();
    assertThat((Object) ch.readInbound()).as("nothing passes the pipeline's end").isNull();
    assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).as("released").isZero());
    if (outcomes.get(0).equals("read")) {
      // What followed the header, and no more: the input's tail, in order.
      byte[] tail = new byte[after.readableBytes()];
      after.readBytes(tail);
      int n = tail.length;
      assertThat(Arrays.copyOfRange(input, input.length - n, input.length)).isEqualTo(tail);
    } else {
      assertThat(after.readableBytes()).isZero();
    }
    ReferenceCountUtil.release(after);
  }
}
