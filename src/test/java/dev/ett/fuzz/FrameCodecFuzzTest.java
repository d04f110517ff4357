package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.wire.Frame;
import dev.ett.wire.FrameCodec;
import dev.ett.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: frame decoding (PROTOCOL.md §5) of any record plaintext an authenticated peer
 * can send either delivers frames or throws {@link ProtocolException} — nothing else — and every
 * frame it delivers encodes back to the bytes it came from, with no payload left unreleased.
 */
@Tag("fuzz")
class FrameCodecFuzzTest {
  @FuzzTest
  void decode(@NotNull @WithLength(max = Frame.MAX_RECORD_PLAINTEXT) byte[] plaintext) {
    ByteBuf in = Unpooled.wrappedBuffer(plaintext);
    List<Frame> frames = new ArrayList<>();
    try {
      FrameCodec.decode(in, frames::add);
    } catch (ProtocolException expected) {
      // the frames before the bad one were delivered; they must still round-trip below
    }
    ByteBuf out = Unpooled.buffer();
    try {
      for (Frame f : frames) {
        FrameCodec.encode(f, out);
        assertThat(FrameCodec.encodedLength(f)).isGreaterThanOrEqualTo(Frame.HEADER_LENGTH);
      }
      // What we encode from decoded frames decodes to frames that encode the same way (a decoded
      // frame is always one we can send; reasons and mapped IPv6 addresses may be re-spelled).
      List<Frame> again = new ArrayList<>();
      ByteBuf copy = out.copy();
      ByteBuf out2 = Unpooled.buffer();
      try {
        FrameCodec.decode(copy, again::add);
        for (Frame f : again) {
          FrameCodec.encode(f, out2);
        }
        assertThat(ByteBufBytes.of(out2)).isEqualTo(ByteBufBytes.of(out));
      } catch (ProtocolException e) {
        throw new AssertionError(
            "re-encoded frames do not decode: " + e.getMessage() + " " + frames, e);
      } finally {
        again.forEach(
            f -> {
              if (f instanceof Frame.Data d) {
                d.release();
              }
            });
        copy.release();
        out2.release();
      }
    } finally {
      out.release();
      frames.forEach(
          f -> {
            if (f instanceof Frame.Data d) {
              d.release();
            }
          });
      assertThat(in.refCnt()).as("decode must not release the record").isEqualTo(1);
      in.release();
    }
  }
}
