package dev.ett.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ett.wire.Frame;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: which bytes count towards --rekey-bytes (PROTOCOL.md §7.1). The volume is the
 * plaintext of the records sealed under the current key (frame headers and bodies; not the 2-byte
 * length, not the tag); the record that reaches the limit is followed by a record holding only
 * REKEY, still counted under the old key, and the new key's count starts at 0.
 */
class RekeyVolumeTest {
  private final LinkHarness h = new LinkHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  void aRekeyFollowsEveryRecordThatBringsTheVolumeToTheLimitCountedFromZero() {
    h.clientConfig = h.clientConfig.withRekey(4096, h.clientConfig.rekeyInterval());
    h.establish();
    // Records of 4089 plaintext bytes (one DATA frame: 7-byte header + 4082): the second brings
    // the volume to 8178 >= 4096, so REKEY; then the count is 0 again, and again only the second
    // record after it reaches the limit. Had the REKEY record's 7 bytes counted under the new key,
    // one record (7 + 4089 = 4096) would have been enough from the second key on.
    // The client's first record, the PING it sends at once (PROTOCOL.md §4), counted already under
    // the first key: the first record here is smaller by as much.
    io.netty.buffer.ByteBuf ping = Unpooled.buffer();
    dev.ett.wire.FrameCodec.encode(new Frame.Ping(0), ping);
    int pingRecord = ping.readableBytes();
    ping.release();
    for (int i = 1; i <= 6; i++) {
      int plaintext = i == 1 ? 4089 - pingRecord : 4089;
      h.client.writeOutbound(
          new Frame.Data(1, Unpooled.wrappedBuffer(new byte[plaintext - Frame.HEADER_LENGTH])));
      h.toServer();
      for (Object m; (m = h.server.readInbound()) != null; ) {
        ReferenceCountUtil.release(m);
      }
      assertThat(h.clientRecords().keyCounters()[0])
          .as("REKEYs after record " + i)
          .isEqualTo(i / 2);
    }
    assertThat(h.serverRecords().keyCounters()[1]).as("REKEYs the server applied").isEqualTo(3);
  }
}
