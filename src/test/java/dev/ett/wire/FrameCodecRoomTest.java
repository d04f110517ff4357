package dev.ett.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/**
 * Goal of this test: a frame fits in exactly {@link FrameCodec#encodedLength} bytes. The record
 * layer packs frames into a record of at most 65519 bytes using that length; a frame that needs
 * more room while it is written ended the link with an IndexOutOfBoundsException (found by
 * AttackFloodTest: an OPEN flood filled records with REFUSED frames whose reasons were written with
 * writeCharSequence, which asks for 3 bytes of room per character).
 */
class FrameCodecRoomTest {
  @Test
  void refusedAndGoawayFitInTheirEncodedLength() {
    for (Frame f :
        new Frame[] {
          new Frame.Refused(1, RefuseCode.TOO_MANY_STREAMS, "64 streams, 16 opening"),
          new Frame.GoAway(GoawayCode.PROTOCOL_ERROR, "x".repeat(Frame.MAX_REASON_BYTES + 10)),
          new Frame.Refused(3, RefuseCode.POLICY, "é".repeat(150)),
        }) {
      int len = FrameCodec.encodedLength(f);
      ByteBuf exact = Unpooled.buffer(len, len);
      try {
        FrameCodec.encode(f, exact);
        assertThat(exact.readableBytes()).isEqualTo(len);
      } finally {
        exact.release();
      }
    }
  }
}
