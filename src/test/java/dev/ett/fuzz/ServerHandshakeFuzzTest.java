package dev.ett.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.ett.link.HandshakeRejection;
import org.junit.jupiter.api.Tag;

/**
 * Goal of this test: whatever bytes a stranger sends a server before finishing a handshake
 * (PROTOCOL.md §4, server steps 2-5) — a preamble or not, a message 1 or garbage, in one read or
 * several — the server writes nothing at all unless the bytes hold a real message 1 from an
 * authorized key, lets no exception out, and counts the handshake as finished exactly once when the
 * connection ends.
 *
 * <p>Input: its first byte says how to cut the rest into reads (0: one read; n: reads of n bytes).
 */
@Tag("fuzz")
class ServerHandshakeFuzzTest {
  @FuzzTest
  void firstBytes(@NotNull @WithLength(max = 1 << 17) byte[] input) {
    try (ServerPipeline p = new ServerPipeline()) {
      int chunk = input.length == 0 ? 0 : input[0] & 0xff;
      int i = Math.min(1, input.length);
      while (i < input.length && p.server.isOpen()) {
        int n = chunk == 0 ? input.length - i : Math.min(chunk, input.length - i);
        p.receive(java.util.Arrays.copyOfRange(input, i, i + n));
        i += n;
      }
      p.server.close();
      // Message 2 answers a real message 1 from an authorized key; the link is up only once a
      // record of the client's authenticated after it (PROTOCOL.md §4, step 7).
      boolean answered = p.established() || p.rejection == HandshakeRejection.UNCONFIRMED;
      Object written = p.server.readOutbound();
      if (!answered) {
        assertThat(written)
            .as("nothing is sent before the client proved an authorized key")
            .isNull();
      }
      if (!p.established()) {
        assertThat(p.seen.errors).as("failures before authentication stay silent").isEmpty();
      }
      io.netty.util.ReferenceCountUtil.release(written);
      assertThat(p.handshakesFinished)
          .as("the unfinished-handshake count is given back once")
          .isEqualTo(1);
      assertThat(p.closeAndCountHeld()).as("bytes still allocated after close").isZero();
    }
  }
}
