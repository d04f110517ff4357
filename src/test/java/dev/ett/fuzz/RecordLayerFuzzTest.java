package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.wire.Frame;
import dev.ett.wire.ProtocolException;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: an authenticated client can send the server any sequence of records (each
 * properly sealed, holding any plaintext) and the server's record layer and mux either act on the
 * frames or end the link with a protocol error. Nothing else escapes (no IllegalStateException, no
 * IllegalArgumentException from a frame constructor, no NPE), and once the link is closed every
 * buffer it allocated has been released.
 *
 * <p>Input: records back to back, each {@code u16 length} + that many plaintext bytes (a short last
 * one takes what is left). The server's exit connects every third stream, refuses every third and
 * answers the rest only when the test ends, so OPEN, DATA, WINDOW, FIN and RESET meet streams in
 * every state.
 *
 * <p>The link starts established from fixed transport keys ({@link
 * ServerPipeline.afterHandshake()}), not from a real handshake: the handshake has a target of its
 * own ({@link ServerHandshakeFuzzTest}), and its Diffie-Hellman operations would cost more than
 * everything else an input does here.
 */
@Tag("fuzz")
class RecordLayerFuzzTest {
  @FuzzTest
  void records(@NotNull @WithLength(max = 1 << 17) byte[] input) throws Exception {
    try (ServerPipeline p = ServerPipeline.afterHandshake()) {
      int i = 0;
      while (i < input.length && p.server.isOpen()) {
        int len = i + 2 <= input.length ? ((input[i] & 0xff) << 8 | (input[i + 1] & 0xff)) : 0;
        i += 2;
        len = Math.min(Math.min(len, Frame.MAX_RECORD_PLAINTEXT), Math.max(0, input.length - i));
        boolean more =
            p.sendRecord(
                Arrays.copyOfRange(
                    input, Math.min(i, input.length), Math.min(i, input.length) + len));
        i += len;
        if (!more) {
          break; // the server moved to KEYX keys this test client does not derive
        }
        p.server.runPendingTasks();
        p.discardOutbound();
      }
      for (Throwable t : p.seen.errors) {
        assertThat(t)
            .as("only a protocol error may end the link")
            .isInstanceOf(ProtocolException.class);
      }
      assertThat(p.closeAndCountHeld()).as("bytes still allocated after close").isZero();
    }
  }
}
